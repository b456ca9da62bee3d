import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The files the delivery checks read, as absolute paths. */
export interface DeliveryFiles {
  root: string;
  dockerfile: string;
  compose: string;
  envExample: string;
  workflowsDir: string;
  /** The kustomization `kubectl apply -k` deploys. */
  kubernetesOverlay: string;
}

/**
 * The repository root: the nearest folder above this module whose package.json is this project's.
 * Found from the module itself so the checks work from the sources (Jest) and from dist/ alike,
 * whatever the working directory.
 */
export function repositoryRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'mle-service') return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no mle-service package.json above ${from}`);
  }
}

export function deliveryFiles(root = repositoryRoot()): DeliveryFiles {
  return {
    root,
    dockerfile: join(root, 'docker/Dockerfile'),
    compose: join(root, 'docker/docker-compose.prod.yml'),
    envExample: join(root, 'docker/.env.example'),
    workflowsDir: join(root, '.github/workflows'),
    kubernetesOverlay: join(root, 'docker/kubernetes/overlays/production'),
  };
}
