import { HttpStatus } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { ProblemException } from './problems';

// No coding, or "identity": the only bodies the service reads. An empty header counts as none.
const IDENTITY = /^\s*(identity)?\s*$/i;

/**
 * Fastify's own JSON parser (same limits, same `__proto__`/`constructor` refusal), behind a check
 * of `Content-Encoding`: the service decodes nothing, so a gzip or br body is a clear 415 rather
 * than a "malformed JSON" 400. The check is one header read per JSON body, in the parser, so no
 * hook runs on other requests.
 */
export function useIdentityJsonParser(fastify: FastifyInstance): void {
  const { onProtoPoisoning = 'error', onConstructorPoisoning = 'error' } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning);
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const encoding = request.headers['content-encoding'];
    if (encoding === undefined || IDENTITY.test(encoding)) {
      return parse(request, body as string, done);
    }
    done(
      new ProblemException(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'about:blank',
        'Unsupported Media Type',
        `Content-Encoding ${JSON.stringify(encoding.slice(0, 64))} is not supported; send the body uncompressed (no Content-Encoding, or identity).`,
      ),
      undefined,
    );
  });
}
