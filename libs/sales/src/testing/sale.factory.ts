import { Sale } from '../sale.entity';

let sequence = 0;

/** A valid sale with every column set; override what the test is about. */
export function newSale(overrides: Partial<Sale> = {}): Omit<Sale, 'id'> {
  sequence += 1;
  return {
    soldAt: new Date(Date.UTC(2026, 0, 1) + sequence * 60_000),
    customerId: String(1000 + sequence),
    region: 'north',
    channel: 'online',
    productCategory: 'books',
    unitPrice: 19.99,
    quantity: 1,
    discountPct: 0,
    promo: false,
    customerTenureDays: 120,
    itemsInBasket: 2,
    reordered: null,
    labelUpdatedAt: null,
    ...overrides,
  };
}
