import { CopyValue, DemoData, DemoOptions } from '../../data/demo-data';
import { Features } from '../../feature-schema';
import { CHURN_PLANS } from './churn.model';
import { seededRandom } from '../seeded-random';

/** One generated subscription; its label (`churned`) is known 30 days after it started. */
export interface DemoSubscription {
  startedAt: Date;
  plan: (typeof CHURN_PLANS)[number];
  monthlyFee: number;
  tenureMonths: number;
  supportTickets: number;
  autopay: boolean;
  churned: boolean | null;
}

const DAY_MS = 86_400_000;
const LABEL_DELAY_DAYS = 30;
const FEES = { basic: 9, standard: 19, premium: 49 } as const;

/**
 * The hidden rule: many support tickets and a short tenure make subscribers cancel. After the
 * drift, the rule turns over (tickets are answered well, long-standing subscribers leave for a
 * competitor), so a model of the old rule is mostly wrong.
 */
function churnLogit(s: Omit<DemoSubscription, 'churned' | 'startedAt'>, drifted: boolean): number {
  const tickets = (s.supportTickets - 2) / 1.5;
  const tenure = (Math.log1p(s.tenureMonths) - 2.5) / 1;
  const logit =
    0.3 + 3 * tickets - 2.4 * tenure + (s.plan === 'basic' ? 0.8 : 0) - (s.autopay ? 1 : 0);
  return drifted ? -logit : logit;
}

export function* generateSubscriptions(options: DemoOptions): Generator<DemoSubscription> {
  const next = seededRandom(options.seed);
  const days = options.days ?? 180;
  const start = options.now.getTime() - days * DAY_MS;
  const labelledBefore = options.now.getTime() - LABEL_DELAY_DAYS * DAY_MS;
  for (let i = 0; i < options.rows; i++) {
    const startedAt = new Date(Math.floor(start + ((i + next()) / options.rows) * days * DAY_MS));
    const plan = CHURN_PLANS[Math.floor(next() * 3)];
    const features = {
      plan,
      monthlyFee: Math.round((FEES[plan] + next() * 5) * 100) / 100,
      tenureMonths: Math.floor(-Math.log(1 - next()) * 18),
      supportTickets: Math.floor(-Math.log(1 - next()) * 2),
      autopay: next() < 0.6,
    };
    const drifted = options.driftFrom !== undefined && startedAt >= options.driftFrom;
    const p = 1 / (1 + Math.exp(-churnLogit(features, drifted)));
    const churned = next() < p;
    yield {
      startedAt,
      ...features,
      churned: startedAt.getTime() < labelledBefore ? churned : null,
    };
  }
}

export function subscriptionFeatures(s: DemoSubscription): Features {
  return {
    plan: s.plan,
    monthly_fee: s.monthlyFee,
    tenure_months: s.tenureMonths,
    support_tickets: s.supportTickets,
    autopay: s.autopay,
  };
}

/** Subscriptions into `churn_subscriptions`; the known outcomes into `churn_outcomes`. */
export const churnDemo: DemoData<DemoSubscription> = {
  examples: [
    { plan: 'basic', monthly_fee: 9.99, tenure_months: 3, support_tickets: 4, autopay: false },
    { plan: 'premium', monthly_fee: 49, tenure_months: 40, support_tickets: 0, autopay: true },
  ],
  generate: generateSubscriptions,
  describe: (s) => ({ features: subscriptionFeatures(s), label: s.churned, at: s.startedAt }),
  async write(rows, writer) {
    const outcomes: CopyValue[][] = [];
    let id = 0;
    await writer.copy(
      'churn_subscriptions',
      ['id', 'started_at', 'plan', 'monthly_fee', 'tenure_months', 'support_tickets', 'autopay'],
      (function* () {
        for (const s of rows) {
          id += 1;
          if (s.churned !== null) outcomes.push([id, s.churned]);
          yield [
            id,
            s.startedAt,
            s.plan,
            s.monthlyFee,
            s.tenureMonths,
            s.supportTickets,
            s.autopay,
          ];
        }
      })(),
    );
    await writer.copy('churn_outcomes', ['subscription_id', 'churned'], outcomes);
  },
};
