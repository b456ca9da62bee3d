import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';

const discard = () => undefined;

/**
 * What happens to the connection when a body is refused (413, 415, malformed JSON), nginx's
 * lingering close with a byte bound. Runs only on errors (an `onError` hook), never on an
 * answered request.
 *
 * - The request was read to its end (malformed JSON, an unsupported encoding): the next request
 *   on the connection starts where this one ended, so the connection stays open and every
 *   pipelined request is answered. Fastify would close it after running them, unanswered.
 * - The body was refused before it was read (over BODY_LIMIT, wrong media type): the answer goes
 *   out at once, and the rest of the body is read and thrown away, so a client that writes the
 *   whole body before reading (Python's urllib, requests) gets the answer instead of a broken
 *   pipe. Past `bound` bytes the connection is closed: nothing after that body was parsed, so no
 *   request of that connection is left running unanswered.
 */
export class RefusedBodyDrain {
  constructor(private readonly bound: number) {}

  attach(fastify: FastifyInstance): void {
    fastify.addHook('onError', (request, reply, _error, done) => this.settle(request, reply, done));
  }

  private settle(request: FastifyRequest, reply: FastifyReply, answer: () => void): void {
    const raw = request.raw;
    if (raw.destroyed || raw.complete) {
      void reply.removeHeader('connection');
      return answer();
    }
    if (reply.raw.shouldKeepAlive) {
      void reply.removeHeader('connection');
      answer();
      void this.drain(raw).then((ended) => ended || raw.socket.destroy());
    } else {
      // The client asked to close (urllib does): Node closes the socket once the answer is out,
      // which would cut off the body being written; so the body is read first.
      void this.drain(raw).then(answer);
    }
  }

  /** Reads and discards the rest of the body; true when it ended, false past the bound. */
  private drain(raw: IncomingMessage): Promise<boolean> {
    return new Promise((resolve) => {
      let read = 0;
      const count = (chunk: Buffer) => {
        read += chunk.length;
        if (read <= this.bound) return;
        raw.removeListener('data', count);
        raw.pause();
        // Decided once the parser has taken in what it already holds: if the body ended there,
        // the connection is still in step; otherwise nothing after the body was parsed, and
        // closing leaves no request of this connection behind.
        setImmediate(() => {
          if (!raw.complete) return resolve(false);
          raw.on('data', discard).resume();
        });
      };
      raw.on('data', count);
      raw.once('end', () => resolve(true));
      raw.once('close', () => resolve(raw.complete));
      raw.resume();
    });
  }
}
