import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { ModelService } from '../model.service';
import { ModelArtifactRepository, sha256Hex, StoredVersion } from './model-artifact.repository';
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

/** A file name a stored version may hold: a plain name in its folder, never a path. */
const SAFE_FILE = /^(?!\.)[A-Za-z0-9._-]{1,200}$/;

interface LocalVersion {
  dir: string;
  manifest: ModelManifest;
  /** The manifest's exact text (its SHA-256 is what the database records). */
  text: string;
}

/**
 * Model versions on disk: `MODEL_DIR/<name>/<version>/` holds the model's files and
 * `manifest.json`; `MODEL_DIR/<name>/current` names the version served. A version folder appears
 * only complete (written under a temporary name, then renamed), and `current` is switched by
 * write-then-rename, so a crash never leaves a half-written artifact in use.
 *
 * With a database, every version is also stored there (`ModelArtifactRepository`) and MODEL_DIR
 * is this process's cache of it: a version saved here is stored at once; a version missing here,
 * or whose copy here differs from the stored one, is fetched before it is read; the stored
 * hashes are checked either way. Replicas share the database, never a folder.
 */
@Injectable()
export class ModelArtifactStore {
  private readonly logger = new Logger('ModelArtifactStore');

  constructor(
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
    // Absent without a database: MODEL_DIR is all there is.
    @Optional() private readonly artifacts?: ModelArtifactRepository,
  ) {}

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
    let complete: ModelManifest;
    try {
      await model.save(partial);
      const files: Record<string, string> = {};
      for (const file of (await readdir(partial)).sort()) {
        if (file === MANIFEST_FILE) continue;
        files[file] = await sha256(join(partial, file));
      }
      complete = {
        format: MANIFEST_FORMAT,
        name: model.name,
        version,
        ...manifest,
        files,
      };
      await writeFile(join(partial, MANIFEST_FILE), `${JSON.stringify(complete, null, 2)}\n`);
      await rename(partial, join(root, version));
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
    // Kept here when storing fails: the next start of a process on this folder stores it.
    await this.publish(model.name, version);
    return complete;
  }

  /**
   * Stores a version of this folder in the database (checked first); answers whether it was new
   * there. Without a database: false.
   */
  async publish(name: string, version: string): Promise<boolean> {
    if (!this.artifacts) return false;
    const local = await this.readLocal(name, version);
    const files = [];
    for (const file of Object.keys(local.manifest.files).sort()) {
      const content = await readFile(join(local.dir, file));
      files.push({ file, sha256: sha256Hex(content), content });
    }
    return this.artifacts.put({
      model: name,
      version,
      manifest: local.text,
      manifestSha256: sha256Hex(local.text),
      files,
    });
  }

  /** Stores every version of this folder the database does not hold yet; answers those. */
  async publishAll(name: string): Promise<string[]> {
    if (!this.artifacts) return [];
    const stored = new Set(await this.artifacts.versions(name));
    const published: string[] = [];
    for (const version of await this.localVersions(name)) {
      if (stored.has(version)) continue;
      if (await this.publish(name, version)) published.push(version);
    }
    return published;
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

  /** Every complete version, here or in the database, oldest first. */
  async versions(name: string): Promise<string[]> {
    const local = await this.localVersions(name);
    if (!this.artifacts) return local;
    return [...new Set([...local, ...(await this.artifacts.versions(name))])].sort();
  }

  /** The complete versions in this folder, oldest first. */
  async localVersions(name: string): Promise<string[]> {
    try {
      return (await readdir(this.modelRoot(name))).filter((e) => VERSION_PATTERN.test(e)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Reads and checks a version: the manifest parses, names this model and version, and every
   * file it lists exists with its recorded checksum. With a database, the copy here must be the
   * stored one (the manifest's SHA-256): a missing or different copy is fetched first. Returns
   * the folder to load from.
   */
  async read(name: string, version: string): Promise<{ dir: string; manifest: ModelManifest }> {
    if (!VERSION_PATTERN.test(version)) {
      throw new ModelArtifactError(
        name,
        `"${version.slice(0, 64)}" is not a model version of ${name} (versions: ${(await this.versions(name).catch(() => this.localVersions(name))).join(', ') || 'none'}).`,
      );
    }
    const { dir, manifest } = await this.readCached(name, version);
    return { dir, manifest };
  }

  private async readCached(name: string, version: string): Promise<LocalVersion> {
    if (!this.artifacts) return this.readLocal(name, version);
    let stored: { manifestSha256: string } | undefined;
    try {
      stored = await this.artifacts.manifest(name, version);
    } catch (error) {
      // The database does not answer: an intact copy here still serves.
      return this.readLocal(name, version).catch((local: Error) => {
        throw new ModelArtifactError(
          name,
          `${local.message} It could not be fetched either: the database did not answer (${(error as Error).message}).`,
        );
      });
    }
    // Not stored (yet): this folder's copy is all there is.
    if (!stored) return this.readLocal(name, version);
    const cached = await this.readLocal(name, version).catch((error: Error) => error);
    if (!(cached instanceof Error) && sha256Hex(cached.text) === stored.manifestSha256) {
      return cached;
    }
    if (cached instanceof Error && !/is missing or has no manifest/.test(cached.message)) {
      this.logger.warn(`${cached.message} Fetching the stored copy instead.`);
    } else if (!(cached instanceof Error)) {
      this.logger.warn(
        `The copy of model ${name} version ${version} in ${cached.dir} is not the stored one (its manifest differs): fetching the stored copy instead.`,
      );
    }
    await this.fetch(name, version);
    const fetched = await this.readLocal(name, version);
    if (sha256Hex(fetched.text) !== stored.manifestSha256) {
      throw new ModelArtifactError(
        name,
        `the copy of model ${name} version ${version} in ${fetched.dir} is still not the stored one after fetching it (another process of this folder wrote it meanwhile?); try again.`,
      );
    }
    return fetched;
  }

  /** Writes the stored copy of a version into this folder, checked first, replacing any other. */
  private async fetch(name: string, version: string): Promise<void> {
    const stored = await this.artifacts!.get(name, version);
    if (!stored) {
      throw new ModelArtifactError(name, `model ${name} version ${version} is no longer stored.`);
    }
    const problem = storedProblem(stored);
    if (problem) {
      throw new ModelArtifactError(
        name,
        `the database's copy of model ${name} version ${version} is corrupted: ${problem}. Import an intact copy (npm run models:import) or promote another version.`,
      );
    }
    const root = this.modelRoot(name);
    const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
    const partial = join(root, `.${version}.fetch-${tag}`);
    await mkdir(partial, { recursive: true });
    try {
      for (const { file, content } of stored.files) await writeFile(join(partial, file), content);
      await writeFile(join(partial, MANIFEST_FILE), stored.manifest);
      const target = join(root, version);
      const stale = join(root, `.${version}.stale-${tag}`);
      await rename(target, stale).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await rename(partial, target).catch((error: NodeJS.ErrnoException) => {
        // Another process of this folder fetched it meanwhile: its copy is checked next.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
      await rm(stale, { recursive: true, force: true });
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  }

  private async readLocal(name: string, version: string): Promise<LocalVersion> {
    const dir = join(this.modelRoot(name), version);
    const where = `model ${name} version ${version} (${dir})`;
    let manifest: ModelManifest;
    let text: string;
    try {
      text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
      manifest = JSON.parse(text) as ModelManifest;
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
    return { dir, manifest, text };
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
    // The stored copies too, except a version some replica serves or scores in shadow.
    await this.artifacts?.delete(name, removed);
    return removed;
  }
}

/** What is wrong with a stored version (hashes, file names), or undefined when it is intact. */
function storedProblem(stored: StoredVersion): string | undefined {
  if (sha256Hex(stored.manifest) !== stored.manifestSha256) {
    return 'its manifest does not match its recorded SHA-256';
  }
  let listed: Record<string, string>;
  try {
    listed = (JSON.parse(stored.manifest) as ModelManifest).files ?? {};
  } catch {
    return 'its manifest is not JSON';
  }
  const files = new Map(stored.files.map((f) => [f.file, f]));
  // Every stored file is written into the version's folder: none its manifest does not list.
  const unlisted = stored.files.find((f) => !Object.hasOwn(listed, f.file));
  if (unlisted)
    return `it holds ${JSON.stringify(unlisted.file).slice(0, 80)}, which its manifest does not list`;
  for (const [file, expected] of Object.entries(listed)) {
    const found = files.get(file);
    if (!SAFE_FILE.test(file) || file === MANIFEST_FILE)
      return `the file name ${JSON.stringify(file).slice(0, 80)} is not allowed`;
    if (!found) return `${file} is missing`;
    if (found.sha256 !== expected || sha256Hex(found.content) !== expected) {
      return `${file} is not the file that was saved (checksum differs)`;
    }
  }
  return undefined;
}
