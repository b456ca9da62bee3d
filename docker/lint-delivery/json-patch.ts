import { sameJson } from './same-json';

/** One RFC 6902 operation, as a kustomization's `patches` entry writes it. */
export interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

export class JsonPatchError extends Error {}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** RFC 6901: `/a/b~1c/0` is ['a', 'b/c', '0']. */
function tokensOf(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`path ${pointer} does not start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** An array index: digits without a leading zero, within bounds (`-` only where allowed). */
function indexIn(array: unknown[], token: string, path: string, forAdd: boolean): number {
  if (forAdd && token === '-') return array.length;
  const index = /^(0|[1-9]\d*)$/.test(token) ? Number(token) : NaN;
  if (Number.isNaN(index) || index > array.length || (!forAdd && index === array.length)) {
    throw new JsonPatchError(`${path}: no element ${token} in an array of ${array.length}`);
  }
  return index;
}

/** The container that holds the last token of `path`, and that token. */
function parentOf(document: unknown, path: string): [Container, string] {
  const tokens = tokensOf(path);
  const last = tokens.pop();
  if (last === undefined) throw new JsonPatchError('the whole document cannot be patched here');
  let node = document;
  for (const token of tokens) {
    let next: unknown;
    if (Array.isArray(node)) next = node[indexIn(node, token, path, false)];
    else if (isContainer(node)) next = (node as Record<string, unknown>)[token];
    if (!isContainer(next)) throw new JsonPatchError(`${path}: ${token} does not exist`);
    node = next;
  }
  if (!isContainer(node)) throw new JsonPatchError(`${path}: the parent does not exist`);
  return [node, last];
}

/**
 * Applies `add`, `remove`, `replace` and `test` operations (RFC 6902) to a copy of `document`
 * and returns it; every failure the RFC names (a missing member, an index out of range, a failed
 * test) throws JsonPatchError, as kustomize fails its build. `move` and `copy` are refused: the
 * manifests need neither, and an operation this function does not apply must not pass unseen.
 */
export function applyJsonPatch<T>(document: T, operations: readonly JsonPatchOperation[]): T {
  const patched = structuredClone(document);
  for (const { op, path, value } of operations) {
    const [parent, token] = parentOf(patched, path);
    const exists = Array.isArray(parent)
      ? /^\d+$/.test(token) && Number(token) < parent.length
      : Object.hasOwn(parent, token);
    if (op !== 'add' && !exists) throw new JsonPatchError(`${op} ${path}: no such member`);
    switch (op) {
      case 'add':
      case 'replace':
        if (value === undefined) throw new JsonPatchError(`${op} ${path}: no value`);
        if (!Array.isArray(parent)) parent[token] = structuredClone(value);
        else if (op === 'replace')
          parent[indexIn(parent, token, path, false)] = structuredClone(value);
        else parent.splice(indexIn(parent, token, path, true), 0, structuredClone(value));
        break;
      case 'remove':
        if (Array.isArray(parent)) parent.splice(indexIn(parent, token, path, false), 1);
        else delete parent[token];
        break;
      case 'test': {
        const actual: unknown = Array.isArray(parent) ? parent[Number(token)] : parent[token];
        if (!sameJson(actual, value)) {
          throw new JsonPatchError(`test ${path}: the value is ${JSON.stringify(actual)}`);
        }
        break;
      }
      default:
        throw new JsonPatchError(`${op} ${path}: only add, remove, replace and test are supported`);
    }
  }
  return patched;
}
