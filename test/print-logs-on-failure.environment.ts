import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

/**
 * Node's test environment, which prints the log lines a test's apps kept (`BufferedLogger`) only
 * when the test, or a hook, fails; otherwise they are dropped when the test ends.
 */
export default class PrintLogsOnFailureEnvironment extends TestEnvironment {
  handleTestEvent(event: Circus.Event): void {
    if (event.name === 'test_done') {
      const failed = event.test.errors.length > 0;
      this.flush(failed ? `the failed test "${event.test.name}"` : undefined);
    } else if (event.name === 'hook_failure') {
      this.flush(`the failed ${event.hook.type} hook`);
    }
  }

  private flush(title: string | undefined): void {
    const global = this.global as { testLogLines?: string[] };
    const lines = global.testLogLines ?? [];
    global.testLogLines = [];
    if (title && lines.length > 0) {
      process.stderr.write(`\nLogged during ${title}:\n${lines.join('\n')}\n\n`);
    }
  }
}
