/**
 * Whether two JSON-like values have the same content, whatever their key order and prototypes
 * (node:util's isDeepStrictEqual compares prototypes, which differ for values that
 * structuredClone made inside Jest's sandbox).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown) =>
    JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)))
        : v,
    );
  return canonical(a) === canonical(b);
}
