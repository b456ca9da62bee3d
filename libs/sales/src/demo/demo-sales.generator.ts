import type { CopyValue, DemoOptions, Features } from '@app/mle';
import {
  CHANNELS,
  LABEL_DELAY_DAYS,
  PRODUCT_CATEGORIES,
  REGIONS,
  type Channel,
  type ProductCategory,
  type Region,
} from '../sale.constants';

/** One generated sale: every column of `sales` except the identity `id`. */
export interface DemoSaleRow {
  soldAt: Date;
  customerId: number;
  region: Region;
  channel: Channel;
  productCategory: ProductCategory;
  /** Two decimals, >= 0.01. */
  unitPrice: number;
  quantity: number;
  /** Two decimals, in [0, 100]. */
  discountPct: number;
  promo: boolean;
  customerTenureDays: number;
  itemsInBasket: number;
  reordered: boolean | null;
  labelUpdatedAt: Date | null;
}

/**
 * Rows fall in [now - days, now) (180 days by default); the last LABEL_DELAY_DAYS days are
 * unlabelled. From `driftFrom` on, the hidden rule and the channel mix change (concept drift).
 * From `shiftFrom` on, the category mix, the prices and the customers who buy change while the
 * rule stays (covariate shift).
 */
export type DemoSalesOptions = DemoOptions;

/** The features the hidden rule reads. */
export type DemoSaleFeatures = Pick<
  DemoSaleRow,
  | 'channel'
  | 'productCategory'
  | 'unitPrice'
  | 'discountPct'
  | 'promo'
  | 'customerTenureDays'
  | 'itemsInBasket'
>;

/** Column order of `toCopyValues`, for `COPY sales (...) FROM STDIN`. */
export const DEMO_SALES_COPY_COLUMNS = [
  'sold_at',
  'customer_id',
  'region',
  'channel',
  'product_category',
  'unit_price',
  'quantity',
  'discount_pct',
  'promo',
  'customer_tenure_days',
  'items_in_basket',
  'reordered',
  'label_updated_at',
] as const;

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 180;
const FIRST_CUSTOMER_ID = 100_001;

type Weights<K extends string> = Readonly<Record<K, number>>;

const REGION_WEIGHTS: Weights<Region> = {
  north: 0.18,
  south: 0.27,
  east: 0.22,
  west: 0.23,
  central: 0.1,
};

// The drift moves sales from the web shop to partners as well as changing the rule.
const CHANNEL_WEIGHTS: Weights<Channel> = { online: 0.5, store: 0.35, partner: 0.15 };
const DRIFTED_CHANNEL_WEIGHTS: Weights<Channel> = { online: 0.3, store: 0.3, partner: 0.4 };

const CATEGORY_WEIGHTS: Weights<ProductCategory> = {
  electronics: 0.1,
  grocery: 0.22,
  apparel: 0.15,
  home: 0.12,
  beauty: 0.11,
  toys: 0.08,
  sports: 0.09,
  books: 0.13,
};

// The shift moves the shop upmarket: electronics and home goods take share from groceries,
// beauty and books.
const SHIFTED_CATEGORY_WEIGHTS: Weights<ProductCategory> = {
  electronics: 0.22,
  grocery: 0.08,
  apparel: 0.15,
  home: 0.2,
  beauty: 0.08,
  toys: 0.08,
  sports: 0.09,
  books: 0.1,
};

/** Log-normal unit price per category: median and sigma of ln(price). */
const PRICE: Readonly<Record<ProductCategory, { median: number; sigma: number }>> = {
  electronics: { median: 180, sigma: 0.8 },
  grocery: { median: 6, sigma: 0.5 },
  apparel: { median: 35, sigma: 0.6 },
  home: { median: 45, sigma: 0.7 },
  beauty: { median: 18, sigma: 0.5 },
  toys: { median: 22, sigma: 0.6 },
  sports: { median: 40, sigma: 0.7 },
  books: { median: 14, sigma: 0.4 },
};

// Groceries come by the dozen; a second television is rare.
const QUANTITY_CONTINUE: Readonly<Record<ProductCategory, number>> = {
  electronics: 0.1,
  grocery: 0.55,
  apparel: 0.3,
  home: 0.2,
  beauty: 0.35,
  toys: 0.25,
  sports: 0.2,
  books: 0.25,
};

// After the shift every price is this much higher (a new, dearer range).
const SHIFTED_PRICE_FACTOR = 1.3;

// After the shift a loyalty scheme keeps the long-standing customers coming while fewer new ones
// arrive: a purchase by a customer of `tenure` days is kept with probability
// min(1, (tenure + LOYAL_TENURE_FLOOR_DAYS) / LOYAL_TENURE_DAYS), else another customer is drawn.
const LOYAL_TENURE_DAYS = 720;
const LOYAL_TENURE_FLOOR_DAYS = 60;
// Bounds the redraws; the last customer drawn makes the purchase.
const LOYAL_DRAWS = 8;

const PROMO_RATE: Readonly<Record<ProductCategory, number>> = {
  electronics: 0.2,
  grocery: 0.3,
  apparel: 0.3,
  home: 0.22,
  beauty: 0.28,
  toys: 0.25,
  sports: 0.22,
  books: 0.18,
};

const BASKET_MEDIAN: Readonly<Record<Channel, number>> = { online: 2.5, store: 4, partner: 1.5 };

/** Coefficients of the hidden logistic rule, on standardised features. */
interface RuleCoefficients {
  intercept: number;
  tenure: number;
  price: number;
  discount: number;
  promo: number;
  basket: number;
  channel: Readonly<Record<Channel, number>>;
  category: Readonly<Record<ProductCategory, number>>;
}

const RULE: RuleCoefficients = {
  intercept: 0.2,
  tenure: 2.4,
  price: -1.4,
  discount: 0.5,
  promo: 0.8,
  basket: 0.9,
  channel: { online: 0.4, store: 0, partner: -1 },
  category: {
    electronics: -1.5,
    grocery: 1.2,
    apparel: 0,
    home: -0.5,
    beauty: 0.7,
    toys: -0.3,
    sports: -0.6,
    books: 0.4,
  },
};

// After the drift long-standing, big-basket customers stop coming back (a competitor's loyalty
// scheme wins them over), partner and store sales start to return while online ones stop, and
// electronics buyers come back for accessories. High prices deter more; discount and promo
// keep their effects.
const DRIFTED_RULE: RuleCoefficients = {
  ...RULE,
  intercept: -0.4,
  tenure: -1.8,
  price: -1.8,
  basket: -1.0,
  channel: { online: -0.6, store: 0.4, partner: 0.8 },
  category: { ...RULE.category, electronics: 1.5 },
};

// Fixed standardisation constants (close to the generated marginals), so the rule of one row
// never depends on the others.
const LOG_TENURE_MEAN = 5.75;
const LOG_TENURE_SD = 0.8;
const LOG_PRICE_MEAN = 3.15;
const LOG_PRICE_SD = 1.15;
const LOG_BASKET_MEAN = 1.05;
const LOG_BASKET_SD = 0.7;

/**
 * The hidden rule's log-odds that the customer reorders: a linear function of standardised
 * ln(1 + tenure), ln(unit price) and ln(basket size), discount / 10, promo, and channel and
 * category effects. `drifted` selects the rule in force from `driftFrom` on.
 */
export function reorderLogit(row: DemoSaleFeatures, drifted: boolean): number {
  const rule = drifted ? DRIFTED_RULE : RULE;
  const tenure = (Math.log1p(row.customerTenureDays) - LOG_TENURE_MEAN) / LOG_TENURE_SD;
  const price = (Math.log(row.unitPrice) - LOG_PRICE_MEAN) / LOG_PRICE_SD;
  const basket = (Math.log(row.itemsInBasket) - LOG_BASKET_MEAN) / LOG_BASKET_SD;
  return (
    rule.intercept +
    rule.tenure * tenure +
    rule.price * price +
    rule.discount * (row.discountPct / 10) +
    rule.promo * (row.promo ? 1 : 0) +
    rule.basket * basket +
    rule.channel[row.channel] +
    rule.category[row.productCategory]
  );
}

/** The hidden rule's probability that the customer reorders within 30 days. */
export function reorderProbability(row: DemoSaleFeatures, drifted: boolean): number {
  return 1 / (1 + Math.exp(-reorderLogit(row, drifted)));
}

/**
 * Yields `rows` synthetic sales in `soldAt` order over the `days` days before `now`, one at a
 * time (a million rows need no more memory than ten). Same options, same rows.
 */
export function* generateDemoSales(options: DemoSalesOptions): Generator<DemoSaleRow> {
  const { rows, seed, now } = options;
  const days = options.days ?? DEFAULT_DAYS;
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`rows must be >= 0: ${rows}`);
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`days must be > 0: ${days}`);
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) throw new RangeError('now must be a valid date');

  const startMs = nowMs - days * DAY_MS;
  const driftMs = options.driftFrom?.getTime() ?? Infinity;
  const shiftMs = options.shiftFrom?.getTime() ?? Infinity;
  // About four purchases per customer on average, far more for the heavy buyers.
  const customers = Math.max(50, Math.round(rows / 4));
  const slotMs = (nowMs - startMs) / Math.max(rows, 1);
  const random = new SeededRandom(seed);

  for (let i = 0; i < rows; i++) {
    // One jittered instant per equal slot keeps the stream sorted without buffering it.
    const soldAtMs = Math.floor(startMs + (i + random.next()) * slotMs);
    const drifted = soldAtMs >= driftMs;
    // Only the inputs shift: the label below still follows the rule `drifted` selects.
    const shifted = soldAtMs >= shiftMs;
    const elapsedDays = Math.floor((soldAtMs - startMs) / DAY_MS);

    let customerId = FIRST_CUSTOMER_ID + customerRank(customers, random.next());
    let customer = customerTraits(seed, customerId);
    for (let draw = 1; shifted && draw < LOYAL_DRAWS; draw++) {
      const tenure = customer.tenureAtStartDays + elapsedDays;
      if (random.next() * LOYAL_TENURE_DAYS < tenure + LOYAL_TENURE_FLOOR_DAYS) break;
      customerId = FIRST_CUSTOMER_ID + customerRank(customers, random.next());
      customer = customerTraits(seed, customerId);
    }

    const channel = pick(
      CHANNELS,
      drifted ? DRIFTED_CHANNEL_WEIGHTS : CHANNEL_WEIGHTS,
      random.next(),
    );
    const productCategory = pick(
      PRODUCT_CATEGORIES,
      shifted ? SHIFTED_CATEGORY_WEIGHTS : CATEGORY_WEIGHTS,
      random.next(),
    );
    const price = PRICE[productCategory];
    const median = shifted ? price.median * SHIFTED_PRICE_FACTOR : price.median;
    const unitPrice = Math.max(0.01, round2(median * Math.exp(price.sigma * random.normal())));
    const quantity = 1 + geometric(QUANTITY_CONTINUE[productCategory], random.next(), 99);
    const promo = random.next() < PROMO_RATE[productCategory];
    const discountPct = promo
      ? round2(clamp(20 + 10 * random.normal(), 5, 70))
      : // A few loyalty or staff discounts outside promotions.
        round2(random.next() < 0.15 ? 2 + 8 * random.next() : 0);
    const itemsInBasket = Math.max(
      quantity,
      Math.round(BASKET_MEDIAN[channel] * Math.exp(0.7 * random.normal())),
      1,
    );
    const customerTenureDays = customer.tenureAtStartDays + elapsedDays;

    const features: DemoSaleFeatures = {
      channel,
      productCategory,
      unitPrice,
      discountPct,
      promo,
      customerTenureDays,
      itemsInBasket,
    };
    // Drawn for unlabelled rows too, so that the later rows do not depend on the label delay.
    const outcome = random.next() < reorderProbability(features, drifted);
    // Ground truth arrives LABEL_DELAY_DAYS after the sale; until then (so never after `now`) it
    // is unknown.
    const labelAtMs = soldAtMs + LABEL_DELAY_DAYS * DAY_MS;
    const labelled = labelAtMs <= nowMs;

    yield {
      soldAt: new Date(soldAtMs),
      customerId,
      region: customer.region,
      ...features,
      quantity,
      reordered: labelled ? outcome : null,
      labelUpdatedAt: labelled ? new Date(labelAtMs) : null,
    };
  }
}

/** A row's values in the order of `DEMO_SALES_COPY_COLUMNS` (prices and percentages with two decimals, as the columns keep them). */
export function toCopyValues(row: DemoSaleRow): CopyValue[] {
  return [
    row.soldAt,
    row.customerId,
    row.region,
    row.channel,
    row.productCategory,
    row.unitPrice.toFixed(2),
    row.quantity,
    row.discountPct.toFixed(2),
    row.promo,
    row.customerTenureDays,
    row.itemsInBasket,
    row.reordered,
    row.labelUpdatedAt,
  ];
}

/** A row's features, keyed as the model's schema names them (the columns of `sales`). */
export function demoSaleFeatures(row: DemoSaleRow): Features {
  return {
    region: row.region,
    channel: row.channel,
    product_category: row.productCategory,
    unit_price: row.unitPrice,
    quantity: row.quantity,
    discount_pct: row.discountPct,
    promo: row.promo,
    customer_tenure_days: row.customerTenureDays,
    items_in_basket: row.itemsInBasket,
  };
}

// Heavy buyers: the first 5% of the customers make 30% of the purchases on top of their share
// of the rest, about ten times as many each as the others.
const HEAVY_BUYER_SHARE = 0.05;
const HEAVY_BUYER_PURCHASES = 0.3;

function customerRank(customers: number, u: number): number {
  if (u < HEAVY_BUYER_PURCHASES) {
    const heavy = Math.max(1, Math.round(customers * HEAVY_BUYER_SHARE));
    return Math.floor((heavy * u) / HEAVY_BUYER_PURCHASES);
  }
  return Math.floor((customers * (u - HEAVY_BUYER_PURCHASES)) / (1 - HEAVY_BUYER_PURCHASES));
}

/** A customer's fixed traits, derived from the seed and the id so repeat purchases agree. */
function customerTraits(
  seed: number,
  customerId: number,
): { region: Region; tenureAtStartDays: number } {
  const u1 = hashToUnit(seed, customerId, 1);
  const u2 = hashToUnit(seed, customerId, 2);
  const u3 = hashToUnit(seed, customerId, 3);
  // Log-normal tenure: many recent sign-ups, a long tail of customers of many years.
  const normal = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  const tenureAtStartDays = Math.min(7300, Math.floor(200 * Math.exp(1.1 * normal)));
  return { region: pick(REGIONS, REGION_WEIGHTS, u3), tenureAtStartDays };
}

function pick<K extends string>(values: readonly K[], weights: Weights<K>, u: number): K {
  let left = u;
  for (const value of values) {
    left -= weights[value];
    if (left < 0) return value;
  }
  // Rounding of the weights' sum can leave u just above it.
  return values[values.length - 1];
}

/** Failures before the first success when each trial continues with probability `p`. */
function geometric(p: number, u: number, max: number): number {
  return Math.min(max, Math.floor(Math.log(1 - u) / Math.log(p)));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A uniform in [0, 1) from a 32-bit avalanche hash (murmur3 finaliser) of three integers. */
function hashToUnit(a: number, b: number, c: number): number {
  let h =
    Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35) ^ Math.imul(c, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}

/** sfc32 (Chris Doty-Humphrey's small fast counter), seeded through splitmix32. */
class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let state = seed | 0;
    const splitmix = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    // Discard the first outputs, which still echo the seed.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }

  /** A standard normal by Box–Muller; the second value of each pair is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}
