import { loneReference, referencesIn } from './compose-references';

describe(referencesIn.name, () => {
  it.each<[string, string[]]>([
    ['${A:-fallback}/$B', ['A', 'B']],
    ['postgres://${U:-mle}:${P:?set it in docker/.env}@db/x', ['U', 'P']],
    ['pg_isready -U "$${POSTGRES_USER}"', []],
    ['0 2 * * *', []],
  ])('should name the variables of %s', (text, names) => {
    expect(referencesIn(text).map((reference) => reference.name)).toEqual(names);
  });
});

describe(loneReference.name, () => {
  it('should read a value that is one reference, with its operator and operand', () => {
    expect(loneReference('${OPS_TOKEN:-}')).toEqual({
      name: 'OPS_TOKEN',
      operator: ':-',
      operand: '',
    });
    expect(loneReference('${MAX_BATCH:-1000}')).toEqual({
      name: 'MAX_BATCH',
      operator: ':-',
      operand: '1000',
    });
    expect(loneReference('$OPS_TOKEN')).toEqual({ name: 'OPS_TOKEN', operator: '', operand: '' });
  });

  it('should refuse text around a reference, and a literal', () => {
    expect(loneReference('x${OPS_TOKEN}')).toBeUndefined();
    expect(loneReference('${A}${B}')).toBeUndefined();
    expect(loneReference('literal')).toBeUndefined();
  });
});
