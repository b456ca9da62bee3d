import { ExecutionContext, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PROBLEM_TYPES, ProblemException } from '../http/problems';

/**
 * Whether an `Authorization: Bearer <token>` header carries `expected`. Both sides are hashed
 * first so the comparison takes the same time whatever the length or content of the guess.
 */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(expected)) && match !== null;
}

export type TokenSetting = 'OPS_TOKEN' | 'RETRAINING_STATUS_TOKEN';

/**
 * Lets the request through when its bearer token is one of the `accepted` settings' tokens
 * (unset ones are skipped); otherwise answers 401 with `WWW-Authenticate: Bearer` and says
 * which setting's token to send.
 */
export function requireBearerToken(
  context: ExecutionContext,
  accepted: Partial<Record<TokenSetting, string>>,
): true {
  const http = context.switchToHttp();
  const header = http.getRequest<FastifyRequest>().headers.authorization;
  const tokens = Object.values(accepted).filter((token): token is string => Boolean(token));
  // Every token is compared, so the time taken does not tell which one came close.
  if (tokens.map((token) => bearerTokenMatches(header, token)).includes(true)) return true;
  void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
  const settings = (Object.keys(accepted) as TokenSetting[]).filter((name) => accepted[name]);
  throw new ProblemException(
    HttpStatus.UNAUTHORIZED,
    PROBLEM_TYPES.unauthorized,
    'Unauthorized',
    `Send the header Authorization: Bearer <${settings.join(' or ')}>.`,
  );
}
