import type { FeatureSchema, Features } from '../feature-schema';
import { FeatureEncoder, FeatureEncoderJson } from './feature-encoder';

const schema: FeatureSchema = [
  { name: 'amount', type: 'number' },
  { name: 'visits', type: 'integer' },
  { name: 'isRepeat', type: 'boolean' },
  { name: 'region', type: 'category', values: ['north', 'south', 'west'] },
  { name: 'channel', type: 'number' },
];

// Means and spreads that are not round in binary, so a lossy round trip would show.
const rows: Features[] = [
  { amount: 10.1, visits: 1, isRepeat: false, region: 'north', channel: 3 },
  { amount: 20.2, visits: 4, isRepeat: true, region: 'south', channel: 3 },
  { amount: 30.3, visits: 2, isRepeat: true, region: 'west', channel: 3 },
  { amount: 1 / 3, visits: 7, isRepeat: false, region: 'west', channel: 3 },
];

function column(matrix: Float64Array, width: number, index: number): number[] {
  return Array.from({ length: matrix.length / width }, (_, row) => matrix[row * width + index]);
}

describe(FeatureEncoder.name, () => {
  it('should name one column per number and boolean and per non-reference category value', () => {
    // Act
    const encoder = FeatureEncoder.fit(schema, rows);

    // Assert
    expect(encoder.columns).toEqual([
      'amount',
      'visits',
      'isRepeat',
      'region=south',
      'region=west',
      'channel',
    ]);
    expect(encoder.width).toBe(6);
  });

  it('should standardise numbers to mean 0 and population standard deviation 1', () => {
    // Arrange
    const encoder = FeatureEncoder.fit(schema, rows);

    // Act
    const matrix = encoder.encodeRows(rows);

    // Assert
    for (const index of [0, 1]) {
      const values = column(matrix, encoder.width, index);
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      const variance = values.reduce((sum, value) => sum + value ** 2, 0) / values.length;
      expect(Math.abs(mean)).toBeLessThan(1e-15);
      expect(variance).toBeCloseTo(1, 14);
    }
    // visits: mean 3.5, population variance (6.25 + 0.25 + 2.25 + 12.25) / 4 = 5.25.
    expect(matrix[1]).toBeCloseTo((1 - 3.5) / Math.sqrt(5.25), 15);
  });

  it('should encode a constant number as 0 rather than NaN when its standard deviation is 0', () => {
    // Arrange
    const encoder = FeatureEncoder.fit(schema, rows);

    // Act
    const channel = column(encoder.encodeRows(rows), encoder.width, 5);
    const unseen = new Float64Array(encoder.width);
    encoder.encodeInto({ ...rows[0], channel: 5 }, unseen);

    // Assert
    expect(channel).toEqual([0, 0, 0, 0]);
    expect(unseen[5]).toBe(2);
  });

  it('should encode booleans as 0/1 and the reference category as all zeros', () => {
    // Arrange
    const encoder = FeatureEncoder.fit(schema, rows);

    // Act
    const matrix = encoder.encodeRows(rows);

    // Assert: columns isRepeat, region=south, region=west.
    const categorical = [0, 1, 2, 3].map((row) => [2, 3, 4].map((c) => matrix[row * 6 + c]));
    expect(categorical).toEqual([
      [0, 0, 0],
      [1, 1, 0],
      [1, 0, 1],
      [0, 0, 1],
    ]);
  });

  it('should clear a stale one-hot column when the buffer is reused', () => {
    // Arrange
    const encoder = FeatureEncoder.fit(schema, rows);
    const out = new Float64Array(encoder.width);
    encoder.encodeInto(rows[2], out);

    // Act
    encoder.encodeInto(rows[0], out);

    // Assert
    expect([out[3], out[4]]).toEqual([0, 0]);
  });

  it('should write only its own columns when given an offset', () => {
    // Arrange
    const encoder = FeatureEncoder.fit(schema, rows);
    const out = new Float64Array(encoder.width + 4).fill(-7);

    // Act
    encoder.encodeInto(rows[1], out, 2);

    // Assert
    expect([out[0], out[1], out[encoder.width + 2], out[encoder.width + 3]]).toEqual([
      -7, -7, -7, -7,
    ]);
    expect(out.subarray(2, 2 + encoder.width)).toEqual(encoder.encodeRows([rows[1]]));
  });

  it('should encode identically after a toJSON/fromJSON round trip through a string', () => {
    // Arrange
    const encoder = FeatureEncoder.fit(schema, rows);
    const probe: Features = { amount: 0.1, visits: 3, isRepeat: true, region: 'south', channel: 2 };

    // Act
    const restored = FeatureEncoder.fromJSON(JSON.parse(JSON.stringify(encoder)));

    // Assert
    expect(restored.columns).toEqual(encoder.columns);
    expect(restored.encodeRows([...rows, probe])).toEqual(encoder.encodeRows([...rows, probe]));
    expect(restored.toJSON()).toEqual(encoder.toJSON());
  });

  it('should throw when a category value is not in the schema', () => {
    // Arrange
    const encoder = FeatureEncoder.fit(schema, rows);

    // Act
    const encode = () =>
      encoder.encodeInto({ ...rows[0], region: 'east' }, new Float64Array(encoder.width));

    // Assert
    expect(encode).toThrow('feature "region" has no column for "east" (unknown category)');
  });

  it.each<[string, unknown, RegExp]>([
    ['features that are not an array', { features: null }, /features must be an array/],
    [
      'an unknown type',
      { features: [{ name: 'amount', type: 'text' }] },
      /feature "amount" has unknown type "text"/,
    ],
    ['a feature without a name', { features: [{ type: 'boolean' }] }, /features\[0\] has no name/],
    [
      'category values that are not strings',
      { features: [{ name: 'region', type: 'category', values: ['north', null] }] },
      /feature "region" needs a list of distinct string values/,
    ],
    [
      'a null mean',
      { features: [{ name: 'amount', type: 'number', mean: null, scale: 1 }] },
      /feature "amount" needs a finite mean and scale > 0/,
    ],
  ])('should refuse to restore %s', (_, json, message) => {
    // Act
    const restore = () => FeatureEncoder.fromJSON(json as FeatureEncoderJson);

    // Assert
    expect(restore).toThrow(message);
  });

  it('should throw when fitted on no rows', () => {
    // Act
    const fit = () => FeatureEncoder.fit(schema, []);

    // Assert
    expect(fit).toThrow(RangeError);
  });
});
