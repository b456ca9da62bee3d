import { CheckReport } from './check-report';
import { kubectlKustomize } from './kubectl-kustomize';
import { apiOf } from './kubernetes-api';
import { KUBERNETES_RULES } from './kubernetes.rules';
import { KubernetesObject, KustomizeRenderError, renderKustomization } from './kustomize-render';
import { sameJson } from './same-json';

// The Deployment that runs the API; the other objects are found from it (selectors, targets).
const API_DEPLOYMENT = 'mle-api';

const idOf = (o: unknown) => {
  const { kind, metadata } = o as Partial<KubernetesObject>;
  return `${kind ?? '?'} ${metadata?.namespace ?? ''}/${metadata?.name ?? '?'}`;
};

/** Where kubectl's render and ours differ, by object; empty when they are the same. */
function differences(ours: readonly KubernetesObject[], kubectl: readonly unknown[]): string[] {
  const theirs = new Map(kubectl.map((o) => [idOf(o), o]));
  const mine = new Map(ours.map((o) => [idOf(o), o]));
  return [...new Set([...mine.keys(), ...theirs.keys()])].flatMap((id) => {
    if (!theirs.has(id)) return [`${id} is only in the check's render`];
    if (!mine.has(id)) return [`${id} is only in kubectl's render`];
    return sameJson(mine.get(id), theirs.get(id)) ? [] : [`${id} differs`];
  });
}

/**
 * Lints the Kubernetes manifests without a cluster: renders the kustomization `kubectl apply -k`
 * deploys (docker/kubernetes/overlays/production), then holds the result to KUBERNETES_RULES,
 * the Kubernetes schemas first. Where a kubectl with kustomize v5 is installed, its render of
 * the same folder must equal the one checked.
 */
export async function checkKubernetes(
  overlay: string,
  { shownAs = overlay, runCli = true }: { shownAs?: string; runCli?: boolean } = {},
): Promise<CheckReport> {
  const report = new CheckReport('Kubernetes', shownAs);
  let objects: KubernetesObject[];
  try {
    objects = await renderKustomization(overlay);
  } catch (error) {
    if (!(error instanceof KustomizeRenderError)) throw error;
    report.problem(`kustomize: ${error.message}`);
    return report;
  }

  const api = apiOf(objects, API_DEPLOYMENT);
  if (typeof api === 'string') {
    report.problem(api);
    return report;
  }
  for (const { check } of KUBERNETES_RULES) {
    for (const problem of check(api)) report.problem(problem);
  }

  if (!runCli) return report;
  const kubectl = await kubectlKustomize(overlay);
  if (!kubectl.available) {
    report.note(`render not compared with kubectl kustomize: ${kubectl.reason}`);
    return report;
  }
  const differ = differences(objects, kubectl.objects);
  if (differ.length) {
    report.problem(
      `kubectl kustomize (kustomize v${kubectl.version}) renders otherwise than the check: ${differ.join('; ')}. ` +
        'Keep the overlay to what docker/lint-delivery/kustomize-render.ts implements, or fix it',
    );
  } else {
    report.note(
      `kubectl kustomize (kustomize v${kubectl.version}) renders the same ${objects.length} objects`,
    );
  }
  return report;
}
