import { FeatureSchema, Features } from '../feature-schema';
import { compileFeatureValidator, InputProblem } from '../serving/feature-validator';
import { probeInputs } from './version-probe';

const schema: FeatureSchema = [
  { name: 'colour', type: 'category', values: ['red', 'green', 'blue'] },
  { name: 'size', type: 'category', values: ['xs', 's', 'm', 'l', 'xl'] },
  { name: 'flag', type: 'boolean' },
  { name: 'score', type: 'number', min: 0, max: 1 },
  { name: 'count', type: 'integer', min: 1 },
  { name: 'level', type: 'integer', min: 0.5, max: 3.5 },
  { name: 'free', type: 'number' },
];

const valuesOf = (probes: readonly Features[], name: string) =>
  new Set(probes.map((probe) => probe[name]));

describe(probeInputs.name, () => {
  it('should pass the validator of the schema with every probe when generated from it', () => {
    // Act
    const probes = probeInputs(schema);

    // Assert
    const validate = compileFeatureValidator(schema);
    const problems: InputProblem[] = [];
    probes.forEach((probe, i) => validate(probe, `probes[${i}]`, problems));
    expect(problems).toEqual([]);
  });

  it('should cover every category value, both booleans and every declared bound', () => {
    // Act
    const probes = probeInputs(schema);

    // Assert
    expect(valuesOf(probes, 'colour')).toEqual(new Set(['red', 'green', 'blue']));
    expect(valuesOf(probes, 'size')).toEqual(new Set(['xs', 's', 'm', 'l', 'xl']));
    expect(valuesOf(probes, 'flag')).toEqual(new Set([false, true]));
    expect(valuesOf(probes, 'score')).toEqual(new Set([0, 0.5, 1]));
    expect(valuesOf(probes, 'count')).toEqual(new Set([1]));
    // Integer bounds round inwards: 1 and 3 are the extremes an integer can take.
    expect(valuesOf(probes, 'level')).toEqual(new Set([1, 2, 3]));
    expect(valuesOf(probes, 'free')).toEqual(new Set([0]));
  });

  it('should use one row per value of the widest category plus one row per extreme', () => {
    // Act
    const probes = probeInputs(schema);

    // Assert: 5 sizes; score 0 and 1; level 1 and 3 (count's only bound is its typical value).
    expect(probes).toHaveLength(5 + 4);
    const extremes = probes.slice(5);
    for (const extreme of extremes) {
      const changed = Object.keys(extreme).filter((name) => extreme[name] !== probes[0][name]);
      expect(changed).toHaveLength(1);
    }
  });

  it('should give both booleans when the schema has no category', () => {
    // Act
    const probes = probeInputs([{ name: 'flag', type: 'boolean' }]);

    // Assert
    expect(probes).toEqual([{ flag: false }, { flag: true }]);
  });

  it('should probe the one bound of a half-bounded number at that bound', () => {
    // Act
    const probes = probeInputs([{ name: 'debt', type: 'number', max: -5 }]);

    // Assert
    expect(probes).toEqual([{ debt: -5 }]);
  });

  it('should keep the midpoint finite when the bounds are the largest numbers', () => {
    // Act
    const probes = probeInputs([
      { name: 'x', type: 'number', min: -Number.MAX_VALUE, max: Number.MAX_VALUE },
    ]);

    // Assert
    expect(probes).toEqual([{ x: 0 }, { x: -Number.MAX_VALUE }, { x: Number.MAX_VALUE }]);
  });

  it('should give one empty input when the schema has no feature', () => {
    expect(probeInputs([])).toEqual([{}]);
  });

  it.each([
    [
      'a category without values',
      { name: 'colour', type: 'category', values: [] } as const,
      /feature "colour" .*no value/,
    ],
    [
      'a number whose minimum is above its maximum',
      { name: 'score', type: 'number', min: 2, max: 1 } as const,
      /feature "score" .*no value/,
    ],
    [
      'an integer with no integer between its bounds',
      { name: 'level', type: 'integer', min: 0.2, max: 0.8 } as const,
      /feature "level" .*no value/,
    ],
  ])('should throw when the schema has %s', (_, spec, message) => {
    expect(() => probeInputs([spec])).toThrow(message);
  });
});
