import { createHash } from 'node:crypto';

const NEWLINE = 0x0a;

/** Bytes before a checkpoint's position that its fingerprint covers. */
export const FINGERPRINT_BYTES = 4096;

/** The fingerprint of the bytes just before a position (hex SHA-256). */
export const fingerprintOf = (bytes: Buffer): string =>
  createHash('sha256').update(bytes).digest('hex');

/**
 * A line longer than this is malformed whatever it holds (a prediction record is a few hundred
 * bytes): it is counted, never buffered, so memory stays bounded on a corrupt file.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Cuts a byte stream into lines and keeps the byte position just after the last complete line,
 * which is what a checkpoint records. Bytes after it (a line still being written, or the
 * truncated end of a file) are held until their newline arrives.
 */
export class LineSplitter {
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private oversized = false;
  /** The last `FINGERPRINT_BYTES` bytes before `position`; undefined when not known. */
  private recent: Buffer | undefined;

  /**
   * @param position Position of the first byte the splitter will count.
   * @param skip Bytes to drop first (a gzipped file is decompressed from its start).
   * @param before The bytes just before `position` (when it is not 0 and nothing is skipped).
   */
  constructor(
    public position: number,
    private skip = 0,
    before?: Buffer,
  ) {
    this.recent = position === skip || before ? (before ?? Buffer.alloc(0)) : undefined;
  }

  /** Bytes after the last complete line. */
  get pending(): number {
    return this.tailBytes;
  }

  /** Bytes still to skip: the content ended before the position if any remain at its end. */
  get skipping(): number {
    return this.skip;
  }

  /** The fingerprint of the bytes just before `position`; null when not known. */
  fingerprint(): string | null {
    return this.recent ? fingerprintOf(this.recent) : null;
  }

  /** Drops the bytes still to skip from the front of `chunk` (remembering them); the rest. */
  skipFrom(chunk: Buffer): Buffer {
    if (this.skip === 0) return chunk;
    const skipped = Math.min(this.skip, chunk.length);
    this.skip -= skipped;
    this.remember([chunk.subarray(0, skipped)]);
    return chunk.subarray(skipped);
  }

  /** Takes the partial last line as consumed (a truncated one); whether there was one. */
  dropTail(): boolean {
    if (this.tailBytes === 0) return false;
    this.position += this.tailBytes;
    if (this.oversized) this.recent = undefined;
    this.remember(this.tail);
    this.tail = [];
    this.tailBytes = 0;
    this.oversized = false;
    return true;
  }

  /**
   * Calls `onLine` with each line the chunk completes, without its newline; `undefined` for a
   * line longer than `MAX_LINE_BYTES`. `position` has moved past the line when it is called.
   */
  push(chunk: Buffer, onLine: (line: string | undefined) => void): void {
    chunk = this.skipFrom(chunk);
    const held = this.oversized ? undefined : this.tail;
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const bytes = this.tailBytes + end - start;
      let line: string | undefined;
      if (this.oversized || bytes > MAX_LINE_BYTES) line = undefined;
      else if (this.tailBytes === 0) line = chunk.toString('utf8', start, end);
      else line = Buffer.concat([...this.tail, chunk.subarray(start, end)]).toString('utf8');
      this.position += bytes + 1;
      this.tail = [];
      this.tailBytes = 0;
      this.oversized = false;
      start = end + 1;
      onLine(line);
    }
    if (start > 0) {
      // An oversized line's bytes were not kept.
      if (!held) this.recent = undefined;
      this.remember([...(held ?? []), chunk.subarray(0, start)]);
    }
    if (start === chunk.length) return;
    this.tailBytes += chunk.length - start;
    if (this.oversized || this.tailBytes > MAX_LINE_BYTES) {
      this.oversized = true;
      this.tail = [];
    } else {
      this.tail.push(chunk.subarray(start));
    }
  }

  /** Keeps the last `FINGERPRINT_BYTES` of what `parts` add before `position`. */
  private remember(parts: Buffer[]): void {
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    if (length === 0) return;
    if (length < FINGERPRINT_BYTES && !this.recent) return;
    const joined = Buffer.concat(
      this.recent && length < FINGERPRINT_BYTES ? [this.recent, ...parts] : parts,
    );
    this.recent = Buffer.from(joined.subarray(Math.max(0, joined.length - FINGERPRINT_BYTES)));
  }
}
