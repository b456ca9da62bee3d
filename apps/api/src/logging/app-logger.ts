import { LoggerService } from '@nestjs/common';
import { utilities, WinstonModule } from 'nest-winston';
import { format, transports } from 'winston';
import { NodeEnv } from '../config/env.validation';

/**
 * Application logs (not predictions) through nest-winston: one JSON object per line in
 * production, for a log collector; coloured and readable in development.
 */
export function createAppLogger(nodeEnv: NodeEnv): LoggerService {
  const production = nodeEnv === 'production';
  return WinstonModule.createLogger({
    level: nodeEnv === 'test' ? 'warn' : 'info',
    transports: [
      new transports.Console({
        format: production
          ? format.combine(format.timestamp(), format.json())
          : format.combine(
              format.timestamp(),
              utilities.format.nestLike('mle-service', {
                colors: process.stdout.isTTY,
                prettyPrint: true,
              }),
            ),
      }),
    ],
  });
}
