import { ANALYST_ROLE } from '../1795710100000-CreateAnalystRole';
import { scramSha256Verifier } from './scram-verifier';

/** Anything that runs SQL: a DataSource, an EntityManager or a QueryRunner. */
interface SqlRunner {
  query(sql: string): Promise<unknown>;
}

/**
 * Lets the `analyst` role log in with `password`, replacing any earlier one. The password is
 * hashed here into a SCRAM-SHA-256 verifier, so neither the statement nor a server log ever
 * holds it. The role is created by the migrations; this runs after them.
 */
export async function setAnalystPassword(db: SqlRunner, password: string): Promise<void> {
  await db.query(
    `ALTER ROLE ${ANALYST_ROLE} WITH LOGIN PASSWORD '${scramSha256Verifier(password)}'`,
  );
}
