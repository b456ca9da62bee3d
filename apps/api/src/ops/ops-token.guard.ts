import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Env } from '../config/env.validation';
import { PROBLEM_TYPES, ProblemException } from '../http/problems';
import { requireToken } from './access-token';

/**
 * Guards the mutating ops endpoints with `Authorization: Bearer <OPS_TOKEN>`. Without OPS_TOKEN
 * they are disabled (403), so an unconfigured deployment exposes nothing that changes state.
 */
@Injectable()
export class OpsTokenGuard implements CanActivate {
  private readonly token: string | undefined;

  constructor(config: ConfigService<Env, true>) {
    this.token = config.get('OPS_TOKEN', { infer: true });
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        PROBLEM_TYPES.opsDisabled,
        'Ops endpoints disabled',
        'This endpoint is disabled because OPS_TOKEN is not set. Set OPS_TOKEN and restart to enable it.',
      );
    }
    return requireToken(context, { OPS_TOKEN: this.token });
  }
}
