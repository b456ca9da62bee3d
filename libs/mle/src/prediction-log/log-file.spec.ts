import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { gzipExclusive, keepCompleteLines } from './log-file';

describe('log files', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mle-log-file-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should cut a partial last line and count the complete ones when a write was cut short', async () => {
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"n":1}\n{"n":2}\n{"n":');

    const lines = await keepCompleteLines(file);

    expect(lines).toBe(2);
    expect(await readFile(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  });

  it('should count nothing when the file was never created', async () => {
    await expect(keepCompleteLines(join(dir, 'missing.jsonl'))).resolves.toBe(0);
  });

  it('should gzip a file into place and count its lines when no copy exists', async () => {
    const file = join(dir, 'a.jsonl');
    await writeFile(file, 'one\ntwo\n');

    const lines = await gzipExclusive(file);

    expect(lines).toBe(2);
    expect(await readdir(dir)).toEqual(['a.jsonl.gz']);
    expect(gunzipSync(await readFile(`${file}.gz`)).toString()).toBe('one\ntwo\n');
  });

  it('should keep both files and replace nothing when the gzipped name is taken', async () => {
    const file = join(dir, 'a.jsonl');
    await writeFile(file, 'new\n');
    await writeFile(`${file}.gz`, 'an earlier archive');

    await expect(gzipExclusive(file)).rejects.toThrow(/EEXIST/);

    expect(await readFile(`${file}.gz`, 'utf8')).toBe('an earlier archive');
    expect((await readdir(dir)).sort()).toEqual(['a.jsonl', 'a.jsonl.gz']);
  });
});
