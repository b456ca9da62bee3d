import { applyJsonPatch, JsonPatchError } from './json-patch';

describe(applyJsonPatch.name, () => {
  const document = { spec: { ports: [{ port: 80 }], 'a/b': 1 } };

  it('should add, replace and remove members and array elements without touching the input', () => {
    const patched = applyJsonPatch(document, [
      { op: 'add', path: '/spec/ports/-', value: { port: 443 } },
      { op: 'add', path: '/spec/ports/0', value: { port: 8080 } },
      { op: 'replace', path: '/spec/a~1b', value: 2 },
      { op: 'remove', path: '/spec/ports/1' },
      { op: 'test', path: '/spec/ports', value: [{ port: 8080 }, { port: 443 }] },
    ]);

    expect(patched).toEqual({ spec: { ports: [{ port: 8080 }, { port: 443 }], 'a/b': 2 } });
    expect(document.spec.ports).toEqual([{ port: 80 }]);
  });

  it.each([
    ['replace of a missing member', { op: 'replace', path: '/spec/type', value: 'x' }],
    ['remove past the end of an array', { op: 'remove', path: '/spec/ports/1' }],
    ['add under a missing parent', { op: 'add', path: '/status/replicas', value: 1 }],
    ['a failed test', { op: 'test', path: '/spec/ports/0/port', value: 81 }],
    ['an operation it does not implement', { op: 'move', path: '/spec/x' }],
  ])('should throw on %s', (_case, operation) => {
    expect(() => applyJsonPatch(document, [operation])).toThrow(JsonPatchError);
  });
});
