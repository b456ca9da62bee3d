const NEWLINE = 0x0a;

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

  /**
   * @param position Position of the first byte the splitter will count.
   * @param skip Bytes to drop first (a gzipped file is decompressed from its start).
   */
  constructor(
    public position: number,
    private skip = 0,
  ) {}

  /** Bytes after the last complete line. */
  get pending(): number {
    return this.tailBytes;
  }

  /**
   * Calls `onLine` with each line the chunk completes, without its newline; `undefined` for a
   * line longer than `MAX_LINE_BYTES`. `position` has moved past the line when it is called.
   */
  push(chunk: Buffer, onLine: (line: string | undefined) => void): void {
    if (this.skip > 0) {
      const skipped = Math.min(this.skip, chunk.length);
      this.skip -= skipped;
      chunk = chunk.subarray(skipped);
    }
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
    if (start === chunk.length) return;
    this.tailBytes += chunk.length - start;
    if (this.oversized || this.tailBytes > MAX_LINE_BYTES) {
      this.oversized = true;
      this.tail = [];
    } else {
      this.tail.push(chunk.subarray(start));
    }
  }
}
