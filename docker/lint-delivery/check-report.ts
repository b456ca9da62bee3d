/**
 * What one delivery check found. Problems fail the run and each says what to change; notes only
 * inform (a check that was skipped, something worth knowing).
 */
export class CheckReport {
  readonly problems: string[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly name: string,
    readonly file: string,
  ) {}

  get passed(): boolean {
    return this.problems.length === 0;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  note(message: string): void {
    this.notes.push(message);
  }

  /** Records a problem unless `condition` holds; returns the condition. */
  expect(condition: boolean, message: string): boolean {
    if (!condition) this.problem(message);
    return condition;
  }
}
