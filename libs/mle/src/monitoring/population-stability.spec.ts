import { driftLevel, populationStabilityIndex } from './population-stability';

describe(populationStabilityIndex.name, () => {
  const numeric = {
    kind: 'numeric' as const,
    edges: [10, 20, 30],
    proportions: [0.25, 0.25, 0.25, 0.25],
  };

  it('should be 0 when traffic matches the reference', () => {
    const actual = new Map([
      ['0', 100],
      ['1', 100],
      ['2', 100],
      ['3', 100],
    ]);
    expect(populationStabilityIndex(numeric, actual)).toBeCloseTo(0, 12);
  });

  it('should match a hand-computed value', () => {
    // a = [0.1, 0.2, 0.3, 0.4] against e = 0.25 each.
    const actual = new Map([
      ['0', 10],
      ['1', 20],
      ['2', 30],
      ['3', 40],
    ]);
    const expected = [0.1, 0.2, 0.3, 0.4].reduce(
      (psi, a) => psi + (a - 0.25) * Math.log(a / 0.25),
      0,
    );
    expect(populationStabilityIndex(numeric, actual)).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.2282, 4);
  });

  it('should stay finite when a bin is empty on either side', () => {
    const categorical = { kind: 'categorical' as const, proportions: { a: 1, b: 0 } };
    const psi = populationStabilityIndex(categorical, new Map([['b', 50]]));
    expect(Number.isFinite(psi)).toBe(true);
    expect(driftLevel(psi, 0.1, 0.25)).toBe('significant');
  });
});

describe(driftLevel.name, () => {
  it('should read PSI with the usual cut-offs', () => {
    expect([0.05, 0.1, 0.2, 0.25, 0.9].map((psi) => driftLevel(psi, 0.1, 0.25))).toEqual([
      'stable',
      'moderate',
      'moderate',
      'significant',
      'significant',
    ]);
  });
});
