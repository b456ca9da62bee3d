import { PredictionRecord } from '../../prediction-log/prediction-record';
import { instantOf, parsePredictionLine } from './prediction-line.parser';

const record: PredictionRecord = {
  ts: '2026-11-01T10:00:00.123Z',
  requestId: 'req-1',
  inputId: '1001',
  features: { region: 'north', unit_price: 9.99, promo: true },
  prediction: true,
  probability: 0.82,
  model: 'test-model',
  modelVersion: 'v1',
  latencyMs: 1.5,
};
const line = (fields: Record<string, unknown>) => JSON.stringify({ ...record, ...fields });

describe(parsePredictionLine.name, () => {
  const { ts, ...fields } = record;
  const parsed = { ...fields, at: Date.parse(ts), shadow: false };

  it('should return the record with its time in milliseconds when every field is valid', () => {
    expect(parsePredictionLine(JSON.stringify(record))).toEqual(parsed);
  });

  it('should mark the prediction of a shadow version when the line says shadow: true', () => {
    expect(parsePredictionLine(line({ shadow: true }))).toEqual({ ...parsed, shadow: true });
  });

  it('should ignore fields the record does not know when the known ones are valid', () => {
    expect(parsePredictionLine(line({ traceId: 'abc', extra: { deep: [1] } }))).toEqual(parsed);
  });

  it('should keep text outside the basic plane when it is well formed', () => {
    const written = line({ features: { note: 'ok 😀' } });

    expect(parsePredictionLine(written)?.features).toEqual({ note: 'ok 😀' });
  });

  it.each([
    ['a NUL in a text field', { model: 'test\u0000' }],
    ['a NUL in a feature name', { features: { 'a\u0000': 1 } }],
    ['a lone surrogate in a feature value', { features: { region: '\ud800' } }],
    ['a missing latency', { latencyMs: undefined }],
    ['a shadow flag that is not true', { shadow: false }],
    ['a shadow flag that is text', { shadow: 'true' }],
    ['a null feature', { features: { region: null } }],
    ['a probability that is not a number', { probability: '0.8' }],
    ['a request id that is not a string', { requestId: 7 }],
  ])('should reject the line when it has %s', (_, fields) => {
    expect(parsePredictionLine(line(fields))).toBeUndefined();
  });
});

describe(instantOf.name, () => {
  it('should read the time in UTC when it has an offset', () => {
    expect(instantOf('2026-11-01T10:00:00+02:00')).toBe(Date.UTC(2026, 10, 1, 8));
  });

  it('should read years before 100 as such when the form is the one toISOString writes', () => {
    expect(new Date(instantOf('0050-03-01T12:00:00.250Z') ?? NaN).toISOString()).toBe(
      '0050-03-01T12:00:00.250Z',
    );
  });

  it('should accept 29 February when the year is a leap year', () => {
    expect(instantOf('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    expect(instantOf('2026-02-29T00:00:00Z')).toBeUndefined();
  });

  it.each([
    '2026-02-30T00:00:00Z',
    '2026-02-30T00:00:00.000Z',
    '2026-11-31T00:00:00Z',
    '2026-11-01T24:00:00Z',
    '2026-11-01T23:60:00.000Z',
    '2026-1x-01T00:00:00.000Z',
    '2026-11-01T10:00:00+24:00',
    '2026-11-01',
    '2026-11-01T10:00:00',
    '2026-11-01 10:00:00Z',
    'Sun, 01 Nov 2026 10:00:00 GMT',
    '0000-06-01T00:00:00Z',
    '0001-01-01T00:30:00+01:00',
  ])('should reject %s when PostgreSQL or the calendar would not take it', (ts) => {
    expect(instantOf(ts)).toBeUndefined();
  });
});
