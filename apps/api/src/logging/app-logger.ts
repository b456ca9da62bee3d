import { LoggerService } from '@nestjs/common';
import { utilities, WinstonModule } from 'nest-winston';
import { format, transports } from 'winston';
import { NodeEnv } from '../config/env.validation';
import { maskSecrets } from '../config/mask-secrets';

function masked(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (depth === 0 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => masked(item, depth - 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, masked(item, depth - 1)]),
  );
}

// Every string of a log entry (message, stack, context, the fields of an object message).
const maskEntry = format((info) => {
  for (const [key, value] of Object.entries(info)) info[key] = masked(value, 4);
  return info;
});

/**
 * Application logs (not predictions) through nest-winston: one JSON object per line in
 * production, for a log collector; coloured and readable in development. No line shows a secret:
 * URL passwords and the values of …TOKEN, …PASSWORD, …SECRET and …KEY settings are masked.
 */
export function createAppLogger(nodeEnv: NodeEnv): LoggerService {
  const production = nodeEnv === 'production';
  return WinstonModule.createLogger({
    level: nodeEnv === 'test' ? 'warn' : 'info',
    transports: [
      new transports.Console({
        format: production
          ? format.combine(maskEntry(), format.timestamp(), format.json())
          : format.combine(
              maskEntry(),
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
