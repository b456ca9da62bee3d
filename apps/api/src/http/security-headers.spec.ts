import {
  API_SECURITY_HEADERS,
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

  it.each(['/predict', '/docs-json', '/docsx', '/health/docs', '/', '/metrics?docs'])(
    'should choose the API headers when the URL is %s',
    (url) => {
      expect(securityHeadersFor(url)).toBe(API_SECURITY_HEADERS);
    },
  );

  it('should follow another docs path when one is given', () => {
    expect(securityHeadersFor('/api-docs/x.js', '/api-docs')).toBe(DOCS_SECURITY_HEADERS);
    expect(securityHeadersFor('/docs', '/api-docs')).toBe(API_SECURITY_HEADERS);
  });
});
