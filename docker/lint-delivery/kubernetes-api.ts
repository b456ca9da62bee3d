import { Deployment, IDeployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, IContainer, IPodSpec } from 'kubernetes-models/v1';
import type { KubernetesObject } from './kustomize-render';

/** The rendered manifests, and the API's Deployment, pod and container within them. */
export interface KubernetesApi {
  objects: readonly KubernetesObject[];
  deployment: IDeployment;
  pod: IPodSpec;
  container: IContainer;
  podLabels: Readonly<Record<string, string>>;
  /** Every variable the container gets: a literal, or where a secret comes from. */
  environment: ReadonlyMap<string, EnvironmentValue>;
}

export type EnvironmentValue =
  | { value: string; from: string }
  | { secret: { name: string; key: string; optional: boolean } }
  | { unresolved: string };

/** The objects of one kind, typed by the model's guard (e.g. `ofKind(objects, Service.is)`). */
export function ofKind<T>(objects: readonly unknown[], is: (o: unknown) => o is T): T[] {
  return objects.filter(is);
}

/** The API as the rules see it, or why it cannot be found. */
export function apiOf(objects: readonly KubernetesObject[], name: string): KubernetesApi | string {
  const deployment = ofKind(objects, Deployment.is).find((o) => o.metadata?.name === name);
  const pod = deployment?.spec?.template.spec;
  const container = pod?.containers.find((c) => c.name === 'api');
  if (!deployment || !pod || !container) {
    return `no Deployment ${name} with a container named api: the manifests must run the API`;
  }
  const configMaps = new Map(ofKind(objects, ConfigMap.is).map((c) => [c.metadata?.name, c]));
  const environment = new Map<string, EnvironmentValue>();
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    const configMap = configMaps.get(name);
    if (!configMap && !source.configMapRef?.optional) {
      environment.set(`envFrom ${name ?? source.secretRef?.name ?? '?'}`, {
        unresolved: `ConfigMap ${name ?? '?'} is not in the manifests (envFrom.secretRef is not allowed: name each secret)`,
      });
    }
    for (const [key, value] of Object.entries(configMap?.data ?? {})) {
      environment.set(`${source.prefix ?? ''}${key}`, { value, from: `ConfigMap ${name}` });
    }
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    const fromMap = variable.valueFrom?.configMapKeyRef;
    if (variable.value !== undefined) {
      environment.set(variable.name, { value: variable.value, from: 'the Deployment' });
    } else if (secret?.name) {
      environment.set(variable.name, {
        secret: { name: secret.name, key: secret.key, optional: secret.optional ?? false },
      });
    } else if (fromMap && configMaps.get(fromMap.name)?.data?.[fromMap.key] !== undefined) {
      const value = configMaps.get(fromMap.name)?.data?.[fromMap.key] ?? '';
      environment.set(variable.name, { value, from: `ConfigMap ${fromMap.name}` });
    } else {
      environment.set(variable.name, {
        unresolved: 'not a literal, a Secret key or a ConfigMap key in the manifests',
      });
    }
  }
  return {
    objects,
    deployment,
    pod,
    container,
    podLabels: deployment.spec?.template.metadata?.labels ?? {},
    environment,
  };
}
