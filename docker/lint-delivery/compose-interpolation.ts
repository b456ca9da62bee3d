/** Values of the variables a Compose file is interpolated with; undefined means unset. */
export type Variables = Readonly<Record<string, string | undefined>>;

/** One `${NAME<operator><operand>}` or `$NAME` reference, as written. */
export interface Reference {
  name: string;
  /** `:-`, `-`, `:?`, `?`, `:+`, `+`, or '' for a plain reference. */
  operator: string;
  operand: string;
  /** The reference as it appears in the text. */
  text: string;
}

export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATORS = [':-', ':?', ':+', '-', '?', '+'];

type Piece = string | Reference;

/** Splits text into literal parts and references; `$$` is a literal `$`. */
function scan(text: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const next = text[i + 1];
    if (text[i] !== '$' || next === undefined) {
      literal += text[i++];
    } else if (next === '$') {
      literal += '$';
      i += 2;
    } else if (next === '{') {
      // Find the matching brace: operands may hold references of their own.
      let depth = 1;
      let end = i + 2;
      for (; end < text.length && depth > 0; end++) {
        if (text[end] === '{' && text[end - 1] === '$') depth++;
        else if (text[end] === '}') depth--;
      }
      if (depth > 0) throw new InterpolationError(`unclosed \${ in ${JSON.stringify(text)}`);
      const body = text.slice(i + 2, end - 1);
      const name = NAME.exec(body)?.[0];
      const rest = body.slice(name?.length ?? 0);
      const operator = OPERATORS.find((op) => rest.startsWith(op)) ?? '';
      if (!name || (operator === '' && rest !== '')) {
        throw new InterpolationError(`invalid reference \${${body}} in ${JSON.stringify(text)}`);
      }
      if (literal) pieces.push(literal);
      literal = '';
      pieces.push({
        name,
        operator,
        operand: rest.slice(operator.length),
        text: text.slice(i, end),
      });
      i = end;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (!name) {
        literal += '$';
        i++;
        continue;
      }
      if (literal) pieces.push(literal);
      literal = '';
      pieces.push({ name, operator: '', operand: '', text: `$${name}` });
      i += 1 + name.length;
    }
  }
  if (literal) pieces.push(literal);
  return pieces;
}

/** The references in text, outermost only. */
export function referencesIn(text: string): Reference[] {
  return scan(text).filter((piece) => typeof piece !== 'string');
}

/**
 * Text with every reference replaced by an opaque token (`\uE000<index>\uE001`, private-use
 * characters), so that a pattern such as a URL's password can be matched without tripping over
 * the `:` or `/` inside references.
 */
export function maskReferences(text: string): { masked: string; references: Reference[] } {
  const references: Reference[] = [];
  const masked = scan(text)
    .map((piece) => {
      if (typeof piece === 'string') return piece;
      references.push(piece);
      return `\uE000${references.length - 1}\uE001`;
    })
    .join('');
  return { masked, references };
}

/** True when text is exactly one reference, e.g. `${OPS_TOKEN}` or `${OPS_TOKEN:-}`. */
export function isSingleReference(text: string): boolean {
  const pieces = scan(text);
  return pieces.length === 1 && typeof pieces[0] !== 'string';
}

function resolve(reference: Reference, variables: Variables): string {
  const value = variables[reference.name];
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  const operand = () => interpolate(reference.operand, variables);
  switch (reference.operator) {
    case ':-':
      return nonEmpty ? value : operand();
    case '-':
      return set ? value : operand();
    case ':?':
    case '?':
      if (reference.operator === ':?' ? nonEmpty : set) return value ?? '';
      throw new InterpolationError(
        `${reference.name}: ${operand() || 'required variable is not set'}`,
      );
    case ':+':
      return nonEmpty ? operand() : '';
    case '+':
      return set ? operand() : '';
    default:
      return value ?? '';
  }
}

/**
 * Resolves the variable references of one Compose value the way Compose does: `$NAME`,
 * `${NAME}`, `${NAME:-default}` / `${NAME-default}` (unset or empty / unset only),
 * `${NAME:?message}` / `${NAME?message}` (required), `${NAME:+alt}` / `${NAME+alt}`, and `$$`.
 * Unset plain references become '' as in Compose; required ones throw InterpolationError.
 */
export function interpolate(text: string, variables: Variables): string {
  return scan(text)
    .map((piece) => (typeof piece === 'string' ? piece : resolve(piece, variables)))
    .join('');
}

/**
 * The variables of a dotenv file as Compose reads it: `NAME=value` lines, `#` comments, optional
 * `export`, surrounding single or double quotes removed.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new InterpolationError(`not a NAME=value line: ${JSON.stringify(raw)}`);
    const [, name, value] = match;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    variables[name] = quoted ? quoted[2] : value.replace(/\s+#.*$/, '');
  }
  return variables;
}
