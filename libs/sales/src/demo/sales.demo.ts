import type { DemoData } from '@app/mle';
import {
  DEMO_SALES_COPY_COLUMNS,
  DemoSaleRow,
  demoSaleFeatures,
  generateDemoSales,
  toCopyValues,
} from './demo-sales.generator';

const example = {
  region: 'south',
  channel: 'online',
  product_category: 'grocery',
  unit_price: 6.49,
  quantity: 3,
  discount_pct: 10,
  promo: true,
  customer_tenure_days: 540,
  items_in_basket: 4,
};

/** Generated sales (see demo-sales.generator.ts), written to `sales` with COPY. */
export const salesDemo: DemoData<DemoSaleRow> = {
  examples: [
    example,
    { ...example, product_category: 'electronics', unit_price: 249 },
    {
      region: 'west',
      channel: 'partner',
      product_category: 'electronics',
      unit_price: 249,
      quantity: 1,
      discount_pct: 0,
      promo: false,
      customer_tenure_days: 20,
      items_in_basket: 1,
    },
  ],
  generate: generateDemoSales,
  describe: (row) => ({ features: demoSaleFeatures(row), label: row.reordered, at: row.soldAt }),
  async write(rows, writer) {
    await writer.copy(
      'sales',
      DEMO_SALES_COPY_COLUMNS,
      (function* () {
        for (const row of rows) yield toCopyValues(row);
      })(),
    );
  },
};
