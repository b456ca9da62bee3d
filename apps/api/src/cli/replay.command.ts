import { ProgressReporter } from '@app/mle/cli/progress-reporter';
import { saleFeatures } from '@app/sales/model/sales-features';
import { SalesRepository } from '@app/sales/sales.repository';
import { Sale } from '@app/sales/sale.entity';
import { parseArgs } from 'node:util';
import { runCommand, UsageError } from './command-runner';

const USAGE =
  'usage: npm run replay -- --from YYYY-MM-DD --to YYYY-MM-DD [--limit 1000] [--batch 100] [--url http://localhost:3000] [--all]';

function parseOptions() {
  const { values } = parseArgs({
    options: {
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
    from: date('--from', values.from),
    to: date('--to', values.to),
    limit,
    batch,
    url: values.url,
    labelledOnly: !values.all,
  };
}

async function post(url: string, sales: Sale[]): Promise<void> {
  const response = await fetch(`${url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      instances: sales.map((sale) => ({ id: Number(sale.id), features: saleFeatures(sale) })),
    }),
  });
  if (!response.ok) {
    throw new Error(
      `POST ${url}/predict answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
    );
  }
}

// Sends stored sales through POST /predict as a client would: traffic for the demo of the
// retraining signal (their labels are in the database, so the evaluation can score them).
void runCommand('replay', async ({ dataSource }) => {
  const options = parseOptions();
  const sales = new SalesRepository(dataSource.getRepository(Sale));
  const query = { from: options.from, to: options.to, labelledOnly: options.labelledOnly };
  const total = Math.min(options.limit, await sales.count(query));
  if (total === 0)
    throw new UsageError(
      `no sales between ${options.from.toISOString()} and ${options.to.toISOString()}. ${USAGE}`,
    );
  const progress = new ProgressReporter(`Replaying sales to ${options.url}/predict`, total);
  let sent = 0;
  let pending: Sale[] = [];
  for await (const sale of sales.stream(query)) {
    pending.push(sale);
    if (pending.length === options.batch || sent + pending.length === total) {
      await post(options.url, pending);
      sent += pending.length;
      pending = [];
      progress.update(sent);
    }
    if (sent === total) break;
  }
  // Fewer rows than counted (deleted meanwhile): send what was read.
  if (pending.length > 0) {
    await post(options.url, pending);
    sent += pending.length;
  }
  const seconds = progress.finish(sent);
  process.stdout.write(
    `\nSent ${sent.toLocaleString('en-US')} sales in ${seconds.toFixed(1)} s. The service logged each prediction; ` +
      'POST /retraining/evaluate (or npm run evaluate) scores them against their labels.\n',
  );
});
