import { defineModelPlugin } from '../../plugin/model-plugin';
import { churnDemo } from './churn.demo';
import { ChurnModel } from './churn.model';
import { CreateChurnTables1796000000000 } from './migrations/1796000000000-CreateChurnTables';

/**
 * The suite's second plug-in: another domain (subscriptions), other features, its labels in a
 * table of their own. Used only by tests, beside the sales plug-in or alone.
 */
export const churnTestPlugin = defineModelPlugin({
  model: ChurnModel,
  data: {
    rows: { table: 'churn_subscriptions', id: 'id', time: 'started_at' },
    labels: { table: 'churn_outcomes', id: 'subscription_id', label: 'churned' },
  },
  migrations: [CreateChurnTables1796000000000],
  demo: churnDemo,
  wording: { inputId: 'subscription id', prediction: 'will the subscriber cancel?' },
});
