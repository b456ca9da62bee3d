import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';

export const sha256Hex = (content: Buffer | string): string =>
  createHash('sha256').update(content).digest('hex');

/** A version as stored: its manifest's exact text and every file the model saved. */
export interface StoredVersion {
  model: string;
  version: string;
  manifest: string;
  manifestSha256: string;
  files: { file: string; sha256: string; content: Buffer }[];
}

/**
 * `model_artifacts` and `model_artifact_files`: every version's manifest and files, shared by
 * the replicas (queries only; the cache in MODEL_DIR is `ModelArtifactStore`'s).
 */
@Injectable()
export class ModelArtifactRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The stored versions of a model, oldest first (version ids sort by time). */
  async versions(model: string): Promise<string[]> {
    const rows = await this.dataSource.query<{ version: string }[]>(
      `SELECT version FROM model_artifacts WHERE model = $1 ORDER BY version`,
      [model],
    );
    return rows.map((row) => row.version);
  }

  /** The manifest's text and hash as stored, or undefined when the version is not stored. */
  async manifest(
    model: string,
    version: string,
  ): Promise<{ manifest: string; manifestSha256: string } | undefined> {
    const [row] = await this.dataSource.query<{ manifest: string; manifest_sha256: string }[]>(
      `SELECT manifest, manifest_sha256 FROM model_artifacts WHERE model = $1 AND version = $2`,
      [model, version],
    );
    return row && { manifest: row.manifest, manifestSha256: row.manifest_sha256 };
  }

  /** A stored version with its files, or undefined. */
  async get(model: string, version: string): Promise<StoredVersion | undefined> {
    const stored = await this.manifest(model, version);
    if (!stored) return undefined;
    const files = await this.dataSource.query<{ file: string; sha256: string; content: Buffer }[]>(
      `SELECT file, sha256, content FROM model_artifact_files
        WHERE model = $1 AND version = $2 ORDER BY file`,
      [model, version],
    );
    return { model, version, ...stored, files };
  }

  /**
   * Stores a version in one transaction. A version is immutable: storing it again with the same
   * manifest does nothing (`false`); with another manifest it is refused.
   */
  async put(version: StoredVersion): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const inserted = await manager.query<{ version: string }[]>(
        `INSERT INTO model_artifacts (model, version, manifest, manifest_sha256)
         VALUES ($1, $2, $3, $4) ON CONFLICT (model, version) DO NOTHING RETURNING version`,
        [version.model, version.version, version.manifest, version.manifestSha256],
      );
      if (inserted.length === 0) {
        const [existing] = await manager.query<{ manifest_sha256: string }[]>(
          `SELECT manifest_sha256 FROM model_artifacts WHERE model = $1 AND version = $2`,
          [version.model, version.version],
        );
        if (existing?.manifest_sha256 === version.manifestSha256) return false;
        throw new Error(
          `model ${version.model} version ${version.version} is already stored with another manifest (SHA-256 ${existing?.manifest_sha256}): a version never changes.`,
        );
      }
      for (const file of version.files) {
        await manager.query(
          `INSERT INTO model_artifact_files (model, version, file, sha256, size, content)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [
            version.model,
            version.version,
            file.file,
            file.sha256,
            file.content.length,
            file.content,
          ],
        );
      }
      return true;
    });
  }

  /**
   * Deletes stored versions, except any that is a champion or a shadow in `model_versions` (a
   * replica whose cache lags behind never deletes what another serves). Answers what it deleted.
   */
  async delete(model: string, versions: readonly string[]): Promise<string[]> {
    if (versions.length === 0) return [];
    const rows = await this.dataSource.query<{ version: string }[]>(
      `DELETE FROM model_artifacts a
        WHERE a.model = $1 AND a.version = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM model_versions v
                           WHERE v.model = a.model AND v.version = a.version
                             AND v.role IN ('champion', 'shadow'))
        RETURNING a.version`,
      [model, versions],
    );
    return rows.map((row) => row.version).sort();
  }
}
