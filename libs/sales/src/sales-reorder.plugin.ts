import { defineModelPlugin } from '@app/mle';
import { salesDemo } from './demo/sales.demo';
import { SALES_MIGRATIONS } from './migrations';
import { SalesModel } from './model/sales.model';

/**
 * Will the customer order again within 30 days? Sales and their late labels live in `sales`
 * (one row per sale; `reordered` is known 30 days after the sale).
 */
export const salesReorder = defineModelPlugin({
  model: SalesModel,
  data: {
    rows: { table: 'sales', id: 'id', time: 'sold_at' },
    labels: { table: 'sales', id: 'id', label: 'reordered' },
  },
  migrations: SALES_MIGRATIONS,
  demo: salesDemo,
  wording: {
    inputId: 'sale id',
    prediction: 'will the customer order again within 30 days?',
  },
});
