import Ajv, { AnySchema } from 'ajv';
import { getMetadataStorage } from 'class-validator';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, posix, relative } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { Env, EnvValidationError, validateEnv } from '../../apps/api/src/config/env.validation';
import { CheckReport } from './check-report';
import {
  interpolate,
  InterpolationError,
  isSingleReference,
  maskReferences,
  parseEnvFile,
  referencesIn,
  Variables,
} from './compose-interpolation';
import {
  argumentsOf,
  asRecord,
  ComposeService,
  dependsOnOf,
  durationSeconds,
  environmentOf,
  flagValue,
  imageReference,
  labelsOf,
  mountsOf,
  scalar,
  servicesOf,
} from './compose-model';

export interface ComposeFiles {
  compose: string;
  envExample: string;
  /** The Compose Specification JSON schema (docker/lint-delivery/compose-spec.schema.json). */
  schema: string;
}

const WATCHTOWER_LABEL = 'com.centurylinklabs.watchtower.enable';
const WATCHTOWER_FORK = /^(ghcr\.io\/nicholas-fedor|(docker\.io\/)?nickfedor)\/watchtower$/;
const SECRET_KEY = /PASSWORD|TOKEN|SECRET/i;
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:([^/\s@]+)@/gi;
const MIGRATE_SCRIPT = 'dist/apps/api/src/cli/migrate.command.js';
// The API needs up to ~30 s after SIGTERM to drain requests and flush its prediction logs.
const MIN_GRACE_SECONDS = 30;
const COMPOSE_INSTALL = 'apt-get install -y --no-install-recommends docker-compose';

/** A secret may be written only as one reference, without a literal default. */
function isSecretReference(value: string): boolean {
  if (!isSingleReference(value)) return false;
  const [reference] = referencesIn(value);
  return ['', ':?', '?'].includes(reference.operator) || reference.operand === '';
}

/** Every literal secret in the raw document: secret-named keys and passwords inside URLs. */
function findSecretLiterals(node: unknown, path: string, found: string[]): void {
  if (typeof node === 'string') {
    const { masked, references } = maskReferences(node);
    for (const [, password] of masked.matchAll(URL_CREDENTIALS)) {
      const token = /^\uE000(\d+)\uE001$/.exec(password);
      const reference = token ? references[Number(token[1])] : undefined;
      if (!reference || !isSecretReference(reference.text)) {
        found.push(`${path} holds a URL with a literal password: write it as \${VARIABLE}`);
      }
    }
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((item, index) => {
      const text = scalar(item);
      const equals = text?.indexOf('=') ?? -1;
      if (text !== undefined && equals > 0 && SECRET_KEY.test(text.slice(0, equals))) {
        checkSecret(text.slice(0, equals), text.slice(equals + 1), `${path}[${index}]`, found);
      }
      findSecretLiterals(item, `${path}[${index}]`, found);
    });
    return;
  }
  for (const [key, value] of Object.entries(asRecord(node) ?? {})) {
    const text = scalar(value);
    if (text !== undefined && SECRET_KEY.test(key)) checkSecret(key, text, `${path}.${key}`, found);
    findSecretLiterals(value, `${path}.${key}`, found);
  }
}

function checkSecret(key: string, value: string, path: string, found: string[]): void {
  // NAME_FILE=/run/secrets/name points at a Docker secret: a path, not the secret itself.
  if (key.endsWith('_FILE') ? value.startsWith('/') : isSecretReference(value)) return;
  found.push(
    `${path} holds a literal secret: write \${${key.replace(/_FILE$/, '')}} and set it in ` +
      'docker/.env (or mount a Docker secret and point NAME_FILE at /run/secrets/<name>)',
  );
}

/** Interpolates every string of the document; collects what cannot be resolved. */
function resolveDocument(
  node: unknown,
  variables: Variables,
  path: string,
  errors: string[],
): unknown {
  if (typeof node === 'string') {
    try {
      return interpolate(node, variables);
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      errors.push(`${path}: ${error.message}`);
      return node;
    }
  }
  if (Array.isArray(node)) {
    return node.map((item, index) => resolveDocument(item, variables, `${path}[${index}]`, errors));
  }
  const record = asRecord(node);
  if (!record) return node;
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [
      key,
      resolveDocument(value, variables, `${path}.${key}`, errors),
    ]),
  );
}

/** Where the document's `${...}` syntax is broken: Compose would refuse the file. */
function interpolationSyntaxErrors(node: unknown, path: string, errors: string[]): void {
  if (typeof node === 'string') {
    try {
      referencesIn(node);
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      errors.push(`${path.replace(/^\./, '')}: ${error.message}`);
    }
  } else if (Array.isArray(node)) {
    node.forEach((item, index) => interpolationSyntaxErrors(item, `${path}[${index}]`, errors));
  } else {
    for (const [key, value] of Object.entries(asRecord(node) ?? {})) {
      interpolationSyntaxErrors(value, `${path}.${key}`, errors);
    }
  }
}

function allReferences(node: unknown, found: Set<string>): void {
  if (typeof node === 'string') {
    for (const reference of referencesIn(node)) found.add(reference.name);
  } else if (Array.isArray(node)) {
    for (const item of node) allReferences(item, found);
  } else {
    for (const value of Object.values(asRecord(node) ?? {})) allReferences(value, found);
  }
}

/** The Env fields the app validates, read from class-validator's metadata. */
function appVariables(): Set<string> {
  return new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(Env, '', true, false)
      .map((metadata) => metadata.propertyName),
  );
}

function tryValidateEnv(environment: Record<string, string>): Env | EnvValidationError {
  try {
    return validateEnv(environment);
  } catch (error) {
    if (error instanceof EnvValidationError) return error;
    throw error;
  }
}

/**
 * The app's own configuration validation (apps/api/src/config/env.validation.ts) applied to the
 * environment a service gets once .env.example is filled in, so a value the API would refuse at
 * start-up fails here; and every `${NAME:-default}` default must equal the app's own default.
 */
function checkAppEnvironment(
  report: CheckReport,
  name: string,
  raw: ComposeService,
  resolved: ComposeService,
): void {
  const environment: Record<string, string> = {};
  for (const [key, value] of environmentOf(resolved)) {
    if (value !== undefined) environment[key] = value;
  }
  const validated = tryValidateEnv(environment);
  if (validated instanceof EnvValidationError) {
    for (const problem of validated.problems) {
      report.problem(`services.${name}.environment: the API would refuse ${problem}`);
    }
    return;
  }
  const known = appVariables();
  const unknown = Object.keys(environment).filter((key) => !known.has(key));
  if (unknown.length) {
    report.problem(
      `services.${name} sets variables the app does not read: ${unknown.join(', ')}. Remove them or add them to apps/api/src/config/env.validation.ts.`,
    );
  }
  for (const [key, value] of environmentOf(raw)) {
    const reference =
      value !== undefined && isSingleReference(value) ? referencesIn(value)[0] : undefined;
    if (
      !reference ||
      reference.name !== key ||
      !known.has(key) ||
      !reference.operator.endsWith('-')
    ) {
      continue;
    }
    const { [key]: _, ...others } = environment;
    const appDefault = tryValidateEnv(others);
    const composeDefault = tryValidateEnv({ ...others, [key]: reference.operand });
    if (composeDefault instanceof EnvValidationError) {
      report.problem(
        `services.${name}.environment.${key}: the app would refuse the default ` +
          `(${composeDefault.problems.join('; ')}): use the app's own default`,
      );
    } else if (appDefault instanceof EnvValidationError) {
      continue;
    } else if (!isDeepStrictEqual(Reflect.get(appDefault, key), Reflect.get(composeDefault, key))) {
      report.problem(
        `services.${name}.environment.${key}: the default ${JSON.stringify(reference.operand)} differs ` +
          `from the app's default ${JSON.stringify(Reflect.get(appDefault, key))}: make them equal`,
      );
    }
  }
}

function checkServices(report: CheckReport, raw: unknown, resolved: unknown): void {
  const rawServices = servicesOf(raw);
  const services = servicesOf(resolved);
  const service = (name: string): ComposeService | undefined => {
    const found = services.get(name);
    report.expect(
      found !== undefined,
      `no \`${name}\` service: the stack needs postgres, migrate, api and watchtower`,
    );
    return found;
  };
  const postgres = service('postgres');
  const migrate = service('migrate');
  const api = service('api');

  for (const [name, definition] of services) {
    const label = labelsOf(definition).get(WATCHTOWER_LABEL);
    if (name !== 'api' && label === 'true') {
      report.problem(
        `services.${name} carries ${WATCHTOWER_LABEL}=true: only the api service may be updated by ` +
          'Watchtower (a database or the migration job must never be recreated behind your back)',
      );
    }
  }

  if (postgres) {
    const image = imageReference(scalar(postgres.image) ?? '');
    report.expect(
      image.repository.replace(/^(docker\.io\/)?(library\/)?/, '') === 'postgres' &&
        /^17(\.|-|$)/.test(image.tag ?? ''),
      `services.postgres.image is ${scalar(postgres.image)}: pin the major version, postgres:17`,
    );
    const test = argumentsOf(asRecord(postgres.healthcheck)?.test).join(' ');
    report.expect(
      test.includes('pg_isready'),
      'services.postgres has no pg_isready healthcheck: api and migrate wait for service_healthy',
    );
    report.expect(
      mountsOf(postgres).some((m) => m.named && m.target === '/var/lib/postgresql/data'),
      'services.postgres keeps its data in the container: mount a named volume at /var/lib/postgresql/data',
    );
  }

  if (migrate) {
    const command = argumentsOf(migrate.command);
    report.expect(
      command.includes(MIGRATE_SCRIPT) && command.includes('run'),
      `services.migrate.command should be ["node", "${MIGRATE_SCRIPT}", "run"]`,
    );
    const restart = scalar(migrate.restart) ?? 'no';
    report.expect(
      restart === 'no' || restart === 'false',
      `services.migrate.restart is ${restart}: a one-off job needs restart: "no"`,
    );
    report.expect(
      dependsOnOf(migrate).get('postgres') === 'service_healthy',
      'services.migrate must depend on postgres with condition: service_healthy',
    );
  }

  if (api) {
    const rawApi = rawServices.get('api') ?? {};
    const dependsOn = dependsOnOf(api);
    report.expect(
      dependsOn.get('postgres') === 'service_healthy',
      'services.api must depend on postgres with condition: service_healthy',
    );
    report.expect(
      dependsOn.get('migrate') === 'service_completed_successfully',
      'services.api must depend on migrate with condition: service_completed_successfully, so that ' +
        'it never starts on a database with pending migrations',
    );
    if (migrate) {
      report.expect(
        scalar(rawServices.get('migrate')?.image) === scalar(rawApi.image),
        'services.migrate and services.api must run the same image, so migrations match the code',
      );
    }
    report.expect(
      labelsOf(api).get(WATCHTOWER_LABEL) === 'true',
      `services.api lacks the label ${WATCHTOWER_LABEL}: "true": Watchtower (--label-enable) would never update it`,
    );
    report.expect(
      api.init === true,
      'services.api needs init: true, so that node is not PID 1 (which ignores SIGTERM and reaps no zombies)',
    );
    const grace = durationSeconds(scalar(api.stop_grace_period));
    report.expect(
      grace !== undefined && grace >= MIN_GRACE_SECONDS,
      `services.api.stop_grace_period is ${scalar(api.stop_grace_period) ?? 'unset (10s)'}: the API needs ` +
        `about ${MIN_GRACE_SECONDS}s to drain and flush its logs, set 45s`,
    );
    const healthcheck = asRecord(api.healthcheck);
    report.expect(
      healthcheck !== undefined &&
        healthcheck.disable !== true &&
        argumentsOf(healthcheck.test).length > 0,
      'services.api has no healthcheck: add test: ["CMD", "node", "docker/healthcheck.js"]',
    );
    const environment = environmentOf(api);
    report.expect(
      environment.get('NODE_ENV') === 'production',
      'services.api.environment.NODE_ENV must be production',
    );
    const mounts = mountsOf(api);
    for (const variable of ['LOG_DIR', 'MODEL_DIR']) {
      const dir = environment.get(variable);
      report.expect(
        dir !== undefined &&
          mounts.some((m) => m.named && posix.normalize(m.target) === posix.normalize(dir)),
        `services.api: ${variable}=${dir ?? '(unset)'} is not a named volume mount: set ` +
          `${variable} under /var/lib/mle and mount a named volume there, or the data dies with the container`,
      );
    }
    checkWatchtower(report, services, grace);
  }

  for (const name of ['api', 'migrate']) {
    const resolvedService = services.get(name);
    if (resolvedService)
      checkAppEnvironment(report, name, rawServices.get(name) ?? {}, resolvedService);
  }
}

function checkWatchtower(
  report: CheckReport,
  services: Map<string, ComposeService>,
  apiGrace: number | undefined,
): void {
  const watchtowers = [...services].filter(([, definition]) =>
    /(^|\/)watchtower$/.test(imageReference(scalar(definition.image) ?? '').repository),
  );
  if (watchtowers.length === 0) {
    report.problem(
      'no watchtower service: add one (ghcr.io/nicholas-fedor/watchtower:<version>) to roll out new API images',
    );
    return;
  }
  for (const [name, watchtower] of watchtowers) {
    const image = imageReference(scalar(watchtower.image) ?? '');
    if (image.repository.includes('containrrr')) {
      report.problem(
        `services.${name} runs containrrr/watchtower, archived in December 2025 and broken on Docker ` +
          'Engine 29 ("client version 1.25 is too old"): use ghcr.io/nicholas-fedor/watchtower',
      );
    } else {
      report.expect(
        WATCHTOWER_FORK.test(image.repository),
        `services.${name}.image ${image.repository} is not the maintained fork: use ghcr.io/nicholas-fedor/watchtower`,
      );
    }
    report.expect(
      image.digest !== undefined || /^v?\d+\.\d+\.\d+$/.test(image.tag ?? ''),
      `services.${name}.image is not pinned (${image.tag ?? 'no tag'}): use a release such as :1.22.3 ` +
        '(it restarts your containers; its own updates should be deliberate)',
    );
    const args = argumentsOf(watchtower.command);
    const environment = environmentOf(watchtower);
    const setting = (flags: string[], variable: string) =>
      flagValue(args, ...flags) ?? environment.get(variable);
    const enabled = (value: string | true | undefined) => value === true || value === 'true';
    report.expect(
      enabled(setting(['--label-enable'], 'WATCHTOWER_LABEL_ENABLE')),
      `services.${name} lacks --label-enable: without it Watchtower updates every container on the host`,
    );
    report.expect(
      enabled(setting(['--cleanup'], 'WATCHTOWER_CLEANUP')),
      `services.${name} lacks --cleanup: old images would pile up on the host`,
    );
    report.expect(
      setting(['--interval', '-i', '--schedule', '-s'], 'WATCHTOWER_POLL_INTERVAL') !== undefined ||
        environment.has('WATCHTOWER_SCHEDULE'),
      `services.${name} has no poll interval: add --interval=<seconds> (or --schedule)`,
    );
    const stopTimeout = setting(['--stop-timeout'], 'WATCHTOWER_TIMEOUT');
    const seconds = durationSeconds(typeof stopTimeout === 'string' ? stopTimeout : undefined);
    report.expect(
      seconds !== undefined && seconds >= (apiGrace ?? MIN_GRACE_SECONDS),
      `services.${name}: --stop-timeout is ${typeof stopTimeout === 'string' ? stopTimeout : 'unset (30s)'}: ` +
        'make it at least the api stop_grace_period, or an update kills the API mid-flush',
    );
    const mounts = mountsOf(watchtower);
    report.expect(
      mounts.some((m) => m.target === '/var/run/docker.sock'),
      `services.${name} does not mount /var/run/docker.sock`,
    );
    const configDir = environment.get('DOCKER_CONFIG') ?? '/';
    report.expect(
      mounts.some((m) => m.readOnly && m.target === posix.join(configDir, 'config.json')),
      `services.${name} cannot pull private images: mount the host's docker config.json read-only ` +
        `at ${posix.join(configDir, 'config.json')} (DOCKER_CONFIG=${configDir})`,
    );
  }
}

interface ComposeCli {
  command: string;
  prefix: string[];
}

async function findComposeCli(): Promise<ComposeCli | undefined> {
  const candidates: ComposeCli[] = [
    { command: 'docker-compose', prefix: [] },
    { command: 'docker', prefix: ['compose'] },
  ];
  for (const candidate of candidates) {
    try {
      await promisify(execFile)(candidate.command, [...candidate.prefix, 'version'], {
        timeout: 20_000,
      });
      return candidate;
    } catch {
      // Not installed (or not this flavour): try the next one.
    }
  }
  return undefined;
}

async function runComposeConfig(report: CheckReport, files: ComposeFiles): Promise<void> {
  const cli = await findComposeCli();
  if (!cli) {
    report.note(
      `docker-compose config skipped: neither docker-compose nor docker compose is installed (${COMPOSE_INSTALL})`,
    );
    return;
  }
  const args = [...cli.prefix, '-f', files.compose, '--env-file', files.envExample, 'config', '-q'];
  const shown = [cli.command, ...args]
    .map((arg) => (isAbsolute(arg) ? relative(process.cwd(), arg) : arg))
    .join(' ');
  try {
    await promisify(execFile)(cli.command, args, { timeout: 60_000 });
    report.note(`${shown}: valid`);
  } catch (error) {
    const stderr =
      error instanceof Error && 'stderr' in error && typeof error.stderr === 'string'
        ? error.stderr.trim()
        : '';
    report.problem(`${shown} failed: ${stderr || String(error)}`);
  }
}

/**
 * Lints the production Compose file: the Compose Specification schema, the rules of this stack
 * (what Watchtower may touch, healthchecks, migrations before the API, no secret literals,
 * volumes where the API writes) and the app's own validation of the environment it would get;
 * then `docker-compose config -q` when a Compose binary is installed.
 */
export async function checkCompose(
  files: ComposeFiles,
  { shownAs = files.compose, runCli = true }: { shownAs?: string; runCli?: boolean } = {},
): Promise<CheckReport> {
  const report = new CheckReport('Compose', shownAs);
  const document = parseDocument(await readFile(files.compose, 'utf8'), { merge: true });
  if (document.errors.length > 0) {
    for (const error of document.errors) report.problem(`YAML: ${error.message}`);
    return report;
  }
  const raw: unknown = document.toJS({ maxAliasCount: 100 });

  // The schema names its dialect https://json-schema.org/draft-07/schema, a spelling Ajv does not
  // know: Ajv's default dialect is draft-07 already, so the declaration is dropped.
  const { $schema: _, ...schema } = JSON.parse(await readFile(files.schema, 'utf8')) as {
    $schema?: string;
  };
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema as AnySchema);
  if (!validate(raw)) {
    const messages = (validate.errors ?? []).map((error) => {
      const where = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
      const extra: unknown = error.params.additionalProperty;
      return typeof extra === 'string'
        ? `${where}: unknown key "${extra}"`
        : `${where}: ${error.message ?? 'invalid'}`;
    });
    for (const message of new Set(messages)) report.problem(`Compose Specification: ${message}`);
  }

  const syntaxErrors: string[] = [];
  interpolationSyntaxErrors(raw, '', syntaxErrors);
  if (syntaxErrors.length > 0) {
    for (const error of syntaxErrors) report.problem(error);
    return report;
  }

  let variables: Record<string, string> = {};
  try {
    variables = parseEnvFile(await readFile(files.envExample, 'utf8'));
  } catch (error) {
    report.problem(
      `${posix.basename(files.envExample)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const used = new Set<string>();
  allReferences(raw, used);
  const undocumented = [...used].filter((name) => !(name in variables));
  report.expect(
    undocumented.length === 0,
    `docker/.env.example does not document ${undocumented.join(', ')}: add each with a comment and a safe placeholder`,
  );
  // COMPOSE_* variables (COMPOSE_PROJECT_NAME…) are read by Compose itself.
  const unused = Object.keys(variables).filter(
    (name) => !used.has(name) && !name.startsWith('COMPOSE_'),
  );
  report.expect(
    unused.length === 0,
    `docker/.env.example sets ${unused.join(', ')}, which the compose file never uses: remove or use them`,
  );

  const secrets: string[] = [];
  findSecretLiterals(raw, '', secrets);
  for (const secret of secrets) report.problem(secret.replace(/^\./, ''));

  const errors: string[] = [];
  const resolved = resolveDocument(raw, variables, '', errors);
  for (const error of errors) {
    report.problem(
      `${error.replace(/^\./, '')} (with docker/.env.example): set the variable there`,
    );
  }
  checkServices(report, raw, resolved);
  if (runCli) await runComposeConfig(report, files);
  return report;
}
