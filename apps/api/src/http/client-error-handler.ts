import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ProblemDetails } from './problems';

export interface ClientTimeouts {
  headersMs: number;
  requestMs: number;
}

const HTTP_ERRORS: Record<string, { status: number; detail: (t: ClientTimeouts) => string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    detail: (t) =>
      `The request was not received in time: headers within HEADERS_TIMEOUT_MS (${t.headersMs} ms), the whole request within REQUEST_TIMEOUT_MS (${t.requestMs} ms).`,
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    detail: () => 'The request headers are too large.',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    detail: () => 'The chunk extensions of the body are too large.',
  },
};

/**
 * Fastify's `clientErrorHandler`: errors Node's HTTP parser raises before there is a request
 * (a timeout, a malformed request line or header), answered as problem+json and closed. Like
 * Node's own handler, it writes only when no answer has started on the connection: bytes in the
 * middle of another response would corrupt it.
 */
export function clientErrorHandler(
  timeouts: ClientTimeouts,
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const known = error.code ? HTTP_ERRORS[error.code] : undefined;
      const status = known?.status ?? 400;
      const problem: ProblemDetails = {
        type: 'about:blank',
        title: STATUS_CODES[status] ?? 'Error',
        status,
        detail:
          known?.detail(timeouts) ??
          'The request is not valid HTTP/1.1 (request line, header or body framing).',
      };
      const body = JSON.stringify(problem);
      socket.write(
        `HTTP/1.1 ${status} ${problem.title}\r\nContent-Type: application/problem+json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
