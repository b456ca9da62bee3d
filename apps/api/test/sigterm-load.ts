import { Features } from '@app/mle';
import { Agent, request as httpRequest } from 'node:http';

export interface SigtermLoad {
  /** The answered predictions by request id. */
  answered: Map<string, { id: number; probability: number }>;
  /** Requests refused or cut off. */
  failed: number;
}

/**
 * Twenty clients, each on its own kept-alive connection, post `total` predictions one after
 * another; once `signalAfter` have been answered, `signal()` is called (a SIGTERM) while the next
 * twenty are in flight. Resolves when every request has an answer or an error.
 */
export async function predictThroughSigterm(
  port: number,
  features: Features,
  signal: () => void,
  { total = 600, signalAfter = 200, clients = 20 } = {},
): Promise<SigtermLoad> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const load: SigtermLoad = { answered: new Map(), failed: 0 };
  const send = (id: number) =>
    new Promise<void>((done) => {
      const req = httpRequest(
        {
          agent,
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/predict',
          headers: { 'content-type': 'application/json', 'x-request-id': `sigterm-${id}` },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => {
            if (res.statusCode === 200) {
              const answer = JSON.parse(body) as { id: number; probability: number };
              load.answered.set(`sigterm-${id}`, answer);
            } else load.failed += 1;
            done();
          });
        },
      );
      req.on('error', () => {
        load.failed += 1;
        done();
      });
      req.end(JSON.stringify({ id, features }));
    });

  let next = 0;
  let signalled = false;
  const client = async () => {
    while (next < total) {
      await send(next++);
      if (!signalled && load.answered.size >= signalAfter) {
        signalled = true;
        signal();
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  agent.destroy();
  return load;
}

/** Polls `probe` until it answers something other than undefined, for at most `ms`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, everyMs));
  }
}
