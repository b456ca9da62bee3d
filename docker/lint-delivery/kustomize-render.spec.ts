import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deliveryFiles } from './delivery-files';
import { kubectlKustomize } from './kubectl-kustomize';
import { KubernetesObject, KustomizeRenderError, renderKustomization } from './kustomize-render';

const byId = (objects: readonly unknown[]) =>
  new Map((objects as KubernetesObject[]).map((o) => [`${o.kind}/${o.metadata.name}`, o] as const));

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mle-kustomize-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes the files of a kustomization tree under a fresh folder; returns that folder. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(scratch, 'tree-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

/**
 * Renders `dir` and, where a kubectl with kustomize v5 is installed, asserts that it renders
 * the same objects, so each expectation below is also checked against kustomize itself.
 */
async function render(dir: string): Promise<Map<string, KubernetesObject>> {
  const rendered = byId(await renderKustomization(dir));
  const kubectl = await kubectlKustomize(dir);
  if (kubectl.available) expect(rendered).toEqual(byId(kubectl.objects));
  return rendered;
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      initContainers:
        - name: init
          image: busybox:1.36
      containers:
        - name: web
          image: web
        - name: sidecar
          image: registry.example/sidecar:2.0@sha256:${'a'.repeat(64)}
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
`;
const BASE = {
  'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - service.yaml\n',
  'base/deployment.yaml': DEPLOYMENT,
  'base/service.yaml': SERVICE,
};

describe(renderKustomization.name, () => {
  it('should set the namespace of every namespaced object and leave a Namespace alone', async () => {
    const dir = await tree({
      ...BASE,
      'overlay/kustomization.yaml':
        'namespace: shop\nresources:\n  - ../base\n  - namespace.yaml\n',
      'overlay/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n',
    });

    const rendered = await render(join(dir, 'overlay'));

    expect(rendered.get('Deployment/web')?.metadata.namespace).toBe('shop');
    expect(rendered.get('Service/web')?.metadata.namespace).toBe('shop');
    expect(rendered.get('Namespace/shop')?.metadata.namespace).toBeUndefined();
  });

  it('should rewrite the images of containers and init containers that match by name', async () => {
    const dir = await tree({
      ...BASE,
      'overlay/kustomization.yaml': [
        'resources:\n  - ../base',
        'images:',
        '  - name: web\n    newName: ghcr.io/acme/web\n    newTag: sha-1a2b3c4',
        '  - name: busybox\n    newTag: "1.37"',
        `  - name: registry.example/sidecar\n    digest: sha256:${'b'.repeat(64)}`,
        '',
      ].join('\n'),
    });

    const rendered = await render(join(dir, 'overlay'));

    const spec = rendered.get('Deployment/web')?.spec as {
      template: { spec: { containers: { image: string }[]; initContainers: { image: string }[] } };
    };
    expect(spec.template.spec.containers.map((c) => c.image)).toEqual([
      'ghcr.io/acme/web:sha-1a2b3c4',
      `registry.example/sidecar@sha256:${'b'.repeat(64)}`,
    ]);
    expect(spec.template.spec.initContainers[0].image).toBe('busybox:1.37');
  });

  it('should apply JSON 6902 patches to their target before the images are rewritten', async () => {
    const dir = await tree({
      ...BASE,
      'overlay/kustomization.yaml': [
        'resources:\n  - ../base',
        'images:\n  - name: web\n    newTag: "2.0"',
        'patches:',
        '  - target:\n      kind: Deployment\n      name: web',
        '    patch: |-',
        '      - op: add\n        path: /spec/replicas\n        value: 3',
        '      - op: remove\n        path: /spec/template/spec/initContainers',
        '  - path: service-port.yaml\n    target:\n      version: v1\n      kind: Service',
        '',
      ].join('\n'),
      'overlay/service-port.yaml': '- op: replace\n  path: /spec/ports/0/port\n  value: 8080\n',
    });

    const rendered = await render(join(dir, 'overlay'));

    const deployment = rendered.get('Deployment/web') as KubernetesObject & {
      spec: Record<string, unknown> & { template: { spec: Record<string, unknown> } };
    };
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.initContainers).toBeUndefined();
    expect(JSON.stringify(deployment)).toContain('"image":"web:2.0"');
    expect(rendered.get('Service/web')?.spec).toEqual({ ports: [{ port: 8080 }] });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'a field it does not implement',
      { 'overlay/kustomization.yaml': 'namePrefix: prod-\nresources:\n  - ../base\n' },
      /namePrefix is not implemented by the check's renderer/,
    ],
    [
      'a strategic merge patch',
      {
        'overlay/kustomization.yaml':
          'resources:\n  - ../base\npatches:\n  - target:\n      kind: Service\n    patch: |-\n      spec:\n        type: NodePort\n',
      },
      /only JSON 6902 patches/,
    ],
    [
      'a patch whose target matches nothing',
      {
        'overlay/kustomization.yaml':
          'resources:\n  - ../base\npatches:\n  - target:\n      kind: Deployment\n      name: api\n    patch: "[]"\n',
      },
      /matches nothing/,
    ],
    [
      'a patch that replaces a missing member',
      {
        'overlay/kustomization.yaml':
          'resources:\n  - ../base\npatches:\n  - target:\n      kind: Service\n    patch: |-\n      - op: replace\n        path: /spec/type\n        value: NodePort\n',
      },
      /replace \/spec\/type: no such member/,
    ],
    [
      'a resource file outside the folder',
      { 'overlay/kustomization.yaml': 'resources:\n  - ../base/service.yaml\n' },
      /is a file outside/,
    ],
    [
      'an object defined twice',
      {
        'overlay/kustomization.yaml': 'resources:\n  - ../base\n  - service.yaml\n',
        'overlay/service.yaml': SERVICE,
      },
      /Service web is defined twice/,
    ],
  ])('should refuse %s', async (_case, files, message) => {
    const dir = await tree({ ...BASE, ...files });

    await expect(renderKustomization(join(dir, 'overlay'))).rejects.toThrow(KustomizeRenderError);
    await expect(renderKustomization(join(dir, 'overlay'))).rejects.toThrow(message);
  });

  it('should render the production overlay', async () => {
    const rendered = await render(deliveryFiles().kubernetesOverlay);

    expect([...rendered.keys()].sort()).toEqual([
      'ConfigMap/mle-api-config',
      'Deployment/mle-api',
      'HorizontalPodAutoscaler/mle-api',
      'PodDisruptionBudget/mle-api',
      'Service/mle-api',
      'ServiceMonitor/mle-api',
    ]);
  });
});
