import {
  interpolate,
  InterpolationError,
  isSingleReference,
  maskReferences,
  parseEnvFile,
} from './compose-interpolation';

describe(interpolate.name, () => {
  it.each<[string, Record<string, string>, string]>([
    ['${A:-fallback}', {}, 'fallback'],
    ['${A:-fallback}', { A: '' }, 'fallback'],
    ['${A-fallback}', { A: '' }, ''],
    ['${A:-fallback}', { A: 'set' }, 'set'],
    ['${A:+alt}', { A: 'set' }, 'alt'],
    ['${A:+alt}', {}, ''],
    ['${A:-${B}}', { B: 'nested' }, 'nested'],
    ['$A/$B', { A: 'x', B: 'y' }, 'x/y'],
    ['pg_isready -U "$${POSTGRES_USER}"', {}, 'pg_isready -U "${POSTGRES_USER}"'],
    ['0 2 * * *', {}, '0 2 * * *'],
  ])('should resolve %s with %j to %s as Compose does', (text, variables, expected) => {
    expect(interpolate(text, variables)).toBe(expected);
  });

  it('should throw the message of a required variable when it is empty', () => {
    expect(() => interpolate('${P:?set P in docker/.env}', { P: '' })).toThrow(
      new InterpolationError('P: set P in docker/.env'),
    );
  });

  it('should reject an unclosed reference', () => {
    expect(() => interpolate('${A', {})).toThrow(InterpolationError);
  });
});

describe(isSingleReference.name, () => {
  it('should tell a lone reference from text that contains one', () => {
    expect(isSingleReference('${OPS_TOKEN:-}')).toBe(true);
    expect(isSingleReference('$OPS_TOKEN')).toBe(true);
    expect(isSingleReference('x${OPS_TOKEN}')).toBe(false);
    expect(isSingleReference('literal')).toBe(false);
  });
});

describe(maskReferences.name, () => {
  it('should hide the separators inside references', () => {
    const { masked, references } = maskReferences('postgres://${U:-mle}:${P:?a/b c}@db/x');

    expect(masked).toBe('postgres://\uE0000\uE001:\uE0001\uE001@db/x');
    expect(references.map((r) => r.name)).toEqual(['U', 'P']);
  });
});

describe(parseEnvFile.name, () => {
  it('should read NAME=value lines, skipping comments and removing quotes', () => {
    const text = '# comment\n\nA=1\nexport B=\'0 2 * * *\'\nC="q"\nD=\nE=v # note\n';

    expect(parseEnvFile(text)).toEqual({ A: '1', B: '0 2 * * *', C: 'q', D: '', E: 'v' });
  });

  it('should refuse a line that is not NAME=value', () => {
    expect(() => parseEnvFile('not a variable')).toThrow(InterpolationError);
  });
});
