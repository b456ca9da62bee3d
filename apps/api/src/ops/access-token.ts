import { ExecutionContext, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PROBLEM_TYPES, ProblemException } from '../http/problems';

/**
 * Whether a presented token is `expected`. Both sides are hashed first so the comparison takes
 * the same time whatever the length or content of the guess.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented ?? ''), digest(expected)) && presented !== undefined;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The password of an `Authorization: Basic base64(user:password)` header (RFC 7617), whatever
 * the user name; undefined when the header is not one: another scheme, bad base64, no colon, or
 * bytes that are not UTF-8.
 */
export function basicPassword(header: string | undefined): string | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '')?.[1];
  if (encoded === undefined || encoded.length % 4 !== 0) return undefined;
  let decoded: string;
  try {
    decoded = UTF8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** Whether an `Authorization: Bearer <token>` header carries `expected`. */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  return tokenMatches(bearerToken(header), expected);
}

export type TokenSetting = 'OPS_TOKEN' | 'RETRAINING_STATUS_TOKEN';

/** How a route reads a token from the Authorization header, and how it asks for one. */
export interface TokenScheme {
  presented(header: string | undefined): string | undefined;
  /** The `WWW-Authenticate` challenge of a 401. */
  challenge: string;
  /** What the 401's detail tells the client to send, given the settings' names. */
  howTo(settings: string): string;
}

export const BEARER_SCHEME: TokenScheme = {
  presented: bearerToken,
  challenge: 'Bearer',
  howTo: (settings) => `Send the header Authorization: Bearer <${settings}>.`,
};

/**
 * Basic (the token as the password, any user name) or Bearer: a browser cannot send a bearer
 * token when it navigates to a page, but it asks for and resends Basic credentials.
 */
export function basicOrBearerScheme(realm: string): TokenScheme {
  return {
    presented: (header) => bearerToken(header) ?? basicPassword(header),
    challenge: `Basic realm="${realm}", charset="UTF-8"`,
    howTo: (settings) =>
      `Sign in with any user name and <${settings}> as the password (Authorization: Basic; curl -u :TOKEN), or send Authorization: Bearer <${settings}>.`,
  };
}

/**
 * Lets the request through when the token it presents (in `scheme`, Bearer by default) is one
 * of the `accepted` settings' tokens (unset ones are skipped); otherwise answers 401 with the
 * scheme's `WWW-Authenticate` challenge and says which setting's token to send.
 */
export function requireToken(
  context: ExecutionContext,
  accepted: Partial<Record<TokenSetting, string>>,
  scheme: TokenScheme = BEARER_SCHEME,
): true {
  const http = context.switchToHttp();
  const presented = scheme.presented(http.getRequest<FastifyRequest>().headers.authorization);
  const tokens = Object.values(accepted).filter((token): token is string => Boolean(token));
  // Every token is compared, so the time taken does not tell which one came close.
  if (tokens.map((token) => tokenMatches(presented, token)).includes(true)) return true;
  void http.getResponse<FastifyReply>().header('www-authenticate', scheme.challenge);
  const settings = (Object.keys(accepted) as TokenSetting[]).filter((name) => accepted[name]);
  throw new ProblemException(
    HttpStatus.UNAUTHORIZED,
    PROBLEM_TYPES.unauthorized,
    'Unauthorized',
    scheme.howTo(settings.join(' or ')),
  );
}
