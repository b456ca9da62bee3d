import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  await globalThis.embeddedTestPostgres?.stop();
  if (globalThis.testRunDir) await rm(globalThis.testRunDir, { recursive: true, force: true });
}
