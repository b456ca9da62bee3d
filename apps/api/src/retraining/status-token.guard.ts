import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { Env } from '../config/env.validation';
import { BEARER_SCHEME, requireToken, tokenMatches, TokenScheme } from '../ops/access-token';

/**
 * GET /retraining/status is open unless RETRAINING_STATUS_TOKEN is set; then it needs that token
 * or OPS_TOKEN. Either token also unlocks the full view (the last run's error and host); a token
 * that matches neither is refused rather than silently answered with the public view. The
 * dashboard keeps these rules and reads the token from Basic credentials too (`scheme`).
 */
@Injectable()
export class StatusTokenGuard implements CanActivate {
  protected readonly scheme: TokenScheme = BEARER_SCHEME;
  private readonly statusToken: string | undefined;
  private readonly opsToken: string | undefined;

  constructor(config: ConfigService<Env, true>) {
    this.statusToken = config.get('RETRAINING_STATUS_TOKEN', { infer: true });
    this.opsToken = config.get('OPS_TOKEN', { infer: true });
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    // Open status: no header is the public view, and with no token configured none can match.
    if (!this.statusToken && (header === undefined || !this.opsToken)) return true;
    return requireToken(
      context,
      { RETRAINING_STATUS_TOKEN: this.statusToken, OPS_TOKEN: this.opsToken },
      this.scheme,
    );
  }

  /** Whether the request's token is one of the configured status or ops tokens. */
  grantsDetails(header: string | undefined): boolean {
    const presented = this.scheme.presented(header);
    return [this.statusToken, this.opsToken]
      .map((token) => token !== undefined && tokenMatches(presented, token))
      .includes(true);
  }
}
