import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, IContainer, IProbe, Secret, Service } from 'kubernetes-models/v1';
import { appEnvironment } from './app-environment';
import { imageReference } from './compose-model';
import { DRAIN_SECONDS } from './drain-time';
import { KubernetesApi, ofKind } from './kubernetes-api';
import { kubernetesSchemaProblems } from './kubernetes-schema';

export interface KubernetesRule {
  rule: string;
  check: (api: KubernetesApi) => string[];
}

// The variables that hold credentials; the webhook URL may carry one in its path or query.
const SECRETS = new Set([
  'DATABASE_URL',
  'OPS_TOKEN',
  'RETRAINING_STATUS_TOKEN',
  'ANALYST_PASSWORD',
  'RETRAINING_WEBHOOK_URL',
]);
const SECRET_NAME = /PASSWORD|TOKEN|SECRET|CREDENTIAL/i;
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
const MIGRATE_SCRIPT = 'dist/apps/api/src/cli/migrate.command.js';
// Only DATABASE_URL has to be known for the API's validation: its value stays in the Secret.
const SECRET_STAND_IN: Readonly<Record<string, string>> = {
  DATABASE_URL: 'postgres://stand-in@database/mle',
};

const unless = (holds: boolean, problem: string) => (holds ? [] : [problem]);

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** The container port a probe or Service names (by name or number). */
function containerPort(api: KubernetesApi, port: string | number | undefined): number | undefined {
  const ports = api.container.ports ?? [];
  return typeof port === 'number'
    ? ports.find((p) => p.containerPort === port)?.containerPort
    : ports.find((p) => p.name === port)?.containerPort;
}

function literal(api: KubernetesApi, name: string): string | undefined {
  const entry = api.environment.get(name);
  return entry && 'value' in entry ? entry.value : undefined;
}

function probeProblems(api: KubernetesApi, kind: string, probe: IProbe | undefined, path: string) {
  const field = `${kind}Probe`;
  if (!probe?.httpGet)
    return [`the api container has no ${field}: add httpGet ${path} on port http`];
  const problems: string[] = [];
  if (probe.httpGet.path !== path) {
    problems.push(`${field} asks ${probe.httpGet.path ?? '/'}: use ${path}`);
  }
  const listening = Number(literal(api, 'PORT') ?? 3000);
  if (containerPort(api, probe.httpGet.port) !== listening) {
    problems.push(
      `${field} port ${String(probe.httpGet.port)} is not the container port the API listens on (PORT=${listening})`,
    );
  }
  return problems;
}

/** Seconds a preStop hook pauses: `sleep N` (exec) or the sleep action. */
function preStopSeconds(container: IContainer): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds;
  const [command, seconds] = preStop?.exec?.command ?? [];
  return command !== undefined && /(^|\/)sleep$/.test(command) ? Number(seconds) || 0 : 0;
}

/**
 * The rules the rendered manifests must follow, each a sentence and the check of it; every
 * problem says what to change.
 */
export const KUBERNETES_RULES: readonly KubernetesRule[] = [
  {
    rule: 'every object is one the Kubernetes API accepts: valid for its schema, no unknown field',
    check: (api) =>
      api.objects.flatMap((o) =>
        kubernetesSchemaProblems(o).map((problem) => `${o.kind} ${o.metadata.name}: ${problem}`),
      ),
  },
  {
    rule: 'an autoscaler runs the API on CPU from at least 2 pods; the Deployment leaves it the count',
    check: (api) => {
      const name = api.deployment.metadata?.name;
      const hpa = ofKind(api.objects, HorizontalPodAutoscaler.is).find(
        (h) => h.spec?.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === name,
      );
      if (!hpa?.spec) return [`no HorizontalPodAutoscaler targets Deployment ${name}: add one`];
      const min = hpa.spec.minReplicas ?? 1;
      const onCpu = (hpa.spec.metrics ?? []).some(
        (m) => m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization',
      );
      return [
        ...unless(
          min >= 2,
          `HorizontalPodAutoscaler minReplicas is ${min}: at least 2, so a pod can go`,
        ),
        ...unless(
          hpa.spec.maxReplicas >= min,
          'HorizontalPodAutoscaler maxReplicas is below minReplicas',
        ),
        ...unless(onCpu, 'HorizontalPodAutoscaler does not scale on CPU utilization'),
        ...unless(
          api.deployment.spec?.replicas === undefined,
          `Deployment ${name} sets replicas: remove it, or every apply resets the count the autoscaler chose (set minReplicas instead)`,
        ),
      ];
    },
  },
  {
    rule: "a PodDisruptionBudget covers the API's pods and lets one go at a time",
    check: (api) => {
      const pdb = ofKind(api.objects, PodDisruptionBudget.is).find((p) =>
        selects(p.spec?.selector?.matchLabels, api.podLabels),
      );
      if (!pdb?.spec)
        return ["no PodDisruptionBudget selects the API's pods: add one with maxUnavailable: 1"];
      const min = ofKind(api.objects, HorizontalPodAutoscaler.is)[0]?.spec?.minReplicas ?? 1;
      const { maxUnavailable, minAvailable } = pdb.spec;
      const allows =
        maxUnavailable !== undefined
          ? maxUnavailable !== 0 && maxUnavailable !== '0%'
          : typeof minAvailable === 'number' && minAvailable < min;
      return unless(
        allows,
        `PodDisruptionBudget ${pdb.metadata?.name} never lets a pod go (node drains would hang): use maxUnavailable: 1`,
      );
    },
  },
  {
    rule: 'probes: startup and liveness on /health/live, readiness on /health/ready, on the port the API listens on',
    check: (api) => [
      ...probeProblems(api, 'startup', api.container.startupProbe, '/health/live'),
      ...probeProblems(api, 'liveness', api.container.livenessProbe, '/health/live'),
      ...probeProblems(api, 'readiness', api.container.readinessProbe, '/health/ready'),
    ],
  },
  {
    rule: 'the API runs as a non-root user, without privilege escalation or capabilities, on a read-only root filesystem',
    check: ({ pod, container }) => {
      const context = container.securityContext ?? {};
      const nonRoot = context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const user = context.runAsUser ?? pod.securityContext?.runAsUser;
      return [
        ...unless(
          nonRoot === true && user !== 0,
          'the api container may run as root: set runAsNonRoot: true (and no runAsUser: 0)',
        ),
        ...unless(
          context.readOnlyRootFilesystem === true,
          'the api container needs readOnlyRootFilesystem: true',
        ),
        ...unless(
          context.allowPrivilegeEscalation === false,
          'the api container needs allowPrivilegeEscalation: false',
        ),
        ...unless(
          context.capabilities?.drop?.includes('ALL') === true,
          'the api container needs capabilities: drop: [ALL]',
        ),
      ];
    },
  },
  {
    rule: 'LOG_DIR and MODEL_DIR are writable volumes (emptyDir or a PersistentVolumeClaim)',
    check: (api) =>
      ['LOG_DIR', 'MODEL_DIR'].flatMap((variable) => {
        const dir = literal(api, variable);
        const mount = (api.container.volumeMounts ?? []).find((m) => m.mountPath === dir);
        const volume = api.pod.volumes?.find((v) => v.name === mount?.name);
        const writable =
          mount !== undefined &&
          mount.readOnly !== true &&
          (volume?.emptyDir ?? volume?.persistentVolumeClaim) !== undefined;
        return unless(
          writable,
          `${variable}=${dir ?? '(unset)'} is not a writable emptyDir or PersistentVolumeClaim mount: the root filesystem is read-only`,
        );
      }),
  },
  {
    rule: 'resources: CPU and memory requests (the autoscaler works from them) and a memory limit',
    check: ({ container }) => {
      const { requests, limits } = container.resources ?? {};
      return unless(
        requests?.cpu !== undefined &&
          requests.memory !== undefined &&
          limits?.memory !== undefined,
        'the api container needs resources.requests.cpu, resources.requests.memory and resources.limits.memory',
      );
    },
  },
  {
    rule: `terminationGracePeriodSeconds covers the preStop pause plus the ${DRAIN_SECONDS} s drain`,
    check: ({ pod, container }) => {
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      const needed = preStopSeconds(container) + DRAIN_SECONDS;
      return unless(
        grace >= needed,
        `terminationGracePeriodSeconds is ${grace}: the preStop pause and the drain take ${needed} s (docker/lint-delivery/drain-time.ts)`,
      );
    },
  },
  {
    rule: "the configuration comes from a ConfigMap and passes the API's own validation",
    check: (api) => {
      const problems = [...api.environment]
        .filter(([, entry]) => 'unresolved' in entry)
        .map(([name, entry]) => `${name}: ${'unresolved' in entry ? entry.unresolved : ''}`);
      if (!api.container.envFrom?.some((source) => source.configMapRef)) {
        problems.push('the api container reads no ConfigMap (envFrom.configMapRef)');
      }
      const environment: Record<string, string> = {};
      for (const [name, entry] of api.environment) {
        if ('value' in entry) environment[name] = entry.value;
        else if ('secret' in entry && SECRET_STAND_IN[name])
          environment[name] = SECRET_STAND_IN[name];
      }
      const { env, problems: refused, unknown } = appEnvironment(environment);
      problems.push(...refused.map((problem) => `the API would refuse ${problem}`));
      if (unknown.length) {
        problems.push(
          `the API does not read ${unknown.join(', ')}: remove them, or add them to apps/api/src/config/env.validation.ts first`,
        );
      }
      if (env && env.NODE_ENV !== 'production') problems.push('NODE_ENV must be production');
      return problems;
    },
  },
  {
    rule: 'secrets (tokens, passwords, the database URL) come from a Secret reference, never a literal',
    check: (api) => {
      const problems: string[] = [];
      for (const secret of ofKind(api.objects, Secret.is)) {
        if (Object.keys({ ...secret.data, ...secret.stringData }).length) {
          problems.push(
            `Secret ${secret.metadata?.name} holds values in the manifests: create it with kubectl instead (docs/operations.md)`,
          );
        }
      }
      // Every literal in the manifests, also one the Deployment's env overrides.
      const literals = [
        ...ofKind(api.objects, ConfigMap.is).flatMap((c) =>
          Object.entries(c.data ?? {}).map(([name, value]) => ({
            name,
            value,
            from: `ConfigMap ${c.metadata?.name}`,
          })),
        ),
        ...(api.container.env ?? []).flatMap(({ name, value }) =>
          value === undefined ? [] : [{ name, value, from: 'the Deployment' }],
        ),
      ];
      for (const { name, value, from } of literals) {
        if (SECRETS.has(name) || SECRET_NAME.test(name)) {
          problems.push(
            `${name} is a literal in ${from}: take it from the Secret (env.valueFrom.secretKeyRef)`,
          );
        } else if (URL_PASSWORD.test(value)) {
          problems.push(`${name} in ${from} is a URL with a password: move it to the Secret`);
        }
      }
      const database = api.environment.get('DATABASE_URL');
      if (!database || !('secret' in database) || database.secret.optional) {
        problems.push(
          'DATABASE_URL must come from a Secret and not be optional: without it the API starts an embedded database',
        );
      }
      return problems;
    },
  },
  {
    rule: "a Service routes to the API's port, and a ServiceMonitor scrapes its /metrics",
    check: (api) => {
      const service = ofKind(api.objects, Service.is).find((s) =>
        selects(s.spec?.selector, api.podLabels),
      );
      if (!service?.spec) return ["no Service selects the API's pods"];
      const problems: string[] = [];
      const listening = Number(literal(api, 'PORT') ?? 3000);
      const port = service.spec.ports?.find(
        (p) => containerPort(api, p.targetPort ?? p.port) === listening,
      );
      if (!port)
        problems.push(
          `Service ${service.metadata?.name} has no port targeting the API's port ${listening}`,
        );
      const monitor = ofKind(api.objects, ServiceMonitor.is).find((m) =>
        selects(m.spec.selector.matchLabels, service.metadata?.labels ?? {}),
      );
      if (!monitor) {
        problems.push(`no ServiceMonitor selects Service ${service.metadata?.name} by its labels`);
      } else if (
        !monitor.spec.endpoints?.some((e) => e.port === port?.name && e.path === '/metrics')
      ) {
        problems.push(
          `ServiceMonitor ${monitor.metadata?.name} does not scrape /metrics on the Service's port ${port?.name ?? '(unnamed: name it)'}`,
        );
      }
      return problems;
    },
  },
  {
    rule: 'migrations run when the API starts, under its lock (MIGRATE_ON_START), or as a Job with the same image',
    check: (api) => {
      if (literal(api, 'MIGRATE_ON_START') !== 'false') return [];
      const job = ofKind(api.objects, Job.is).find((j) =>
        j.spec?.template.spec?.containers.some(
          (c) =>
            c.image === api.container.image &&
            [...(c.command ?? []), ...(c.args ?? [])].join(' ').includes(`${MIGRATE_SCRIPT} run`),
        ),
      );
      return unless(
        job !== undefined,
        `MIGRATE_ON_START is false but no Job runs node ${MIGRATE_SCRIPT} run with the API's image: pods would refuse to start on pending migrations`,
      );
    },
  },
  {
    rule: 'the image is pinned: a release, a sha- tag or a digest',
    check: ({ container }) => {
      const image = imageReference(container.image ?? '');
      const pinned =
        image.digest !== undefined || (image.tag !== undefined && image.tag !== 'latest');
      return unless(
        pinned && image.repository.includes('/'),
        `the api image is ${container.image ?? '(none)'}: set the overlay's images entry to ghcr.io/<owner>/mle-service with a release or sha- tag`,
      );
    },
  },
];
