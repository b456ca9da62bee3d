import { ModelPlugin } from '@app/mle';
import { LabelledTableReader, LabelledTableSql, seedDemoData } from '@app/mle/data';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Env } from '../config/env.validation';
import { buildDataSourceOptions } from '../database/data-source.options';
import { DatabaseServer } from '../database/database-server';
import { assertMigrated, runMigrations } from '../database/migrations';

/**
 * Migrations first: the embedded (demo) database always, an external one unless
 * MIGRATE_ON_START=false, in which case the app only checks that none is pending (they run as a
 * step of the deployment). Replicas starting together take turns on a PostgreSQL lock, so a
 * migration is applied once and the others find nothing to do. Embedded mode then seeds the demo
 * data of every served plug-in whose tables are empty. Run once per service: by the one process,
 * or by the primary before it starts the workers.
 */
export async function prepareDatabase(
  env: Env,
  database: DatabaseServer,
  plugins: readonly ModelPlugin[],
  logger: Logger,
): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(env, plugins)).initialize();
  try {
    if (!database.isEmbedded && !env.MIGRATE_ON_START) return await assertMigrated(dataSource);
    const { applied, analystPasswordSet } = await runMigrations(dataSource, {
      analystPassword: env.ANALYST_PASSWORD,
      onWait: () => logger.log('Another process is applying migrations: waiting for it'),
    });
    if (applied.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
    if (analystPasswordSet) logger.log('Set the analyst password from ANALYST_PASSWORD');
    if (!database.isEmbedded || env.DEMO_ROWS === 0) return;
    for (const { data, demo } of plugins) {
      if (!data || !demo) continue;
      // The schema is enough to read the tables; the model is not created here.
      const sql = new LabelledTableSql(data.rows, data.labels, []);
      if (!(await new LabelledTableReader(dataSource, sql).isEmpty())) continue;
      const summary = await seedDemoData(dataSource, demo, {
        rows: env.DEMO_ROWS,
        seed: 42,
        now: new Date(),
      });
      logger.log(
        `Seeded ${summary.rows} demo rows into ${data.rows.table} (${summary.labelled} labelled) in ${summary.seconds.toFixed(1)} s`,
      );
    }
  } finally {
    await dataSource.destroy();
  }
}
