/**
 * Progress of long command-line work: a line redrawn in place on a terminal, a line every few
 * seconds otherwise (CI logs, files), so neither floods nor stays silent.
 */
export class ProgressReporter {
  private readonly started = performance.now();
  private lastDrawn = 0;
  private readonly interactive: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.interactive = Boolean(out.isTTY);
  }

  update(done: number): void {
    const now = performance.now();
    if (now - this.lastDrawn < (this.interactive ? 100 : 5_000)) return;
    this.lastDrawn = now;
    this.draw(done, now);
  }

  /** Draws the final state and ends the line; returns the elapsed seconds. */
  finish(done: number): number {
    const now = performance.now();
    this.draw(done, now);
    if (this.interactive) this.out.write('\n');
    return (now - this.started) / 1000;
  }

  private draw(done: number, now: number): void {
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const of = this.total ? ` / ${this.total.toLocaleString('en-US')}` : '';
    const pct = this.total ? ` ${((100 * done) / this.total).toFixed(0).padStart(3)}%` : '';
    const text = `${this.label}:${pct} ${done.toLocaleString('en-US')}${of} (${rate.toLocaleString('en-US')}/s, ${seconds.toFixed(1)} s)`;
    this.out.write(this.interactive ? `\r\x1b[2K${text}` : `${text}\n`);
  }
}
