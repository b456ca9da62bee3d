import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { testDatabaseUrl } from '../../../test/test-database';
import { AppModule } from '../src/app.module';

/** The real app on the suite's database, listening on a random local port. */
export async function createTestApp(
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  Object.assign(process.env, { DATABASE_URL: testDatabaseUrl(), ...env });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot()] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
