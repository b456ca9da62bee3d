/** Settings whose value is a secret by name: it is never printed, only its length. */
export const SECRET_SETTING = /(TOKEN|PASSWORD|SECRET|KEY)$/i;

// Webhook receivers (Slack, Teams, Discord…) carry their credential in the path or query.
const SECRET_PATH_SETTING = /WEBHOOK_URL$/i;

// scheme://user:password@ — the password runs to the last @ before a space or quote, so one
// that holds an unencoded @ or / is still masked whole.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'<>]*):[^\s"'<>]*@/gi;
// NAME=value and "name":"value" where the name ends in TOKEN, PASSWORD, SECRET or KEY; a value
// that starts with "(" is already a length, as showSetting prints it.
const NAMED_SECRET = /\b([\w.-]*(?:token|password|secret|key))=(?!\()[^\s&"',;]+/gi;
const JSON_SECRET = /("[\w.-]*(?:token|password|secret|key)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
const BEARER = /\b(Bearer\s+)[^\s"',;]+/gi;
// A shorter configured value would mask ordinary words in every line.
const MIN_LITERAL = 6;

/**
 * The text with every secret replaced by `***`: passwords in URLs (`postgres://u:***@host/db`),
 * `…TOKEN=`, `…PASSWORD=`, `…SECRET=`, `…KEY=` values, bearer tokens, and the literal values of
 * the environment's secret settings wherever they appear.
 */
export function maskSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let masked = text
    .replace(URL_PASSWORD, '$1:***@')
    .replace(NAMED_SECRET, '$1=***')
    .replace(JSON_SECRET, '$1"***"')
    .replace(BEARER, '$1***');
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= MIN_LITERAL && SECRET_SETTING.test(name)) {
      masked = masked.split(value).join('***');
    }
  }
  return masked;
}

/**
 * How a configuration message shows a setting: `OPS_TOKEN=(15 characters)` for a secret,
 * `RETRAINING_WEBHOOK_URL="https://hooks.example.com…" (77 characters)` for a webhook, and the
 * value with URL passwords masked otherwise (`DATABASE_URL="postgres://u:***@host/db "`).
 */
export function showSetting(name: string, value: unknown): string {
  if (typeof value !== 'string') return `${name}=${JSON.stringify(value)}`;
  if (SECRET_SETTING.test(name)) return `${name}=(${characters(value)})`;
  if (SECRET_PATH_SETTING.test(name)) {
    const origin = /^([^/]*\/\/)?[^/?#]*/.exec(value)?.[0] ?? '';
    const shown = maskSecrets(origin, {});
    return `${name}=${JSON.stringify(shown.length < value.length ? `${shown}…` : shown)} (${characters(value)})`;
  }
  return `${name}=${JSON.stringify(maskSecrets(value, {}))}`;
}

function characters(value: string): string {
  return `${value.length} character${value.length === 1 ? '' : 's'}`;
}
