import { createReadStream, createWriteStream } from 'node:fs';
import { link, open, rm, unlink } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const NEWLINE = 0x0a;
const READ_BYTES = 1 << 20;

/**
 * Cuts a finished log file back to its last complete line and counts its lines (0 when the file
 * does not exist). `ftruncate` needs no free space, so this works on a full disk.
 */
export async function keepCompleteLines(path: string): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let lines = 0;
    let end = 0;
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
      if (bytesRead === 0) break;
      const read = buffer.subarray(0, bytesRead);
      for (let i = read.indexOf(NEWLINE); i !== -1; i = read.indexOf(NEWLINE, i + 1)) {
        lines += 1;
        end = position + i + 1;
      }
      position += bytesRead;
    }
    if (end < position) await handle.truncate(end);
    return lines;
  } finally {
    await handle.close();
  }
}

/**
 * Gzips a finished file into `<file>.gz` and removes it; the lines it held. The copy is written
 * beside it and linked into place, which fails rather than replace an existing `.gz`.
 */
export async function gzipExclusive(file: string): Promise<number> {
  const partial = `${file}.gz.partial`;
  let lines = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(file), count, createGzip(), createWriteStream(partial));
    await link(partial, `${file}.gz`);
  } finally {
    await rm(partial, { force: true });
  }
  await unlink(file);
  return lines;
}
