import { ProgressReporter } from '@app/mle/cli';
import { LabelledTableReader, TableRow } from '@app/mle/data';
import { parseArgs } from 'node:util';
import { modelNamed, runCommand, UsageError } from './command-runner';

const USAGE =
  'usage: npm run replay -- --from YYYY-MM-DD --to YYYY-MM-DD [--model NAME] [--limit 1000] [--batch 100] [--url http://localhost:${PORT:-3000}] [--all]';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string', default: '1000' },
      batch: { type: 'string', default: '100' },
      url: { type: 'string', default: `http://localhost:${process.env.PORT ?? 3000}` },
      // Labelled sales by default: those are the ones an evaluation can score.
      all: { type: 'boolean', default: false },
    },
  });
  const date = (flag: string, value?: string) => {
    const parsed = new Date(value ?? '');
    if (value === undefined || Number.isNaN(parsed.getTime())) {
      throw new UsageError(`${flag} must be a date such as 2026-09-01. ${USAGE}`);
    }
    return parsed;
  };
  const limit = Number(values.limit);
  const batch = Number(values.batch);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive integer. ${USAGE}`);
  if (!Number.isInteger(batch) || batch < 1)
    throw new UsageError(`--batch must be a positive integer. ${USAGE}`);
  return {
    model: values.model,
    from: date('--from', values.from),
    to: date('--to', values.to),
    limit,
    batch,
    url: values.url,
    labelledOnly: !values.all,
  };
}

// What a connection error's code means, in words.
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection closed',
};

/** fetch's "fetch failed" says nothing: the reason is in its cause (or the cause's errors). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const { code, errors, message } = cause as {
    code?: string;
    errors?: { code?: string }[];
    message?: string;
  };
  const known = code ?? errors?.find((e) => e.code)?.code;
  return (known && NETWORK_ERRORS[known]) ?? known ?? message ?? String(cause);
}

/** A row's id as the API takes it: the JSON integer when it is one, else the string. */
const inputId = (id: string) => (/^\d{1,15}$/.test(id) ? Number(id) : id);

async function post(target: string, rows: TableRow[]): Promise<void> {
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        instances: rows.map((row) => ({ id: inputId(row.id), features: row.features })),
      }),
    });
  } catch (error) {
    throw new Error(
      `Could not reach ${target}: ${networkReason(error)}. Is the service running (npm start)? Set --url or PORT.`,
    );
  }
  // Read every body: an unread one holds its socket, and the socket holds the process open.
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`POST ${target} answered ${response.status}: ${text.slice(0, 300)}`);
  }
}

// Sends a model's stored rows through its predict route as a client would: traffic for the demo
// of the retraining signal (their labels are in the database, so the evaluation can score them).
void runCommand('replay', async ({ dataSource, registry }) => {
  const options = parseOptions();
  const model = modelNamed(registry, options.model, USAGE);
  if (!model.data) throw new UsageError(`${model.name} has no data to replay. ${USAGE}`);
  const reader = new LabelledTableReader(dataSource, model.data);
  const query = { from: options.from, to: options.to, labelledOnly: options.labelledOnly };
  const total = Math.min(options.limit, await reader.count(query));
  if (total === 0)
    throw new UsageError(
      `no rows of ${model.name} between ${options.from.toISOString()} and ${options.to.toISOString()}. ${USAGE}`,
    );
  const target = `${options.url}/models/${model.name}/predict`;
  const progress = new ProgressReporter(`Replaying ${model.name} to ${target}`, total);
  let sent = 0;
  let pending: TableRow[] = [];
  for await (const row of reader.rows(query)) {
    pending.push(row);
    if (pending.length === options.batch || sent + pending.length === total) {
      await post(target, pending);
      sent += pending.length;
      pending = [];
      progress.update(sent);
    }
    if (sent === total) break;
  }
  // Fewer rows than counted (deleted meanwhile): send what was read.
  if (pending.length > 0) {
    await post(target, pending);
    sent += pending.length;
  }
  const seconds = progress.finish(sent);
  process.stdout.write(
    `\nSent ${sent.toLocaleString('en-US')} rows of ${model.name} in ${seconds.toFixed(1)} s. The service logged each prediction; ` +
      'POST /retraining/evaluate (or npm run evaluate) scores them against their labels.\n',
  );
});
