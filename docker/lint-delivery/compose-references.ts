/** One `${NAME…}` or `$NAME` reference of a Compose value, as written. */
export interface ComposeReference {
  name: string;
  /** `:-`, `-`, `:?`, `?`, `:+`, `+`, or '' for a plain reference. */
  operator: string;
  operand: string;
}

// `$$` is a literal dollar; a reference is `$NAME` or `${NAME}` with an optional operator. Nested
// references inside an operand are not followed: the compose file has none, and
// `docker-compose config` (which resolves the file) would refuse a malformed one anyway.
const REFERENCE = /\$\$|\$\{([A-Za-z_]\w*)(:?[-?+])?([^}]*)\}|\$([A-Za-z_]\w*)/g;

/**
 * The variable references in a Compose value. Resolving them is `docker-compose config`'s work;
 * the rules only need to know which variables a value names, and whether a value is nothing but
 * one reference (a secret must be, and a default must equal the app's own).
 */
export function referencesIn(text: string): ComposeReference[] {
  return [...text.matchAll(REFERENCE)]
    .filter(([whole]) => whole !== '$$')
    .map(([, braced, operator = '', operand = '', bare]) => ({
      name: braced ?? bare,
      operator,
      operand: braced === undefined ? '' : operand,
    }));
}

/** The reference `text` consists of, when it is exactly one; undefined otherwise. */
export function loneReference(text: string): ComposeReference | undefined {
  const references = referencesIn(text);
  return references.length === 1 && text.replace(REFERENCE, '') === '' ? references[0] : undefined;
}
