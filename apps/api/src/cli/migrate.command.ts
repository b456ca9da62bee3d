import { parseArgs } from 'node:util';
import { revertLastMigration, runMigrations } from '../database/migrations';
import { runCommand, UsageError } from './command-runner';

const USAGE = 'usage: npm run migration:run | npm run migration:revert | npm run migration:show';

void runCommand(
  'migration',
  async ({ env, dataSource, database }) => {
    const { positionals } = parseArgs({ allowPositionals: true, options: {} });
    const action = positionals[0];
    process.stdout.write(`Database: ${database.description}\n`);
    switch (action) {
      case 'run': {
        const { applied, analystPasswordSet } = await runMigrations(dataSource, {
          analystPassword: env.ANALYST_PASSWORD,
          onWait: () =>
            process.stdout.write('Another process is applying migrations: waiting for it.\n'),
        });
        process.stdout.write(
          applied.length
            ? `Applied ${applied.length} migration(s):\n${applied.map((n) => `  ${n}\n`).join('')}`
            : 'No pending migrations: the schema is up to date.\n',
        );
        process.stdout.write(
          analystPasswordSet
            ? 'Set the analyst password from ANALYST_PASSWORD: the analyst role can log in.\n'
            : "ANALYST_PASSWORD is not set: the analyst role's login and password are unchanged.\n",
        );
        return;
      }
      case 'revert':
        await revertLastMigration(dataSource);
        process.stdout.write('Reverted the last migration.\n');
        return;
      case 'show': {
        const applied = new Set(
          (
            (await dataSource.query(`SELECT name FROM migrations`).catch(() => [])) as {
              name: string;
            }[]
          ).map((r) => r.name),
        );
        for (const migration of dataSource.migrations) {
          const name = migration.name ?? migration.constructor.name;
          process.stdout.write(`  [${applied.has(name) ? 'x' : ' '}] ${name}\n`);
        }
        return;
      }
      default:
        throw new UsageError(`unknown action ${JSON.stringify(action)}. ${USAGE}`);
    }
  },
  { migrate: false },
);
