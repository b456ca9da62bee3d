import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** What a predict route receives: the body, and the model its path names (none: the default). */
export interface PredictInput {
  model?: string;
  body: unknown;
}

/** The predict body with the model named by the path; give it `PredictRequestPipe`. */
export const PredictBody = createParamDecorator(
  (_data: unknown, context: ExecutionContext): PredictInput => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const { model } = (request.params ?? {}) as { model?: string };
    return { model, body: request.body };
  },
);
