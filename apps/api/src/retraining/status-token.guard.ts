import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Env } from '../config/env.validation';
import { requireBearerToken } from '../ops/bearer-token';

/** GET /retraining/status is open unless RETRAINING_STATUS_TOKEN is set; then it needs that token. */
@Injectable()
export class StatusTokenGuard implements CanActivate {
  private readonly token: string | undefined;

  constructor(config: ConfigService<Env, true>) {
    this.token = config.get('RETRAINING_STATUS_TOKEN', { infer: true });
  }

  canActivate(context: ExecutionContext): boolean {
    return !this.token || requireBearerToken(context, this.token, 'RETRAINING_STATUS_TOKEN');
  }
}
