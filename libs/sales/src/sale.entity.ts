import { Column, Entity, PrimaryGeneratedColumn, ValueTransformer } from 'typeorm';
import type { Channel } from './sale.constants';

// pg returns bigint and numeric as strings to avoid precision loss. Sale ids stay strings
// (they can exceed 2^53); prices and percentages fit a double exactly enough.
const numeric: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/** One sale, with its features and the late-arriving label `reordered`. */
@Entity({ name: 'sales' })
export class Sale {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ name: 'sold_at', type: 'timestamptz' })
  soldAt!: Date;

  @Column({ name: 'customer_id', type: 'bigint' })
  customerId!: string;

  @Column({ type: 'text' })
  region!: string;

  @Column({ type: 'text' })
  channel!: Channel;

  @Column({ name: 'product_category', type: 'text' })
  productCategory!: string;

  @Column({ name: 'unit_price', type: 'numeric', precision: 12, scale: 2, transformer: numeric })
  unitPrice!: number;

  @Column({ type: 'int' })
  quantity!: number;

  @Column({ name: 'discount_pct', type: 'numeric', precision: 5, scale: 2, transformer: numeric })
  discountPct!: number;

  @Column({ type: 'boolean' })
  promo!: boolean;

  @Column({ name: 'customer_tenure_days', type: 'int' })
  customerTenureDays!: number;

  @Column({ name: 'items_in_basket', type: 'int' })
  itemsInBasket!: number;

  /** Did the customer order again within 30 days? NULL until that is known. */
  @Column({ type: 'boolean', nullable: true })
  reordered!: boolean | null;

  /** When the label became known, as its writer says. (`label_changed_at`, kept by a trigger, is not mapped.) */
  @Column({ name: 'label_updated_at', type: 'timestamptz', nullable: true })
  labelUpdatedAt!: Date | null;
}
