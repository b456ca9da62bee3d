import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { ModelService } from '../model.service';
import { MANIFEST_FILE, MANIFEST_FORMAT, ModelManifest } from './model-manifest';
import { ModelArtifactError } from './registry.errors';

const CURRENT_FILE = 'current';
// Versions sort by time as strings: 20261126T163000123Z-1a2b3c.
const VERSION_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

export function newVersionId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** The file's SHA-256, or why there is none: missing, a folder, unreadable. */
async function checksumOf(path: string): Promise<{ sha256: string } | { problem: string }> {
  try {
    if (!(await stat(path)).isFile()) return { problem: 'a folder, not a file' };
    return { sha256: await sha256(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? 'missing' : `unreadable (${code ?? String(error)})` };
  }
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}

/**
 * Model versions on disk: `MODEL_DIR/<name>/<version>/` holds the model's files and
 * `manifest.json`; `MODEL_DIR/<name>/current` names the version served. A version folder appears
 * only complete (written under a temporary name, then renamed), and `current` is switched by
 * write-then-rename, so a crash never leaves a half-written artifact in use.
 */
@Injectable()
export class ModelArtifactStore {
  constructor(@Inject(MLE_OPTIONS) private readonly options: MleOptions) {}

  modelRoot(name: string): string {
    return join(this.options.modelDir, name);
  }

  /** Saves a fitted model as a new version (not yet current) and returns its manifest. */
  async save(
    model: ModelService,
    manifest: Omit<ModelManifest, 'format' | 'name' | 'version' | 'files'>,
  ): Promise<ModelManifest> {
    const root = this.modelRoot(model.name);
    const version = newVersionId(new Date(manifest.createdAt));
    const partial = join(root, `.${version}.partial`);
    await mkdir(partial, { recursive: true });
    try {
      await model.save(partial);
      const files: Record<string, string> = {};
      for (const file of (await readdir(partial)).sort()) {
        if (file === MANIFEST_FILE) continue;
        files[file] = await sha256(join(partial, file));
      }
      const complete: ModelManifest = {
        format: MANIFEST_FORMAT,
        name: model.name,
        version,
        ...manifest,
        files,
      };
      await writeFile(join(partial, MANIFEST_FILE), `${JSON.stringify(complete, null, 2)}\n`);
      await rename(partial, join(root, version));
      return complete;
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
  }

  async currentVersion(name: string): Promise<string | undefined> {
    const file = join(this.modelRoot(name), CURRENT_FILE);
    try {
      const version = (await readFile(file, 'utf8')).trim();
      return version || undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw new ModelArtifactError(
        name,
        `${file} ${code === 'EISDIR' ? `is a folder, not a file` : `cannot be read (${code ?? String(error)})`}: ` +
          `it must be a file naming the version to serve (versions: ${(await this.versions(name)).join(', ') || 'none yet'}).`,
      );
    }
  }

  /** Makes `version` the one served; it must be a complete, intact version. */
  async promote(name: string, version: string): Promise<void> {
    await this.read(name, version);
    await writeAtomically(join(this.modelRoot(name), CURRENT_FILE), `${version}\n`);
  }

  /** Every complete version, oldest first. */
  async versions(name: string): Promise<string[]> {
    try {
      return (await readdir(this.modelRoot(name))).filter((e) => VERSION_PATTERN.test(e)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Reads and checks a version: the manifest parses, names this model and version, and every
   * file it lists exists with its recorded checksum. Returns the folder to load from.
   */
  async read(name: string, version: string): Promise<{ dir: string; manifest: ModelManifest }> {
    if (!VERSION_PATTERN.test(version)) {
      throw new ModelArtifactError(
        name,
        `"${version.slice(0, 64)}" is not a model version of ${name} (versions: ${(await this.versions(name)).join(', ') || 'none'}).`,
      );
    }
    const dir = join(this.modelRoot(name), version);
    const where = `model ${name} version ${version} (${dir})`;
    let manifest: ModelManifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as ModelManifest;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT'
          ? 'is missing or has no manifest.json'
          : code === 'EISDIR'
            ? `is not usable: ${MANIFEST_FILE} is a folder, not a file`
            : 'has an unreadable manifest.json';
      throw new ModelArtifactError(name, `${where} ${reason}.`);
    }
    if (
      manifest?.format !== MANIFEST_FORMAT ||
      manifest.name !== name ||
      manifest.version !== version ||
      typeof manifest.files !== 'object' ||
      manifest.files === null
    ) {
      throw new ModelArtifactError(
        name,
        `${where} has a manifest for another model, version or format.`,
      );
    }
    for (const [file, expected] of Object.entries(manifest.files)) {
      const actual = await checksumOf(join(dir, file));
      const problem =
        'problem' in actual
          ? actual.problem
          : actual.sha256 !== expected
            ? 'not the file that was saved (checksum differs)'
            : undefined;
      if (problem) {
        throw new ModelArtifactError(name, `${where} is corrupted: ${file} is ${problem}.`);
      }
    }
    return { dir, manifest };
  }

  /** Deletes the oldest versions beyond `keepVersions`, never the current one nor any of `keep`. */
  async prune(name: string, keep: readonly string[] = []): Promise<string[]> {
    const current = await this.currentVersion(name);
    const kept = new Set([current, ...keep]);
    const others = (await this.versions(name)).filter((v) => !kept.has(v));
    const removed = others.slice(0, Math.max(0, others.length - this.options.keepVersions));
    for (const version of removed) {
      await rm(join(this.modelRoot(name), version), { recursive: true, force: true });
    }
    return removed;
  }
}
