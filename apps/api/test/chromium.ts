import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The Chromium on PATH: Debian's package is `chromium`; GitHub's runners have Chrome. */
export const CHROMIUM = onPath([
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
]);

export const IN_CI = process.env.CI === 'true';

/**
 * `it` when a browser test can run (or must: in CI it then fails without Chromium), `it.skip`
 * with a loud message otherwise.
 */
export function itInBrowser(what: string): jest.It {
  if (CHROMIUM || IN_CI) return it;
  process.stderr.write(
    `\n!!! SKIPPED ${what}: chromium is not installed ` +
      '(apt-get install -y chromium). In CI (CI=true) it fails instead. !!!\n\n',
  );
  return it.skip;
}

/** The Chromium to launch; throws in CI when there is none (the test then fails). */
export function requireChromium(): string {
  if (!CHROMIUM) throw new Error('CI=true and chromium is not installed: install it first.');
  return CHROMIUM;
}
