import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

/** What `kubectl kustomize` rendered, or why it could not be asked. */
export type KubectlRender =
  { available: true; version: string; objects: unknown[] } | { available: false; reason: string };

/**
 * Renders a kustomization with the installed kubectl, when its kustomize is v5 or later (the one
 * `kubectl apply -k` uses since kubectl 1.27; older ones, such as Debian's kubectl 1.20 with
 * kustomize v2, render another dialect). Used to confirm the check's own renderer where kubectl
 * is at hand; nothing depends on it.
 */
export async function kubectlKustomize(dir: string): Promise<KubectlRender> {
  let version: string;
  try {
    const { stdout } = await run('kubectl', ['version', '--client'], { timeout: 20_000 });
    version = /Kustomize Version:\s*v?(\S+)/.exec(stdout)?.[1] ?? '';
  } catch {
    return { available: false, reason: 'kubectl is not installed' };
  }
  if (!/^([5-9]|\d{2,})\./.test(version)) {
    return {
      available: false,
      reason: `kubectl's kustomize is ${version || 'unknown'}, older than v5`,
    };
  }
  const { stdout } = await run('kubectl', ['kustomize', dir], { timeout: 60_000 });
  const objects = parseAllDocuments(stdout)
    .map((document) => {
      const value: unknown = document.toJS();
      return value;
    })
    .filter((value) => value !== null && value !== undefined);
  return { available: true, version, objects };
}
