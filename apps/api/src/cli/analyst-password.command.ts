import { setAnalystPassword } from '../../../../migrations/support/analyst-password';
import { ANALYST_ROLE } from '../../../../migrations/1795710100000-CreateAnalystRole';
import { runCommand, UsageError } from './command-runner';

/**
 * `npm run analyst:password`: sets or rotates the analyst role's password from ANALYST_PASSWORD,
 * on the embedded or the external database, at any time. The password itself is never printed.
 */
void runCommand('analyst:password', async ({ env, dataSource, database }) => {
  if (!env.ANALYST_PASSWORD) {
    throw new UsageError(
      'ANALYST_PASSWORD is not set: export the new password, then run `npm run analyst:password`.',
    );
  }
  process.stdout.write(`Database: ${database.description}\n`);
  await setAnalystPassword(dataSource, env.ANALYST_PASSWORD);
  process.stdout.write(
    `The ${ANALYST_ROLE} role's password is set from ANALYST_PASSWORD and it can log in; ` +
      'the previous password no longer works (open sessions stay until they end).\n',
  );
});
