import { MetricsRegistry } from '@app/mle/metrics';
import { ModelRegistry } from '@app/mle/registry';
import { LoggerService, LogLevel } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule, AppOptions } from './app.module';
import { Env } from './config/env.validation';
import { clientErrorHandler } from './http/client-error-handler';
import { useIdentityJsonParser } from './http/json-body-parser';
import { describeModels, documentConfig } from './http/openapi';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { RefusedBodyDrain } from './http/refused-body-drain';
import { securityHeadersFor } from './http/security-headers';
import { HttpMetrics } from './metrics/http-metrics';

// An incoming X-Request-Id is kept when it is a sane token; anything else gets a fresh UUID.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// The Swagger UI and its assets; the OpenAPI document is at /docs-json.
const DOCS_PATH = '/docs';

export interface CreateAppOptions extends AppOptions {
  logger?: LoggerService | LogLevel[] | false;
  /**
   * The response hooks, all on unless switched off here: the benchmark (`npm run bench`) serves
   * the app without them to measure what each costs. Configuration never switches them off.
   */
  hooks?: { metrics?: boolean; securityHeaders?: boolean };
}

/**
 * The HTTP application, as `main.ts` serves it and the e2e tests exercise it: Fastify with the
 * body limit, request ids, security headers, problem+json errors, metrics and OpenAPI docs.
 */
export async function createApp(
  env: Pick<
    Env,
    'BODY_LIMIT' | 'BODY_DRAIN_LIMIT' | 'REQUEST_TIMEOUT_MS' | 'HEADERS_TIMEOUT_MS' | 'MAX_BATCH'
  >,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const timeouts = { headersMs: env.HEADERS_TIMEOUT_MS, requestMs: env.REQUEST_TIMEOUT_MS };
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT,
    // Node checks these timeouts on an interval (30 s by default): a quarter of the shorter one,
    // at most a second, keeps the cut-off close to the documented time.
    requestTimeout: timeouts.requestMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: Math.min(
        1000,
        Math.ceil(Math.min(timeouts.headersMs, timeouts.requestMs) / 4),
      ),
    },
    clientErrorHandler: clientErrorHandler(timeouts),
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // Closing: stop accepting, answer 503 to requests on kept-alive sockets, drain the rest.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    {
      logger: options.logger,
      // Fastify's own JSON parser only: no urlencoded parser (a form post is 415).
      bodyParser: false,
    },
  );
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: a text/plain body is 415, not a string handed to the handlers.
  fastify.removeContentTypeParser('text/plain');
  useIdentityJsonParser(fastify);
  new RefusedBodyDrain(env.BODY_DRAIN_LIMIT).attach(fastify);
  const hooks = { metrics: true, securityHeaders: true, ...options.hooks };
  if (hooks.securityHeaders) {
    fastify.addHook('onSend', (request, reply, payload, done) => {
      void reply
        .headers(securityHeadersFor(request.url, DOCS_PATH))
        .header('x-request-id', request.id);
      done(null, payload);
    });
  }
  if (hooks.metrics) app.get(HttpMetrics).attach(fastify);
  app.get(MetricsRegistry); // registered before the first request

  app.useGlobalFilters(new ProblemDetailsFilter(app.get(HttpAdapterHost)));

  // After init: the served models are known once the kit's registry has initialised.
  await app.init();
  const document = describeModels(
    SwaggerModule.createDocument(app, documentConfig()),
    app.get(ModelRegistry).models,
    env.MAX_BATCH,
  );
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });

  await fastify.ready();
  return app;
}
