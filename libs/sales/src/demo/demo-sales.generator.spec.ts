import { createHash } from 'node:crypto';
import { CHANNELS, LABEL_DELAY_DAYS, PRODUCT_CATEGORIES, REGIONS } from '../sale.constants';
import {
  DEMO_SALES_COPY_COLUMNS,
  generateDemoSales,
  reorderProbability,
  toCopyValues,
  type DemoSaleRow,
  type DemoSalesOptions,
} from './demo-sales.generator';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-03-01T00:00:00.000Z');
const DRIFT_FROM = new Date(NOW.getTime() - 90 * DAY_MS);
const SHIFT_FROM = new Date(NOW.getTime() - 90 * DAY_MS);

function generate(options: Partial<DemoSalesOptions> = {}): DemoSaleRow[] {
  return [...generateDemoSales({ rows: 2_000, seed: 42, now: NOW, ...options })];
}

function isLabelled(row: DemoSaleRow): row is DemoSaleRow & { reordered: boolean } {
  return row.reordered !== null;
}

function hasTwoDecimals(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value * 100 - Math.round(value * 100)) < 1e-6;
}

// A deliberately plain reference model, independent of the service's own: hand-encoded features,
// standardised on the training rows, fitted by batch gradient descent on the log-loss.
function encode(row: DemoSaleRow): number[] {
  return [
    Math.log1p(row.customerTenureDays),
    Math.log(row.unitPrice),
    Math.log(row.itemsInBasket),
    Math.log(row.quantity),
    row.discountPct,
    row.promo ? 1 : 0,
    ...CHANNELS.slice(1).map((channel) => (row.channel === channel ? 1 : 0)),
    ...PRODUCT_CATEGORIES.slice(1).map((category) => (row.productCategory === category ? 1 : 0)),
  ];
}

function trainReferenceClassifier(
  rows: readonly (DemoSaleRow & { reordered: boolean })[],
): (row: DemoSaleRow) => boolean {
  const xs = rows.map(encode);
  const width = xs[0].length;
  const mean = new Float64Array(width);
  const sd = new Float64Array(width);
  for (const x of xs) for (let j = 0; j < width; j++) mean[j] += x[j] / xs.length;
  for (const x of xs) for (let j = 0; j < width; j++) sd[j] += (x[j] - mean[j]) ** 2 / xs.length;
  for (let j = 0; j < width; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const standardise = (x: number[]): number[] => x.map((v, j) => (v - mean[j]) / sd[j]);
  for (let i = 0; i < xs.length; i++) xs[i] = standardise(xs[i]);

  // The last weight is the bias.
  const weights = new Float64Array(width + 1);
  const logit = (x: number[]): number => {
    let z = weights[width];
    for (let j = 0; j < width; j++) z += weights[j] * x[j];
    return z;
  };
  const gradient = new Float64Array(width + 1);
  for (let epoch = 0; epoch < 300; epoch++) {
    gradient.fill(0);
    for (let i = 0; i < xs.length; i++) {
      const error = 1 / (1 + Math.exp(-logit(xs[i]))) - (rows[i].reordered ? 1 : 0);
      for (let j = 0; j < width; j++) gradient[j] += error * xs[i][j];
      gradient[width] += error;
    }
    for (let j = 0; j <= width; j++) weights[j] -= (0.5 * gradient[j]) / xs.length;
  }
  return (row) => logit(standardise(encode(row))) >= 0;
}

function accuracy(
  predict: (row: DemoSaleRow) => boolean,
  rows: readonly (DemoSaleRow & { reordered: boolean })[],
): number {
  return rows.filter((row) => predict(row) === row.reordered).length / rows.length;
}

const line = (row: DemoSaleRow) => JSON.stringify(toCopyValues(row));

function sha256(rows: readonly DemoSaleRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${line(row)}\n`);
  return hash.digest('hex');
}

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const average = (values: readonly number[]): number =>
  values.reduce((s, v) => s + v, 0) / values.length;

// The kit's Population Stability Index, written out: Σ (a − e)·ln(a / e) over the reference's
// values, with the same floor for empty ones.
function populationStability(expected: readonly string[], actual: readonly string[]): number {
  const share = (values: readonly string[], key: string): number =>
    Math.max(values.filter((value) => value === key).length / values.length, 1e-4);
  let psi = 0;
  for (const key of new Set(expected)) {
    const e = share(expected, key);
    const a = share(actual, key);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/** Bins a number into the reference's deciles as the kit does: the count of edges <= value. */
function decileOf(reference: readonly number[]): (value: number) => string {
  const sorted = [...reference].sort((a, b) => a - b);
  const edges = Array.from(
    { length: 9 },
    (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / 10)],
  );
  return (value) => String(edges.filter((edge) => edge <= value).length);
}

function featureStability(
  before: readonly DemoSaleRow[],
  after: readonly DemoSaleRow[],
): { productCategory: number; unitPrice: number } {
  const category = (rows: readonly DemoSaleRow[]) => rows.map((row) => row.productCategory);
  const decile = decileOf(before.map((row) => row.unitPrice));
  const price = (rows: readonly DemoSaleRow[]) => rows.map((row) => decile(row.unitPrice));
  return {
    productCategory: populationStability(category(before), category(after)),
    unitPrice: populationStability(price(before), price(after)),
  };
}

// Mean gap, over quintiles of the rule's probability, between that probability and the observed
// reorder rate: small when the labels follow the rule.
function calibrationGap(
  rows: readonly (DemoSaleRow & { reordered: boolean })[],
  probability: (row: DemoSaleRow) => number,
): number {
  const scored = rows
    .map((row) => ({ p: probability(row), y: row.reordered ? 1 : 0 }))
    .sort((a, b) => a.p - b.p);
  let gap = 0;
  for (let q = 0; q < 5; q++) {
    const bin = scored.slice(
      Math.floor((q * scored.length) / 5),
      Math.floor(((q + 1) * scored.length) / 5),
    );
    gap += Math.abs(average(bin.map((s) => s.y)) - average(bin.map((s) => s.p))) / 5;
  }
  return gap;
}

describe(generateDemoSales.name, () => {
  const drifting = generate({ rows: 20_000, driftFrom: DRIFT_FROM });
  const labelled = drifting.filter(isLabelled);
  const preDrift = labelled.filter((row) => row.soldAt < DRIFT_FROM);
  const postDrift = labelled.filter((row) => row.soldAt >= DRIFT_FROM);

  it('should yield identical rows when the options are the same', () => {
    // Arrange
    const options = { rows: 1_000, seed: 7, now: NOW, driftFrom: DRIFT_FROM };

    // Act
    const first = [...generateDemoSales(options)];
    const second = [...generateDemoSales({ ...options })];

    // Assert
    expect(second).toEqual(first);
  });

  it('should yield different rows when the seed differs', () => {
    // Act
    const a = generate({ seed: 1 });
    const b = generate({ seed: 2 });

    // Assert
    const same = a.filter((row, i) => line(row) === line(b[i])).length;
    expect(same).toBe(0);
  });

  it('should keep the rows before driftFrom unchanged when a drift is added', () => {
    // Arrange
    const plain = generate({ rows: 20_000 });

    // Act
    const changed = drifting.filter((row, i) => line(row) !== line(plain[i]));

    // Assert
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((row) => row.soldAt >= DRIFT_FROM)).toBe(true);
  });

  it('should yield the rows it yielded before shiftFrom existed when shiftFrom is unset', () => {
    // Arrange: digests of the first 500 rows as the generator wrote them before the option.
    const plainDigest = '3bd5bb38b2d5b5d4af0372ac342dfb0a18c9cad31bfc548c8a40f881703a7fac';
    const driftDigest = '323a17a67c656ca0b00fc509d93f36bf4885b27fe876f0be223b5e68ce7e8063';

    // Act
    const plain = sha256(generate({ rows: 500 }));
    const drifted = sha256(generate({ rows: 500, driftFrom: DRIFT_FROM }));

    // Assert
    expect(plain).toBe(plainDigest);
    expect(drifted).toBe(driftDigest);
  });

  it('should yield the requested rows in time order within the window when days is given', () => {
    // Act
    const rows = generate({ rows: 500, days: 60 });

    // Assert
    expect(rows).toHaveLength(500);
    expect(rows[0].soldAt.getTime()).toBeGreaterThanOrEqual(NOW.getTime() - 60 * DAY_MS);
    expect(rows[rows.length - 1].soldAt.getTime()).toBeLessThan(NOW.getTime());
    const outOfOrder = rows.filter((row, i) => i > 0 && row.soldAt < rows[i - 1].soldAt);
    expect(outOfOrder).toEqual([]);
  });

  it('should spread the rows over 180 days when days is omitted', () => {
    // Act
    const rows = generate();

    // Assert
    const first = rows[0].soldAt.getTime();
    const last = rows[rows.length - 1].soldAt.getTime();
    expect(first).toBeGreaterThanOrEqual(NOW.getTime() - 180 * DAY_MS);
    expect(first).toBeLessThan(NOW.getTime() - 179 * DAY_MS);
    expect(last).toBeGreaterThan(NOW.getTime() - DAY_MS);
  });

  it('should yield rows lazily when the window holds a billion of them', () => {
    // Act
    const iterator = generateDemoSales({ rows: 1_000_000_000, seed: 3, now: NOW });
    const firstTwo = [iterator.next(), iterator.next()];

    // Assert
    expect(firstTwo.map((result) => result.done)).toEqual([false, false]);
  });

  it('should satisfy every CHECK constraint of the sales table when generating rows', () => {
    // Act
    const violations = drifting.filter(
      (row) =>
        !(
          Number.isSafeInteger(row.customerId) &&
          row.customerId > 0 &&
          (REGIONS as readonly string[]).includes(row.region) &&
          (CHANNELS as readonly string[]).includes(row.channel) &&
          (PRODUCT_CATEGORIES as readonly string[]).includes(row.productCategory) &&
          hasTwoDecimals(row.unitPrice) &&
          row.unitPrice >= 0 &&
          row.unitPrice < 1e10 &&
          Number.isInteger(row.quantity) &&
          row.quantity > 0 &&
          hasTwoDecimals(row.discountPct) &&
          row.discountPct >= 0 &&
          row.discountPct <= 100 &&
          Number.isInteger(row.customerTenureDays) &&
          row.customerTenureDays >= 0 &&
          Number.isInteger(row.itemsInBasket) &&
          row.itemsInBasket >= 1 &&
          (row.reordered === null) === (row.labelUpdatedAt === null)
        ),
    );

    // Assert
    expect(violations).toEqual([]);
  });

  it('should label a sale LABEL_DELAY_DAYS after it when that moment has passed', () => {
    // Arrange
    const delayMs = LABEL_DELAY_DAYS * DAY_MS;

    // Act
    const wrong = drifting.filter((row) => {
      const due = row.soldAt.getTime() + delayMs;
      return due > NOW.getTime()
        ? row.reordered !== null || row.labelUpdatedAt !== null
        : row.reordered === null || row.labelUpdatedAt?.getTime() !== due;
    });

    // Assert
    expect(wrong).toEqual([]);
    expect(labelled.length).toBeGreaterThan(0);
    expect(labelled.length).toBeLessThan(drifting.length);
  });

  it('should mark between 35% and 65% of the labelled rows as reordered', () => {
    // Act
    const rate = labelled.filter((row) => row.reordered).length / labelled.length;

    // Assert
    expect(rate).toBeGreaterThanOrEqual(0.35);
    expect(rate).toBeLessThanOrEqual(0.65);
  });

  it('should produce skewed prices, baskets and repeat customers when generating', () => {
    // Arrange
    const promo = drifting.filter((row) => row.promo);
    const noPromo = drifting.filter((row) => !row.promo);
    const electronics = drifting.filter((row) => row.productCategory === 'electronics');
    const grocery = drifting.filter((row) => row.productCategory === 'grocery');

    // Act
    const prices = drifting.map((row) => row.unitPrice);
    const baskets = drifting.map((row) => row.itemsInBasket);
    const customers = new Set(drifting.map((row) => row.customerId));

    // Assert
    expect(average(prices)).toBeGreaterThan(1.5 * median(prices));
    expect(average(baskets)).toBeGreaterThan(median(baskets));
    expect(median(electronics.map((r) => r.unitPrice))).toBeGreaterThan(
      10 * median(grocery.map((r) => r.unitPrice)),
    );
    expect(promo.length / drifting.length).toBeGreaterThanOrEqual(0.2);
    expect(promo.length / drifting.length).toBeLessThanOrEqual(0.3);
    expect(average(promo.map((r) => r.discountPct))).toBeGreaterThan(
      5 * average(noPromo.map((r) => r.discountPct)),
    );
    expect(customers.size).toBeLessThan(drifting.length / 2);
  });

  it('should be learnable before the drift and break that model after it when driftFrom is set', () => {
    // Arrange: train on the earlier 80% of the pre-drift rows, hold out the later 20%.
    const cut = Math.floor(preDrift.length * 0.8);
    const predict = trainReferenceClassifier(preDrift.slice(0, cut));

    // Act
    const holdoutAccuracy = accuracy(predict, preDrift.slice(cut));
    const postDriftAccuracy = accuracy(predict, postDrift);

    // Assert
    expect(postDrift.length).toBeGreaterThan(1_000);
    expect(holdoutAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(postDriftAccuracy).toBeLessThan(0.7);
  });

  it('should be learnable again when a model is trained on post-drift rows', () => {
    // Arrange
    const cut = Math.floor(postDrift.length * 0.8);
    const predict = trainReferenceClassifier(postDrift.slice(0, cut));

    // Act
    const holdoutAccuracy = accuracy(predict, postDrift.slice(cut));

    // Assert
    expect(holdoutAccuracy).toBeGreaterThanOrEqual(0.8);
  });

  describe('with shiftFrom', () => {
    const plain = generate({ rows: 20_000 });
    const shifting = generate({ rows: 20_000, shiftFrom: SHIFT_FROM });
    const preShift = shifting.filter((row) => row.soldAt < SHIFT_FROM);
    const postShift = shifting.filter((row) => row.soldAt >= SHIFT_FROM);
    const plainPostShift = plain.filter((row) => row.soldAt >= SHIFT_FROM);

    it('should keep the rows before shiftFrom unchanged when a shift is added', () => {
      // Act
      const changed = shifting.filter((row, i) => line(row) !== line(plain[i]));

      // Assert
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.every((row) => row.soldAt >= SHIFT_FROM)).toBe(true);
    });

    it('should move the category mix and the prices to a significant PSI when shiftFrom is set', () => {
      // Act
      const shifted = featureStability(preShift, postShift);
      const unshifted = featureStability(
        plain.filter((row) => row.soldAt < SHIFT_FROM),
        plainPostShift,
      );

      // Assert: past the kit's default significant level (0.25), and only because of the shift.
      expect(shifted.productCategory).toBeGreaterThanOrEqual(0.25);
      expect(shifted.unitPrice).toBeGreaterThanOrEqual(0.25);
      expect(unshifted.productCategory).toBeLessThan(0.05);
      expect(unshifted.unitPrice).toBeLessThan(0.05);
      expect(median(postShift.map((row) => row.unitPrice))).toBeGreaterThan(
        1.5 * median(preShift.map((row) => row.unitPrice)),
      );
    });

    it('should bring longer-standing customers after shiftFrom when shiftFrom is set', () => {
      // Act: tenures grow with time anyway, so the same days without the shift are the baseline.
      const shifted = median(postShift.map((row) => row.customerTenureDays));
      const unshifted = median(plainPostShift.map((row) => row.customerTenureDays));

      // Assert
      expect(shifted).toBeGreaterThan(1.2 * unshifted);
    });

    it('should label the shifted rows by the pre-drift rule when only shiftFrom is set', () => {
      // Act
      const gap = calibrationGap(postShift.filter(isLabelled), (row) =>
        reorderProbability(row, false),
      );

      // Assert
      expect(gap).toBeLessThan(0.04);
    });

    it('should label by the drifted rule when driftFrom applies as well', () => {
      // Arrange
      const both = generate({ rows: 20_000, shiftFrom: SHIFT_FROM, driftFrom: DRIFT_FROM });
      const after = both.filter((row) => row.soldAt >= DRIFT_FROM).filter(isLabelled);

      // Act
      const drifted = calibrationGap(after, (row) => reorderProbability(row, true));
      const original = calibrationGap(after, (row) => reorderProbability(row, false));

      // Assert
      expect(drifted).toBeLessThan(0.04);
      expect(original).toBeGreaterThan(0.1);
    });

    it('should keep the accuracy of a model trained before the shift when shiftFrom is set', () => {
      // Arrange: train on the earlier 80% of the pre-shift rows, hold out the later 20%.
      const labelledPreShift = preShift.filter(isLabelled);
      const cut = Math.floor(labelledPreShift.length * 0.8);
      const predict = trainReferenceClassifier(labelledPreShift.slice(0, cut));

      // Act
      const holdoutAccuracy = accuracy(predict, labelledPreShift.slice(cut));
      const postShiftAccuracy = accuracy(predict, postShift.filter(isLabelled));

      // Assert
      expect(holdoutAccuracy).toBeGreaterThanOrEqual(0.8);
      expect(postShiftAccuracy).toBeGreaterThanOrEqual(0.8);
      expect(Math.abs(postShiftAccuracy - holdoutAccuracy)).toBeLessThan(0.05);
    });
  });

  it('should throw a RangeError when rows is negative or days is not positive', () => {
    // Act / Assert
    expect(() => generate({ rows: -1 })).toThrow(RangeError);
    expect(() => generate({ days: 0 })).toThrow(RangeError);
  });
});

describe(reorderProbability.name, () => {
  const row = {
    channel: 'online',
    productCategory: 'grocery',
    unitPrice: 5,
    discountPct: 20,
    promo: true,
    customerTenureDays: 2_000,
    itemsInBasket: 6,
  } as const;

  it('should favour long-standing customers before the drift and recent ones after it', () => {
    // Arrange
    const newcomer = { ...row, customerTenureDays: 30 };

    // Act
    const before = reorderProbability(row, false) - reorderProbability(newcomer, false);
    const after = reorderProbability(row, true) - reorderProbability(newcomer, true);

    // Assert
    expect(before).toBeGreaterThan(0.2);
    expect(after).toBeLessThan(-0.2);
  });
});

describe(toCopyValues.name, () => {
  const unlabelled: DemoSaleRow = {
    soldAt: new Date('2026-02-20T13:45:06.789Z'),
    customerId: 100_042,
    region: 'central',
    channel: 'partner',
    productCategory: 'electronics',
    unitPrice: 1299,
    quantity: 1,
    discountPct: 12.5,
    promo: true,
    customerTenureDays: 0,
    itemsInBasket: 3,
    reordered: null,
    labelUpdatedAt: null,
  };

  it('should give null for the label columns when the row is unlabelled', () => {
    // Act
    const values = toCopyValues(unlabelled);

    // Assert
    expect(values).toEqual([
      new Date('2026-02-20T13:45:06.789Z'),
      100042,
      'central',
      'partner',
      'electronics',
      '1299.00',
      1,
      '12.50',
      true,
      0,
      3,
      null,
      null,
    ]);
    expect(values).toHaveLength(DEMO_SALES_COPY_COLUMNS.length);
  });

  it('should give the label and its time when the row is labelled', () => {
    // Arrange
    const row: DemoSaleRow = {
      ...unlabelled,
      unitPrice: 0.5,
      discountPct: 0,
      reordered: false,
      labelUpdatedAt: new Date('2025-12-31T00:00:00.000Z'),
    };

    // Act
    const values = toCopyValues(row);

    // Assert
    expect(values.slice(5, 8)).toEqual(['0.50', 1, '0.00']);
    expect(values.slice(-2)).toEqual([false, new Date('2025-12-31T00:00:00.000Z')]);
  });
});
