import { rm } from 'node:fs/promises';
import { unmountUnder } from './other-user';

export default async function globalTeardown(): Promise<void> {
  await globalThis.embeddedTestPostgres?.stop();
  if (globalThis.testRunDir) {
    await unmountUnder(globalThis.testRunDir);
    await rm(globalThis.testRunDir, { recursive: true, force: true });
  }
}
