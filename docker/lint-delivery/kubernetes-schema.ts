import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import type { ErrorObject } from 'ajv';
import * as kubernetes from 'kubernetes-models';
import type { KubernetesObject } from './kustomize-render';

interface Model {
  new (data: unknown): { validate(): void };
}
type Versions = Readonly<Record<string, Readonly<Record<string, Model | undefined>> | undefined>>;
type Groups = Readonly<Record<string, Versions | undefined>>;

// kubernetes-models exports each API group under a camel-cased key (networking.k8s.io:
// networkingK8sIo) and the core group's versions at the top level; the Prometheus operator's
// package does the same for monitoring.coreos.com.
const GROUPS = { ...kubernetes, ...prometheusOperator } as unknown as Groups;
const CORE = kubernetes as unknown as Versions;

const camelCase = (group: string) =>
  group
    .split('.')
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');

function modelOf(apiVersion: string, kind: string): Model | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const versions = group ? GROUPS[camelCase(group)] : CORE;
  return versions?.[version]?.[kind];
}

function schemaErrors(model: Model, data: unknown): ErrorObject[] {
  try {
    new model(data).validate();
    return [];
  } catch (error) {
    const errors: unknown = (error as { errors?: unknown }).errors;
    if (Array.isArray(errors)) return errors as ErrorObject[];
    throw error;
  }
}

/** Paths (as JSON pointers) of every object member in `node`. */
function memberPaths(node: unknown, path = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => memberPaths(item, `${path}/${i}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const child = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    return [child, ...memberPaths(value, child)];
  });
}

function withValueAt(document: unknown, pointer: string, value: unknown): unknown {
  const copy = structuredClone(document) as Record<string, unknown>;
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = tokens.pop() ?? '';
  let node: Record<string, unknown> = copy;
  for (const token of tokens) node = node[token] as Record<string, unknown>;
  node[last] = value;
  return copy;
}

// A value of no JSON type: it fails every `type` a schema can state, so a member whose
// replacement by it goes unreported is one the schema never looks at.
const NO_JSON_TYPE = () => undefined;

const where = (error: ErrorObject) =>
  error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(top level)';

function describe(error: ErrorObject): string {
  const extra: unknown = error.params.additionalProperty;
  const allowed: unknown = error.params.allowedValues;
  if (typeof extra === 'string') return `${where(error)}: unknown field "${extra}"`;
  if (Array.isArray(allowed)) return `${where(error)}: must be one of ${allowed.join(', ')}`;
  return `${where(error)}: ${error.message ?? 'invalid'}`;
}

/**
 * What the Kubernetes API (1.33 schemas of kubernetes-models 4; the Prometheus operator's CRDs
 * for monitoring.coreos.com) would refuse in `object`: schema violations, and fields the schema
 * does not know. The schemas allow unknown fields, while the API server's strict field validation
 * (kubectl's default since 1.27) refuses them: each member is replaced in turn by a value of no
 * JSON type, and one whose replacement the schema does not report is a field it does not know.
 */
export function kubernetesSchemaProblems(object: KubernetesObject): string[] {
  const model = modelOf(object.apiVersion, object.kind);
  if (!model) return [`no schema known for ${object.apiVersion} ${object.kind}`];
  const errors = schemaErrors(model, object);
  if (errors.length) return [...new Set(errors.map(describe))];
  const unknown: string[] = [];
  // Parents come before their members: below an unknown field, nothing more is reported.
  for (const pointer of memberPaths(object)) {
    if (unknown.some((parent) => pointer.startsWith(`${parent}/`))) continue;
    const reported = schemaErrors(model, withValueAt(object, pointer, NO_JSON_TYPE));
    if (
      !reported.some((e) => e.instancePath === pointer || e.instancePath.startsWith(`${pointer}/`))
    ) {
      unknown.push(pointer);
    }
  }
  return unknown.map((pointer) => `${pointer.slice(1).replaceAll('/', '.')}: unknown field`);
}
