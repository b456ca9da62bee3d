import { Logger } from '@nestjs/common';
import { Env } from '../config/env.validation';
import { embeddedPostgresLocation } from './embedded-postgres.location';
import { EmbeddedPostgresServer } from './embedded-postgres.server';

/**
 * The PostgreSQL this process talks to: the one at DATABASE_URL, or an embedded one started
 * here (and stopped by `stop`). Entry points start it before building the data source.
 */
export class DatabaseServer {
  private constructor(
    /** The server this process started, and stops. */
    private readonly started: EmbeddedPostgresServer | undefined,
    readonly description: string,
    /** Whether the database is the embedded (demo) one, started here or by another process. */
    readonly isEmbedded: boolean,
  ) {}

  static async start(env: Env, onLog?: (line: string) => void): Promise<DatabaseServer> {
    if (env.DATABASE_URL) {
      const { hostname, port, pathname } = new URL(env.DATABASE_URL);
      return new DatabaseServer(
        undefined,
        `PostgreSQL at ${hostname}:${port || 5432}${pathname}`,
        false,
      );
    }
    // A command run beside `npm start` uses the embedded server that is already up.
    const running = await EmbeddedPostgresServer.isRunning(
      env.EMBEDDED_PG_DIR,
      env.EMBEDDED_PG_PORT,
    );
    if (running) {
      return new DatabaseServer(
        undefined,
        `embedded PostgreSQL on 127.0.0.1:${env.EMBEDDED_PG_PORT}, already running (data in ${embeddedPostgresLocation(env.EMBEDDED_PG_DIR).root})`,
        true,
      );
    }
    const embedded = await EmbeddedPostgresServer.start({
      dir: env.EMBEDDED_PG_DIR,
      port: env.EMBEDDED_PG_PORT,
      onLog,
      onNotice: (line) => new Logger(DatabaseServer.name).log(line),
    });
    return new DatabaseServer(
      embedded,
      `embedded PostgreSQL on 127.0.0.1:${env.EMBEDDED_PG_PORT} (data in ${embedded.dataDir})`,
      true,
    );
  }

  async stop(): Promise<void> {
    await this.started?.stop();
  }
}
