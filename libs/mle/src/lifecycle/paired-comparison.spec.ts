import {
  comparePaired,
  mcnemarExactPValue,
  pairedCounts,
  PairedCounts,
  wilsonInterval,
} from './paired-comparison';

function counts(a: number, b: number, c: number, d: number): PairedCounts {
  return { n: a + b + c + d, bothRight: a, onlyFirstRight: b, onlySecondRight: c, bothWrong: d };
}

// 2·P(X ≤ min(b, c)) for X ~ Binomial(b + c, 1/2) in exact integer arithmetic: a different route
// from the implementation's log-space sum, for checking it where doubles cannot hold C(m, k).
function exactMcnemar(b: number, c: number): number {
  const m = b + c;
  const k = Math.min(b, c);
  let term = 1n;
  let tail = 1n;
  for (let i = 1; i <= k; i++) {
    term = (term * BigInt(m - i + 1)) / BigInt(i);
    tail += term;
  }
  const scale = 10n ** 30n;
  return Math.min(1, Number((2n * tail * scale) / 2n ** BigInt(m)) / 1e30);
}

describe(pairedCounts.name, () => {
  it('should put each row in one cell when predictions and labels vary', () => {
    const rows = [
      { first: true, second: true, actual: true },
      { first: false, second: false, actual: false },
      { first: true, second: false, actual: true },
      { first: false, second: true, actual: true },
      { first: true, second: false, actual: false },
      { first: true, second: true, actual: false },
      { first: false, second: true, actual: false },
    ];

    const result = pairedCounts(rows);

    expect(result).toEqual({
      n: 7,
      bothRight: 2,
      onlyFirstRight: 2,
      onlySecondRight: 2,
      bothWrong: 1,
      agreeing: 3,
    });
  });

  it('should count nothing when there are no rows', () => {
    expect(pairedCounts([])).toEqual({
      n: 0,
      bothRight: 0,
      onlyFirstRight: 0,
      onlySecondRight: 0,
      bothWrong: 0,
      agreeing: 0,
    });
  });
});

describe(wilsonInterval.name, () => {
  it('should match the published interval when 81 of 263 succeed', () => {
    const { low, high } = wilsonInterval(81, 263);

    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
  });

  it('should start at exactly 0 when nothing succeeds', () => {
    const { low, high } = wilsonInterval(0, 10);

    expect(low).toBe(0);
    expect(high).toBeCloseTo(0.2775, 4);
    // The closed form leaves 2.8e-17 here.
    expect(wilsonInterval(0, 7).low).toBe(0);
  });

  it('should end at exactly 1 when everything succeeds', () => {
    const { low, high } = wilsonInterval(10, 10);

    expect(low).toBeCloseTo(0.7225, 4);
    expect(high).toBe(1);
  });

  it('should span [0, 1] when there are no rows', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('should narrow when n grows or z shrinks at the same proportion', () => {
    const width = ({ low, high }: { low: number; high: number }) => high - low;

    const small = width(wilsonInterval(50, 100));
    const large = width(wilsonInterval(500, 1000));
    const ninety = width(wilsonInterval(50, 100, 1.6448536269514722));

    expect(large).toBeLessThan(small);
    expect(ninety).toBeLessThan(small);
  });

  it('should throw when successes exceed n or a count is not a whole number', () => {
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(2.5, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError);
  });
});

describe(mcnemarExactPValue.name, () => {
  it('should match the binomial tail when the discordant pairs are few', () => {
    // 2·(1 + 10)/2^10 and 2·(1 + 10 + 45)/2^10.
    expect(mcnemarExactPValue(1, 9)).toBeCloseTo(0.021484375, 12);
    expect(mcnemarExactPValue(2, 8)).toBeCloseTo(0.109375, 12);
  });

  it('should not depend on which classifier won when b and c swap', () => {
    expect(mcnemarExactPValue(9, 1)).toBe(mcnemarExactPValue(1, 9));
  });

  it('should be 1 when the discordant pairs split evenly or there are none', () => {
    expect(mcnemarExactPValue(5, 5)).toBe(1);
    expect(mcnemarExactPValue(0, 0)).toBe(1);
  });

  it('should match exact integer arithmetic when there are thousands of discordant pairs', () => {
    const p = mcnemarExactPValue(5000, 5300);

    expect(p).toBeLessThan(0.01);
    expect(p / exactMcnemar(5000, 5300)).toBeCloseTo(1, 9);
  });

  it('should stay accurate when there are 100000 discordant pairs', () => {
    const p = mcnemarExactPValue(49500, 50500);

    expect(p / exactMcnemar(49500, 50500)).toBeCloseTo(1, 8);
  });

  it('should keep a tiny p-value when one side has no pairs', () => {
    // 2·2^-1000, far below what 2^-1000 times a binomial coefficient could be computed as.
    expect(mcnemarExactPValue(0, 1000) / 2 ** -999).toBeCloseTo(1, 12);
  });
});

describe(comparePaired.name, () => {
  it('should match the published interval when given the Cavo et al. (2012) table', () => {
    // Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables (2017), ch. 8:
    // Newcombe's square-and-add interval −0.0621 (−0.1186 to −0.0046) for first − second.
    const result = comparePaired(counts(59, 6, 16, 80));

    expect(result.first.accuracy).toBeCloseTo(65 / 161, 12);
    expect(result.second.accuracy).toBeCloseTo(75 / 161, 12);
    expect(result.difference.value).toBeCloseTo(0.0621, 4);
    expect(result.difference.interval.low).toBeCloseTo(0.0046, 4);
    expect(result.difference.interval.high).toBeCloseTo(0.1186, 4);
  });

  it('should combine the Wilson intervals as independent when the association is within n/2', () => {
    // a·d − b·c = 1 ≤ n/2 = 5, so Newcombe's correction sets phi to 0.
    const result = comparePaired(counts(5, 2, 2, 1));

    const { low: l1, high: u1 } = wilsonInterval(7, 10);
    const halfWidth = Math.hypot(0.7 - l1, u1 - 0.7);
    expect(result.difference.value).toBe(0);
    expect(result.difference.interval.low).toBeCloseTo(-halfWidth, 12);
    expect(result.difference.interval.high).toBeCloseTo(halfWidth, 12);
    expect(halfWidth).toBeCloseTo(0.359, 3);
  });

  it('should combine the Wilson intervals as independent when a margin is empty', () => {
    // Nobody is wrong on the first only or on both: b + d = 0.
    const result = comparePaired(counts(3, 0, 7, 0));

    const [l1, u1] = [wilsonInterval(3, 10).low, wilsonInterval(3, 10).high];
    const [l2, u2] = [wilsonInterval(10, 10).low, wilsonInterval(10, 10).high];
    expect(result.difference.value).toBeCloseTo(0.7, 12);
    expect(result.difference.interval.low).toBeCloseTo(0.7 - Math.hypot(1 - l2, u1 - 0.3), 12);
    expect(result.difference.interval.high).toBeCloseTo(0.7 + Math.hypot(u2 - 1, 0.3 - l1), 12);
  });

  it('should give a symmetric interval around 0 that narrows with n when the data are symmetric', () => {
    const [small, medium, large] = [1, 2, 4].map(
      (k) => comparePaired(counts(10 * k, 5 * k, 5 * k, 10 * k)).difference,
    );

    for (const { value, interval } of [small, medium, large]) {
      expect(value).toBe(0);
      expect(interval.low).toBeCloseTo(-interval.high, 12);
      expect(interval.low).toBeLessThan(0);
    }
    expect(medium.interval.high).toBeLessThan(small.interval.high);
    expect(large.interval.high).toBeLessThan(medium.interval.high);
    expect(small.interval.high).toBeCloseTo(0.204, 3);
  });

  it('should contain the point estimate and mirror it when the classifiers swap', () => {
    const forward = comparePaired(counts(36, 12, 2, 0)).difference;
    const backward = comparePaired(counts(36, 2, 12, 0)).difference;

    expect(forward.value).toBeCloseTo(-0.2, 12);
    expect(forward.interval.low).toBeLessThan(forward.value);
    expect(forward.interval.high).toBeGreaterThan(forward.value);
    expect(backward.value).toBeCloseTo(0.2, 12);
    expect(backward.interval.low).toBeCloseTo(-forward.interval.high, 12);
    expect(backward.interval.high).toBeCloseTo(-forward.interval.low, 12);
  });

  it('should stay inside [−1, 1] when one classifier is always right and the other never', () => {
    const { difference } = comparePaired(counts(0, 0, 3, 0));

    expect(difference.value).toBe(1);
    expect(difference.interval.high).toBe(1);
    expect(difference.interval.low).toBeGreaterThan(0);
  });

  it('should run McNemar on the discordant pairs when comparing', () => {
    const { mcnemar } = comparePaired(counts(40, 1, 9, 50));

    expect(mcnemar).toEqual({
      discordant: 10,
      onlyFirstRight: 1,
      onlySecondRight: 9,
      pValue: mcnemarExactPValue(1, 9),
    });
  });

  it('should be uninformative when there are no rows', () => {
    const result = comparePaired(counts(0, 0, 0, 0));

    expect(result.first).toEqual({ accuracy: 0, interval: { low: 0, high: 1 } });
    expect(result.difference).toEqual({ value: 0, interval: { low: -1, high: 1 } });
    expect(result.mcnemar.pValue).toBe(1);
  });

  it('should carry the agreement when the counts come from pairedCounts', () => {
    const tallied = pairedCounts([
      { first: true, second: true, actual: true },
      { first: true, second: false, actual: true },
    ]);

    expect(comparePaired(tallied).agreeing).toBe(1);
    expect(comparePaired(counts(1, 1, 0, 0))).not.toHaveProperty('agreeing');
  });

  it('should throw when the cells do not add up to n', () => {
    expect(() => comparePaired({ ...counts(5, 2, 2, 1), n: 11 })).toThrow(RangeError);
  });
});
