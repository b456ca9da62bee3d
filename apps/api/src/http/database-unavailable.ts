// Socket errors of a server that is stopped, unreachable or not resolvable.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
// SQLSTATE class 08 (connection exception), 57P01-57P03 (shutting down, starting up), 53300
// (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
// What pg says when a connection ends or never comes, without a code.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * Whether an error means the database cannot be reached now (down, restarting, unreachable,
 * out of connections), as opposed to a query that failed. Looks through TypeORM's `driverError`,
 * `cause` and the attempts of an AggregateError.
 */
export function isDatabaseUnavailable(error: unknown, depth = 3): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, driverError, cause, errors } = error as ErrorLike;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) {
    return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  if (depth === 0) return false;
  const nested: unknown[] = [
    driverError,
    cause,
    ...(Array.isArray(errors) ? (errors as unknown[]) : []),
  ];
  return nested.some((inner) => isDatabaseUnavailable(inner, depth - 1));
}
