import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { asRecord, scalar } from './compose-model';
import { applyJsonPatch, JsonPatchError, JsonPatchOperation } from './json-patch';

/** A rendered Kubernetes object: apiVersion, kind and metadata.name are known to be strings. */
export type KubernetesObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
};

/** The kustomization uses something the renderer does not do, or kustomize itself would fail. */
export class KustomizeRenderError extends Error {}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml'];
// What this renderer implements. Anything else is refused: a field it ignored would make the
// check validate something other than what `kubectl apply -k` applies.
const FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);
const IMAGE_FIELDS = new Set(['name', 'newName', 'newTag', 'digest']);
const PATCH_FIELDS = new Set(['path', 'patch', 'target']);
const TARGET_FIELDS = new Set(['group', 'version', 'kind', 'name', 'namespace']);
// Kinds kustomize's namespace transformer leaves alone (the ones a manifest here could hold).
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

// Kinds whose references to a namespace kustomize's namespace transformer rewrites too; this
// renderer does not, so it refuses them rather than render them differently.
const NAMESPACE_REFERENCES = new Set([
  'RoleBinding',
  'ClusterRoleBinding',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'CustomResourceDefinition',
]);

interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
const versionOf = (apiVersion: string) => apiVersion.split('/').at(-1) ?? '';
const idOf = (o: KubernetesObject) =>
  `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function only(record: Record<string, unknown>, allowed: Set<string>, where: string): void {
  const unknown = Object.keys(record).filter((key) => !allowed.has(key));
  if (unknown.length) {
    throw new KustomizeRenderError(
      `${where}: ${unknown.join(', ')} is not implemented by the check's renderer ` +
        `(it knows ${[...allowed].join(', ')}): keep to those, or extend docker/lint-delivery/kustomize-render.ts with a test`,
    );
  }
}

function parseYaml(text: string, file: string): unknown[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length) {
      throw new KustomizeRenderError(`${file}: ${document.errors[0].message}`);
    }
    const value: unknown = document.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

function asObject(value: unknown, file: string): KubernetesObject {
  const record = asRecord(value);
  const metadata = asRecord(record?.metadata);
  if (
    !record ||
    typeof record.apiVersion !== 'string' ||
    typeof record.kind !== 'string' ||
    typeof metadata?.name !== 'string'
  ) {
    throw new KustomizeRenderError(`${file}: a document lacks apiVersion, kind or metadata.name`);
  }
  if (record.kind === 'List' || record.kind.endsWith('List')) {
    throw new KustomizeRenderError(
      `${file}: ${record.kind} is not supported: one object a document`,
    );
  }
  return record as KubernetesObject;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Kustomize's load restrictor: a file must lie inside the kustomization's folder. */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Kustomize's image transformer on one `image` value (name match, then name/tag/digest). */
function transformImage(image: string, rules: readonly ImageRule[]): string {
  for (const rule of rules) {
    const matches = new RegExp(
      `^${escapeRegExp(rule.name)}(@sha256)?(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`,
    ).test(image);
    if (!matches) continue;
    const [withoutDigest, digest = ''] = image.split('@');
    const colon = withoutDigest.lastIndexOf(':');
    const hasTag = colon > withoutDigest.lastIndexOf('/');
    let name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
    let tag = hasTag ? withoutDigest.slice(colon + 1) : '';
    let newDigest = digest;
    if (rule.newName) name = rule.newName;
    if (rule.newTag && rule.digest) [tag, newDigest] = [rule.newTag, rule.digest];
    else if (rule.newTag) [tag, newDigest] = [rule.newTag, ''];
    else if (rule.digest) [tag, newDigest] = ['', rule.digest];
    return `${name}${tag ? `:${tag}` : ''}${newDigest ? `@${newDigest}` : ''}`;
  }
  return image;
}

/** Every `image` of an item of a `containers` or `initContainers` list, wherever it is. */
function rewriteImages(node: unknown, rules: readonly ImageRule[], key = ''): void {
  if (Array.isArray(node)) {
    for (const item of node) {
      const image = scalar(asRecord(item)?.image);
      if ((key === 'containers' || key === 'initContainers') && image !== undefined) {
        (item as { image: string }).image = transformImage(image, rules);
      }
      rewriteImages(item, rules);
    }
    return;
  }
  for (const [childKey, child] of Object.entries(asRecord(node) ?? {})) {
    rewriteImages(child, rules, childKey);
  }
}

function imageRules(field: unknown, where: string): ImageRule[] {
  if (field === undefined) return [];
  if (!Array.isArray(field)) throw new KustomizeRenderError(`${where}: images must be a list`);
  return field.map((entry) => {
    const record = asRecord(entry) ?? {};
    only(record, IMAGE_FIELDS, `${where}: images`);
    const name = scalar(record.name);
    if (!name) throw new KustomizeRenderError(`${where}: an images entry has no name`);
    return {
      name,
      newName: scalar(record.newName),
      newTag: scalar(record.newTag),
      digest: scalar(record.digest),
    };
  });
}

async function applyPatches(
  objects: KubernetesObject[],
  field: unknown,
  dir: string,
  where: string,
): Promise<KubernetesObject[]> {
  if (field === undefined) return objects;
  if (!Array.isArray(field)) throw new KustomizeRenderError(`${where}: patches must be a list`);
  let patched = objects;
  for (const [index, entry] of field.entries()) {
    const at = `${where}: patches[${index}]`;
    const record = asRecord(entry) ?? {};
    only(record, PATCH_FIELDS, at);
    const target = asRecord(record.target);
    if (!target) throw new KustomizeRenderError(`${at}: a JSON 6902 patch needs a target`);
    only(target, TARGET_FIELDS, `${at}.target`);
    let text = scalar(record.patch);
    const path = scalar(record.path);
    if (path !== undefined) {
      const file = resolve(dir, path);
      if (!inside(dir, file)) throw new KustomizeRenderError(`${at}: ${path} is outside ${dir}`);
      text = await readFile(file, 'utf8');
    }
    const operations: unknown = text === undefined ? undefined : parseDocument(text).toJS();
    if (!Array.isArray(operations)) {
      throw new KustomizeRenderError(
        `${at}: only JSON 6902 patches (a list of operations) are implemented, not strategic merge patches`,
      );
    }
    const matches = (o: KubernetesObject) =>
      Object.entries(target).every(([key, wanted]) => {
        const actual = {
          group: groupOf(o.apiVersion),
          version: versionOf(o.apiVersion),
          kind: o.kind,
          name: o.metadata.name,
          namespace: o.metadata.namespace ?? '',
        }[key];
        return actual === scalar(wanted);
      });
    if (!patched.some(matches)) {
      throw new KustomizeRenderError(`${at}: the target ${JSON.stringify(target)} matches nothing`);
    }
    patched = patched.map((o) => {
      if (!matches(o)) return o;
      try {
        return asObject(applyJsonPatch(o, operations as JsonPatchOperation[]), at);
      } catch (error) {
        if (error instanceof JsonPatchError) {
          throw new KustomizeRenderError(`${at} on ${o.kind} ${o.metadata.name}: ${error.message}`);
        }
        throw error;
      }
    });
  }
  return patched;
}

/**
 * Renders a kustomization as `kubectl apply -k <dir>` would, for the subset of kustomize these
 * manifests use: `resources` (files inside the folder, and folders holding a kustomization),
 * JSON 6902 `patches` with a target, `namespace`, and `images`, in kustomize's order (patches,
 * then namespace, then images). Any other field throws KustomizeRenderError, as do a patch that
 * matches nothing and two objects with one id.
 */
export async function renderKustomization(dir: string): Promise<KubernetesObject[]> {
  let file: string | undefined;
  for (const name of KUSTOMIZATION_FILES) {
    if ((await stat(join(dir, name)).catch(() => undefined))?.isFile()) file = join(dir, name);
  }
  if (!file) throw new KustomizeRenderError(`${dir}: no kustomization.yaml`);
  const [kustomization] = parseYaml(await readFile(file, 'utf8'), file);
  const record = asRecord(kustomization) ?? {};
  only(record, FIELDS, file);
  if (record.kind !== undefined && record.kind !== 'Kustomization') {
    throw new KustomizeRenderError(
      `${file}: kind ${JSON.stringify(record.kind)} is not a Kustomization`,
    );
  }

  let objects: KubernetesObject[] = [];
  const resources = Array.isArray(record.resources) ? (record.resources as unknown[]) : [];
  for (const entry of resources) {
    const path = resolve(dir, scalar(entry) ?? '');
    if (/^[a-z]+:\/\//.test(scalar(entry) ?? '')) {
      throw new KustomizeRenderError(`${file}: remote resource ${String(entry)} is not supported`);
    }
    if (await isDirectory(path)) {
      objects.push(...(await renderKustomization(path)));
    } else if (inside(dir, path)) {
      const text = await readFile(path, 'utf8').catch(() => {
        throw new KustomizeRenderError(`${file}: resource ${String(entry)} does not exist`);
      });
      objects.push(...parseYaml(text, path).map((value) => asObject(value, path)));
    } else {
      throw new KustomizeRenderError(
        `${file}: ${String(entry)} is a file outside ${dirname(file)}`,
      );
    }
  }

  objects = await applyPatches(objects, record.patches, dir, file);
  const namespace = scalar(record.namespace);
  if (namespace) {
    const refusing = objects.find((o) => NAMESPACE_REFERENCES.has(o.kind));
    if (refusing) {
      throw new KustomizeRenderError(
        `${file}: namespace with a ${refusing.kind} is not implemented by the check's renderer`,
      );
    }
    objects = objects.map((o) =>
      CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace } },
    );
  }
  const images = imageRules(record.images, file);
  if (images.length) {
    objects = objects.map((o) => {
      const copy = structuredClone(o);
      rewriteImages(copy, images);
      return copy;
    });
  }

  const seen = new Set<string>();
  for (const o of objects) {
    if (seen.has(idOf(o))) {
      throw new KustomizeRenderError(`${file}: ${o.kind} ${o.metadata.name} is defined twice`);
    }
    seen.add(idOf(o));
  }
  return objects;
}
