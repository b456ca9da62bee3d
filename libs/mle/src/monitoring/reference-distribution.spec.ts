import { FeatureSchema } from '../feature-schema';
import { binIndex, buildReferenceDistribution } from './reference-distribution';

describe(buildReferenceDistribution.name, () => {
  const schema: FeatureSchema = [
    { name: 'price', type: 'number' },
    { name: 'items', type: 'integer' },
    { name: 'promo', type: 'boolean' },
    { name: 'colour', type: 'category', values: ['red', 'green', 'blue'] },
  ];
  const rows = Array.from({ length: 1_000 }, (_, i) => ({
    price: i + 1,
    items: i % 2 === 0 ? 1 : 2,
    promo: i % 4 === 0,
    colour: i % 10 === 0 ? 'blue' : 'red',
  }));
  const reference = buildReferenceDistribution(schema, rows);

  it('should cut numbers into equal-frequency bins', () => {
    expect(reference.price).toEqual({
      kind: 'numeric',
      edges: [101, 201, 301, 401, 501, 601, 701, 801, 901],
      proportions: Array(10).fill(0.1),
    });
  });

  it('should collapse tied edges into fewer bins', () => {
    expect(reference.items).toEqual({ kind: 'numeric', edges: [2], proportions: [0.5, 0.5] });
  });

  it('should count booleans and every allowed category, unseen ones as 0', () => {
    expect(reference.promo).toEqual({
      kind: 'categorical',
      proportions: { false: 0.75, true: 0.25 },
    });
    expect(reference.colour).toEqual({
      kind: 'categorical',
      proportions: { red: 0.9, green: 0, blue: 0.1 },
    });
  });
});

describe(binIndex.name, () => {
  it('should count the edges at or below the value', () => {
    expect([0, 1, 1.5, 2, 99].map((v) => binIndex([1, 2], v))).toEqual([0, 1, 1, 2, 2]);
  });
});
