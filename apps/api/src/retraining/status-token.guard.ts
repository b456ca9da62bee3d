import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Env } from '../config/env.validation';
import { PROBLEM_TYPES, ProblemException } from '../http/problems';
import { bearerTokenMatches } from '../ops/bearer-token';

/** GET /retraining/status is open unless RETRAINING_STATUS_TOKEN is set; then it needs that token. */
@Injectable()
export class StatusTokenGuard implements CanActivate {
  private readonly token: string | undefined;

  constructor(config: ConfigService<Env, true>) {
    this.token = config.get('RETRAINING_STATUS_TOKEN', { infer: true });
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (bearerTokenMatches(request.headers.authorization, this.token)) return true;
    void context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
    throw new ProblemException(
      HttpStatus.UNAUTHORIZED,
      PROBLEM_TYPES.unauthorized,
      'Unauthorized',
      'Send the header Authorization: Bearer <RETRAINING_STATUS_TOKEN>.',
    );
  }
}
