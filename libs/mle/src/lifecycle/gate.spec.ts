import { gateReport } from './gate';

const counts = (
  bothRight: number,
  onlyFirstRight: number,
  onlySecondRight: number,
  bothWrong: number,
) => ({
  n: bothRight + onlyFirstRight + onlySecondRight + bothWrong,
  bothRight,
  onlyFirstRight,
  onlySecondRight,
  bothWrong,
  agreeing: bothRight + bothWrong,
});

describe(gateReport.name, () => {
  const holdout = { from: '2026-10-01T00:00:00.000Z', to: '2026-10-20T00:00:00.000Z' };

  it('should pass a challenger above the threshold and above the champion on the same rows', () => {
    // Champion right on 600 of 1000, challenger on 800.
    const report = gateReport({
      challengerVersion: 'new',
      championVersion: 'old',
      paired: counts(550, 50, 250, 150),
      threshold: 0.7,
      holdout,
    });

    expect(report.passed).toBe(true);
    expect(report.challenger).toMatchObject({ version: 'new', accuracy: 0.8 });
    expect(report.champion).toMatchObject({ version: 'old', accuracy: 0.6 });
    expect(report.difference!.value).toBeCloseTo(0.2);
    expect(report.difference!.interval.low).toBeGreaterThan(0);
    expect(report.mcnemar).toMatchObject({ onlyChampionRight: 50, onlyChallengerRight: 250 });
    expect(report.mcnemar!.pValue).toBeLessThan(1e-6);
    expect(report.agreement).toBeCloseTo(0.7);
    expect(report.holdout).toEqual({ rows: 1000, ...holdout });
  });

  it('should fail a challenger below the threshold even when it beats the champion', () => {
    const report = gateReport({
      challengerVersion: 'new',
      championVersion: 'old',
      paired: counts(500, 50, 150, 300),
      threshold: 0.7,
      holdout,
    });

    expect(report.challenger.accuracy).toBeCloseTo(0.65);
    expect(report.passed).toBe(false);
    expect(report.reasons[0]).toMatch(/65\.0% .* below the threshold 70\.0%/);
  });

  it('should fail a challenger below the champion even when it is above the threshold', () => {
    const report = gateReport({
      challengerVersion: 'new',
      championVersion: 'old',
      paired: counts(700, 100, 50, 150),
      threshold: 0.7,
      holdout,
    });

    expect(report.challenger.accuracy).toBeCloseTo(0.75);
    expect(report.champion!.accuracy).toBeCloseTo(0.8);
    expect(report.passed).toBe(false);
    expect(report.reasons[1]).toMatch(/the challenger is below it/);
  });

  it('should judge by the threshold alone when there is no champion', () => {
    const report = gateReport({
      challengerVersion: 'new',
      championUnavailable: 'its files are corrupted',
      paired: counts(800, 0, 0, 200),
      threshold: 0.7,
      holdout,
    });

    expect(report.passed).toBe(true);
    expect(report.champion).toBeUndefined();
    expect(report.reasons[1]).toMatch(/its files are corrupted/);
  });
});
