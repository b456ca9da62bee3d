import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { deliveryFiles } from './delivery-files';
import { DRAIN_SECONDS } from './drain-time';
import { checkKubernetes } from './kubernetes.check';

type Edit = [search: string | RegExp, replacement: string];

const files = deliveryFiles();
// docker/kubernetes, holding base/ and overlays/.
const manifests = dirname(dirname(files.kubernetesOverlay));
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mle-kubernetes-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A copy of docker/kubernetes with edits to some files; returns the copy's production overlay. */
async function brokenCopy(edits: Record<string, Edit[]>): Promise<string> {
  const copy = await mkdtemp(join(scratch, 'manifests-'));
  await cp(manifests, copy, { recursive: true });
  for (const [file, fileEdits] of Object.entries(edits)) {
    let text = await readFile(join(copy, file), 'utf8');
    for (const [search, replacement] of fileEdits) {
      const edited = text.replace(search, replacement);
      if (edited === text) throw new Error(`${String(search)} not found in ${file}`);
      text = edited;
    }
    await writeFile(join(copy, file), text);
  }
  return join(copy, relative(manifests, files.kubernetesOverlay));
}

const OVERLAY = 'overlays/production/kustomization.yaml';
const DEPLOYMENT = 'base/deployment.yaml';
const CONFIG = 'base/configmap.yaml';

describe(checkKubernetes.name, () => {
  it('should pass on docker/kubernetes/overlays/production', async () => {
    const report = await checkKubernetes(files.kubernetesOverlay);

    expect(report.problems).toEqual([]);
  });

  // One broken manifest per rule at least, in the order of KUBERNETES_RULES.
  it.each<[string, Record<string, Edit[]>, RegExp]>([
    [
      'a value has the wrong type',
      { [DEPLOYMENT]: [['periodSeconds: 10', 'periodSeconds: ten']] },
      /Deployment mle-api: spec\.template\.spec\.containers\.0\.livenessProbe\.periodSeconds: must be integer/,
    ],
    [
      'a field is misspelt',
      { [DEPLOYMENT]: [['readOnlyRootFilesystem:', 'readOnlyRootFileSystem:']] },
      /Deployment mle-api: spec\.template\.spec\.containers\.0\.securityContext\.readOnlyRootFileSystem: unknown field/,
    ],
    [
      'the ServiceMonitor has a field its CRD does not know',
      { 'overlays/production/service-monitor.yaml': [['interval: 30s', 'intervall: 30s']] },
      /ServiceMonitor mle-api: spec\.endpoints\.0\.intervall: unknown field/,
    ],
    [
      'the autoscaler may run a single pod',
      { [OVERLAY]: [[/value: 3/, 'value: 1']] },
      /minReplicas is 1: at least 2/,
    ],
    [
      'no autoscaler targets the Deployment',
      { 'base/kustomization.yaml': [[/ {2}- horizontal-pod-autoscaler\.yaml\n/, '']] },
      /kustomize: .*HorizontalPodAutoscaler.*matches nothing/,
    ],
    [
      'the Deployment fixes the replica count',
      { [DEPLOYMENT]: [['revisionHistoryLimit: 5', 'replicas: 3\n  revisionHistoryLimit: 5']] },
      /Deployment mle-api sets replicas: remove it/,
    ],
    [
      'the disruption budget never lets a pod go',
      { 'base/pod-disruption-budget.yaml': [['maxUnavailable: 1', 'maxUnavailable: 0']] },
      /PodDisruptionBudget mle-api never lets a pod go/,
    ],
    [
      'readiness asks the liveness route',
      { [DEPLOYMENT]: [['path: /health/ready', 'path: /health/live']] },
      /readinessProbe asks \/health\/live: use \/health\/ready/,
    ],
    [
      'there is no liveness probe',
      { [DEPLOYMENT]: [[/ {10}livenessProbe:\n( {12}.*\n)+/, '']] },
      /no livenessProbe/,
    ],
    [
      'a probe asks another port',
      {
        [DEPLOYMENT]: [
          [/(startupProbe:\n\s+httpGet:\n\s+path: \/health\/live\n\s+port:) http/, '$1 8080'],
        ],
      },
      /startupProbe port 8080 is not the container port the API listens on \(PORT=3000\)/,
    ],
    [
      'the pod runs as root',
      { [DEPLOYMENT]: [['runAsUser: 10001', 'runAsUser: 0']] },
      /may run as root/,
    ],
    [
      'the root filesystem is writable',
      { [DEPLOYMENT]: [['readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false']] },
      /needs readOnlyRootFilesystem: true/,
    ],
    [
      'the model folder is not a volume',
      { [DEPLOYMENT]: [['mountPath: /var/lib/mle/models', 'mountPath: /var/lib/mle/model']] },
      /MODEL_DIR=\/var\/lib\/mle\/models is not a writable emptyDir or PersistentVolumeClaim mount/,
    ],
    [
      'the container has no memory limit',
      { [DEPLOYMENT]: [[/ {12}limits:\n {14}memory: .*\n/, '']] },
      /needs resources\.requests\.cpu, resources\.requests\.memory and resources\.limits\.memory/,
    ],
    [
      'the grace period is shorter than the preStop pause and the drain',
      {
        [DEPLOYMENT]: [
          ['terminationGracePeriodSeconds: 45', `terminationGracePeriodSeconds: ${DRAIN_SECONDS}`],
        ],
      },
      new RegExp(
        `terminationGracePeriodSeconds is ${DRAIN_SECONDS}: the preStop pause and the drain take ${DRAIN_SECONDS + 5} s`,
      ),
    ],
    [
      'a setting would stop the API at start-up',
      { [CONFIG]: [["MAX_BATCH: '1000'", 'MAX_BATCH: lots']] },
      /the API would refuse MAX_BATCH="lots"/,
    ],
    [
      'a variable is one the API does not read',
      { [CONFIG]: [["MAX_BATCH: '1000'", "MAX_BATCH: '1000'\n  THREADS: '4'"]] },
      /the API does not read THREADS/,
    ],
    [
      'the Deployment reads no ConfigMap',
      { [DEPLOYMENT]: [['name: mle-api-config', 'name: mle-api-settings']] },
      /ConfigMap mle-api-settings is not in the manifests/,
    ],
    [
      'a token is a literal in the ConfigMap',
      { [CONFIG]: [["MAX_BATCH: '1000'", "MAX_BATCH: '1000'\n  OPS_TOKEN: 0123456789abcdef0123"]] },
      /OPS_TOKEN is a literal in ConfigMap mle-api-config: take it from the Secret/,
    ],
    [
      'the manifests carry a Secret with values',
      {
        [CONFIG]: [
          [
            /^/,
            'apiVersion: v1\nkind: Secret\nmetadata:\n  name: mle-api-secrets\nstringData:\n  OPS_TOKEN: x\n---\n',
          ],
        ],
      },
      /Secret mle-api-secrets holds values in the manifests/,
    ],
    [
      'the database URL may be missing',
      { [DEPLOYMENT]: [[/(key: DATABASE_URL\n)/, '$1                  optional: true\n']] },
      /DATABASE_URL must come from a Secret and not be optional/,
    ],
    [
      'the Service targets another port',
      { 'base/service.yaml': [['targetPort: http', 'targetPort: 8080']] },
      /Service mle-api has no port targeting the API's port 3000/,
    ],
    [
      'the ServiceMonitor scrapes another path',
      { 'overlays/production/service-monitor.yaml': [['path: /metrics', 'path: /stats']] },
      /ServiceMonitor mle-api does not scrape \/metrics on the Service's port http/,
    ],
    [
      'migrations are off at start-up and no Job runs them',
      { [CONFIG]: [["MIGRATE_ON_START: 'true'", "MIGRATE_ON_START: 'false'"]] },
      /MIGRATE_ON_START is false but no Job runs node dist\/apps\/api\/src\/cli\/migrate\.command\.js run/,
    ],
    [
      'the image follows latest',
      { [OVERLAY]: [['newTag: sha-1a2b3c4', 'newTag: latest']] },
      /the api image is ghcr\.io\/your-github-org\/mle-service:latest/,
    ],
    [
      'the overlay uses a kustomize feature the renderer does not implement',
      { [OVERLAY]: [['namespace: mle', 'namespace: mle\nnamePrefix: prod-']] },
      /kustomize: .*namePrefix is not implemented by the check's renderer/,
    ],
  ])('should fail when %s', async (_case, edits, problem) => {
    const overlay = await brokenCopy(edits);

    const report = await checkKubernetes(overlay, { runCli: false });

    expect(report.passed).toBe(false);
    expect(report.problems.join('\n')).toMatch(problem);
  });
});
