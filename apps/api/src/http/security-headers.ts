/**
 * The security headers of a response, chosen by what the route serves. Every set is computed
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
 * The dashboard under /dashboard: its page, data and assets come from the service itself and
 * nothing else may load. uPlot styles its elements through the CSSOM (`element.style.x = …`),
 * which `style-src 'self'` allows, so neither scripts nor styles need 'unsafe-inline'. Framed by
 * nobody and sending no referrer; HSTS as for the docs, for a TLS proxy in front.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  // No Cross-Origin-Opener-Policy: over plain HTTP under a host name other than localhost the
  // browser ignores it and says so as a console error on every load.
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

/** Whether `url` is `path` itself or below it (`path/…`, `path?…`), not `path-json` or `pathx`. */
function isUnder(url: string, path: string): boolean {
  if (!url.startsWith(path)) return false;
  const next = url.charAt(path.length);
  return next === '' || next === '/' || next === '?';
}

/**
 * The set for a request URL: the docs' for the Swagger UI page and its assets (`/docs`,
 * `/docs/…`), the dashboard's for its page, data and assets (`/dashboard`, `/dashboard/…`), the
 * API's for everything else, `/docs-json` included (it is JSON).
 */
export function securityHeadersFor(
  url: string,
  docsPath = '/docs',
  dashboardPath = '/dashboard',
): Readonly<Record<string, string>> {
  if (isUnder(url, docsPath)) return DOCS_SECURITY_HEADERS;
  if (isUnder(url, dashboardPath)) return DASHBOARD_SECURITY_HEADERS;
  return API_SECURITY_HEADERS;
}
