import { maskSecrets, showSetting } from './mask-secrets';

describe(maskSecrets.name, () => {
  it('should mask the password of a URL when the text holds one', () => {
    expect(maskSecrets('connect postgres://u:S3cret@host:5432/db failed', {})).toBe(
      'connect postgres://u:***@host:5432/db failed',
    );
    expect(maskSecrets('"url":"https://hook:p@ss/w0rd@example.com/x"', {})).toBe(
      '"url":"https://hook:***@example.com/x"',
    );
  });

  it('should leave a URL without a password as it is', () => {
    const text = 'GET http://localhost:3000/docs and postgres://u@host/db';
    expect(maskSecrets(text, {})).toBe(text);
  });

  it('should mask values named like a token, password, secret or key when they are printed', () => {
    expect(
      maskSecrets('OPS_TOKEN=abc123 ANALYST_PASSWORD=x ?api_key=k&ok=1 {"clientSecret":"s"}', {}),
    ).toBe('OPS_TOKEN=*** ANALYST_PASSWORD=*** ?api_key=***&ok=1 {"clientSecret":"***"}');
    expect(maskSecrets('Authorization: Bearer abcdef', {})).toBe('Authorization: Bearer ***');
  });

  it('should mask the value of a secret setting wherever it appears', () => {
    const env = { OPS_TOKEN: 'ops-token-0123456789', LOG_DIR: '/var/lib/mle/logs' };
    expect(maskSecrets('got ops-token-0123456789 in /var/lib/mle/logs', env)).toBe(
      'got *** in /var/lib/mle/logs',
    );
  });
});

describe(showSetting.name, () => {
  it('should show only the length of a secret setting', () => {
    expect(showSetting('OPS_TOKEN', 'short-secret-15')).toBe('OPS_TOKEN=(15 characters)');
    expect(showSetting('ANALYST_PASSWORD', 'p')).toBe('ANALYST_PASSWORD=(1 character)');
  });

  it('should show a webhook URL up to its host when the path may hold its credential', () => {
    expect(showSetting('RETRAINING_WEBHOOK_URL', 'https://hooks.example.com/T0/B0/XyZ')).toBe(
      'RETRAINING_WEBHOOK_URL="https://hooks.example.com…" (35 characters)',
    );
  });

  it('should show other values quoted, with URL passwords masked', () => {
    expect(showSetting('DATABASE_URL', 'postgres://u:S3cret@host/db ')).toBe(
      'DATABASE_URL="postgres://u:***@host/db "',
    );
    expect(showSetting('PORT', 'abc')).toBe('PORT="abc"');
  });
});
