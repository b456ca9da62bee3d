/**
 * The security headers of a response, chosen by what the route serves. Both sets are computed
 * once and set in one call: registering @fastify/helmet, which builds them on every request, cost
 * 15–25% of single-prediction throughput here, and each header set costs a little on every answer
 * (see the README's benchmarks).
 */

/**
 * The API's answers (JSON, problem+json, Prometheus text): never sniffed as another type, never
 * stored by a cache, never framed, and nothing in them may load or run.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
});

/**
 * The Swagger UI under /docs: helmet's defaults, with a Content-Security-Policy that lets it use
 * its inline styles and scripts, and without `upgrade-insecure-requests`: the service speaks
 * plain HTTP (TLS belongs to a proxy in front), so that directive made a browser ask for the UI's
 * CSS and JS over https under any host name but localhost, and the page stayed blank.
 */
export const DOCS_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': [
    "default-src 'self'",
    "base-uri 'self'",
    "font-src 'self' https: data:",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self' 'unsafe-inline'",
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
  ].join(';'),
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  // Browsers ignore it over plain HTTP; behind a TLS proxy it keeps the next visit on https.
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

/**
 * The set for a request URL: the docs' for the Swagger UI page and its assets (`/docs`,
 * `/docs/…`), the API's for everything else, `/docs-json` included (it is JSON).
 */
export function securityHeadersFor(
  url: string,
  docsPath = '/docs',
): Readonly<Record<string, string>> {
  if (!url.startsWith(docsPath)) return API_SECURITY_HEADERS;
  const next = url.charAt(docsPath.length);
  return next === '' || next === '/' || next === '?' ? DOCS_SECURITY_HEADERS : API_SECURITY_HEADERS;
}
