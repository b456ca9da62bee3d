import Ajv, { AnySchema } from 'ajv';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { CheckReport } from './check-report';
import { COMPOSE_RULES, ComposeStack } from './compose.rules';

export interface ComposeFiles {
  compose: string;
  envExample: string;
}

const run = promisify(execFile);
const COMPOSE_INSTALL =
  'apt-get install -y --no-install-recommends docker-compose, or the Docker Compose plugin';

/**
 * The Compose Specification's JSON schema, as dclint (a maintained Compose linter) ships it in its
 * package: the package exports no path to it, so it is found beside its package.json.
 */
async function composeSchema(): Promise<AnySchema> {
  const file = join(dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json');
  // The schema names its dialect https://json-schema.org/draft-07/schema, a spelling Ajv does not
  // know: Ajv's default dialect is draft-07 already, so the declaration is dropped.
  const { $schema: _, ...schema } = JSON.parse(await readFile(file, 'utf8')) as {
    $schema?: string;
  };
  return schema;
}

async function schemaProblems(document: unknown): Promise<string[]> {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(await composeSchema());
  if (validate(document)) return [];
  const messages = (validate.errors ?? []).map((error) => {
    const where = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
    const extra: unknown = error.params.additionalProperty;
    return typeof extra === 'string'
      ? `${where}: unknown key "${extra}"`
      : `${where}: ${error.message ?? 'invalid'}`;
  });
  return [...new Set(messages)].map((message) => `Compose Specification: ${message}`);
}

/** `docker-compose` (Compose 1, Debian's) or `docker compose` (Compose 2), whichever answers. */
async function composeCli(): Promise<string[] | undefined> {
  for (const command of [['docker-compose'], ['docker', 'compose']]) {
    try {
      await run(command[0], [...command.slice(1), 'version'], { timeout: 20_000 });
      return command;
    } catch {
      // Not installed (or not this flavour): try the next one.
    }
  }
  return undefined;
}

/**
 * The file as Compose runs it with .env.example: references resolved, short forms normalised
 * (environment and labels as maps, depends_on with its conditions). Only PATH is passed on, so a
 * variable of the caller's shell cannot stand in for .env.example.
 */
async function composeConfig(report: CheckReport, files: ComposeFiles): Promise<unknown> {
  const cli = await composeCli();
  if (!cli) {
    report.problem(
      `neither docker-compose nor docker compose is installed: the rules read what \`docker-compose config\` resolves (${COMPOSE_INSTALL})`,
    );
    return undefined;
  }
  const args = [...cli.slice(1), '-f', files.compose, '--env-file', files.envExample, 'config'];
  const shown = [cli[0], ...args]
    .map((arg) => (isAbsolute(arg) ? relative(process.cwd(), arg) : arg))
    .join(' ');
  try {
    const { stdout } = await run(cli[0], args, {
      timeout: 60_000,
      env: { PATH: process.env.PATH },
      maxBuffer: 16 * 1024 * 1024,
    });
    report.note(`${shown}: valid`);
    const resolved: unknown = parseDocument(stdout).toJS();
    return resolved;
  } catch (error) {
    // Not `instanceof Error`: under Jest the child process's error comes from another realm.
    const stderr: unknown =
      typeof error === 'object' && error !== null && Reflect.get(error, 'stderr');
    const output = typeof stderr === 'string' ? stderr.trim() : '';
    report.problem(`${shown} failed: ${output || String(error)}`);
    return undefined;
  }
}

/**
 * Lints the production Compose file: the Compose Specification schema on the file as written,
 * `docker-compose config` with docker/.env.example (which resolves and normalises it), then
 * COMPOSE_RULES: the rules about what is written (secrets, defaults, documented variables) on
 * the file, the others on what Compose resolved.
 */
export async function checkCompose(
  files: ComposeFiles,
  { shownAs = files.compose }: { shownAs?: string } = {},
): Promise<CheckReport> {
  const report = new CheckReport('Compose', shownAs);
  const document = parseDocument(await readFile(files.compose, 'utf8'), { merge: true });
  if (document.errors.length > 0) {
    for (const error of document.errors) report.problem(`YAML: ${error.message}`);
    return report;
  }
  const written: unknown = document.toJS({ maxAliasCount: 100 });
  for (const problem of await schemaProblems(written)) report.problem(problem);

  const envExample: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseEnv(await readFile(files.envExample, 'utf8')))) {
    if (value !== undefined) envExample[name] = value;
  }
  const stack: ComposeStack = { written, envExample, resolved: await composeConfig(report, files) };
  for (const { reads, check } of COMPOSE_RULES) {
    if (reads === 'resolved' && stack.resolved === undefined) continue;
    for (const problem of check(stack)) report.problem(problem);
  }
  return report;
}
