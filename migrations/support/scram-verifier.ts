import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677), computed on the
 * client as psql's \password does: `ALTER ROLE … PASSWORD '<verifier>'` then never carries the
 * password itself. The verifier's alphabet (base64, `$`, `:`) needs no quoting.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  // PostgreSQL applies SASLprep; NFKC normalisation is its effective part for printable input.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
