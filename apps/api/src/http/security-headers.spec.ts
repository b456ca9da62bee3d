import {
  API_SECURITY_HEADERS,
  DASHBOARD_SECURITY_HEADERS,
  DOCS_SECURITY_HEADERS,
  securityHeadersFor,
} from './security-headers';

describe(securityHeadersFor.name, () => {
  it.each(['/docs', '/docs/', '/docs/swagger-ui.css', '/docs/swagger-ui-init.js', '/docs?x=1'])(
    'should choose the docs headers when the URL is %s',
    (url) => {
      expect(securityHeadersFor(url)).toBe(DOCS_SECURITY_HEADERS);
    },
  );

  it.each([
    '/dashboard',
    '/dashboard/data',
    '/dashboard/assets/dashboard.js',
    '/dashboard?refresh=1',
  ])('should choose the dashboard headers when the URL is %s', (url) => {
    expect(securityHeadersFor(url)).toBe(DASHBOARD_SECURITY_HEADERS);
  });

  it.each([
    '/predict',
    '/docs-json',
    '/docsx',
    '/health/docs',
    '/',
    '/metrics?docs',
    '/dashboards',
    '/health/dashboard',
  ])('should choose the API headers when the URL is %s', (url) => {
    expect(securityHeadersFor(url)).toBe(API_SECURITY_HEADERS);
  });

  it('should follow another docs path when one is given', () => {
    expect(securityHeadersFor('/api-docs/x.js', '/api-docs')).toBe(DOCS_SECURITY_HEADERS);
    expect(securityHeadersFor('/docs', '/api-docs')).toBe(API_SECURITY_HEADERS);
  });

  it('should let the dashboard load only its own scripts, styles and data, inline ones not', () => {
    const policy = DASHBOARD_SECURITY_HEADERS['content-security-policy'];
    const directives = new Map(
      policy.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );

    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('style-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'self'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });
});
