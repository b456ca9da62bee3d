import type { FeatureSchema } from '@app/mle';
import { CHANNELS, PRODUCT_CATEGORIES, REGIONS } from '../sale.constants';

/**
 * The sales model's features: the columns of `sales` under the same names, as JSON carries them.
 * Bounds mirror the table's CHECK constraints; the upper bounds reject values no real sale has.
 */
export const SALES_FEATURE_SCHEMA: FeatureSchema = [
  { name: 'region', type: 'category', values: REGIONS },
  { name: 'channel', type: 'category', values: CHANNELS },
  { name: 'product_category', type: 'category', values: PRODUCT_CATEGORIES },
  { name: 'unit_price', type: 'number', min: 0, max: 1_000_000 },
  { name: 'quantity', type: 'integer', min: 1, max: 10_000 },
  { name: 'discount_pct', type: 'number', min: 0, max: 100 },
  { name: 'promo', type: 'boolean' },
  { name: 'customer_tenure_days', type: 'integer', min: 0, max: 36_500 },
  { name: 'items_in_basket', type: 'integer', min: 1, max: 10_000 },
];
