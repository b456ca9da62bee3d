import { posix } from 'node:path';
import { appEnvironment } from './app-environment';
import {
  argumentsOf,
  asRecord,
  ComposeService,
  durationSeconds,
  environmentOf,
  flagValue,
  imageReference,
  labelsOf,
  mountsOf,
  scalar,
  servicesOf,
} from './compose-model';
import { loneReference, referencesIn } from './compose-references';
import { DRAIN_SECONDS } from './drain-time';

/** The compose file as written, as `docker-compose config` resolves it, and .env.example. */
export interface ComposeStack {
  written: unknown;
  /** Undefined when `docker-compose config` refused the file (its error is reported). */
  resolved?: unknown;
  envExample: Readonly<Record<string, string>>;
}

export interface ComposeRule {
  rule: string;
  /** `written`: about what the file says (references included); `resolved`: about what runs. */
  reads: 'written' | 'resolved';
  check: (stack: ComposeStack) => string[];
}

const WATCHTOWER_LABEL = 'com.centurylinklabs.watchtower.enable';
const WATCHTOWER_FORK = /^(ghcr\.io\/nicholas-fedor|(docker\.io\/)?nickfedor)\/watchtower$/;
const SECRET_KEY = /PASSWORD|TOKEN|SECRET/i;
// A URL's password, references kept whole (their messages may hold `/` or `@`).
const URL_PASSWORD =
  /[a-z][a-z0-9+.-]*:\/\/(?:\$\{[^}]*\}|[^/\s:@$])+:((?:\$\{[^}]*\}|[^/\s@$])+)@/gi;
const MIGRATE_SCRIPT = 'dist/apps/api/src/cli/migrate.command.js';

/** A secret is written as one reference without a literal default. */
function isSecretReference(value: string): boolean {
  const reference = loneReference(value);
  return reference !== undefined && (!reference.operator.endsWith('-') || reference.operand === '');
}

/** Every string of a document with where it is (`services.api.environment.OPS_TOKEN`). */
function stringsOf(node: unknown, path = ''): [path: string, value: string, key?: string][] {
  if (typeof node === 'string') return [[path, node]];
  if (Array.isArray(node)) return node.flatMap((item, i) => stringsOf(item, `${path}[${i}]`));
  return Object.entries(asRecord(node) ?? {}).flatMap(([key, value]) => {
    const where = path ? `${path}.${key}` : key;
    const text = scalar(value);
    return text !== undefined ? [[where, text, key] as const] : stringsOf(value, where);
  });
}

const services = (stack: ComposeStack) => servicesOf(stack.resolved);
const service = (stack: ComposeStack, name: string): ComposeService =>
  services(stack).get(name) ?? {};
const expect = (holds: boolean, problem: string) => (holds ? [] : [problem]);

/**
 * The rules of the production stack, each a sentence and the check of it; every problem says
 * what to change. The Compose schema and `docker-compose config` have run before them.
 */
export const COMPOSE_RULES: readonly ComposeRule[] = [
  {
    rule: 'the stack is postgres, migrate, api and a watchtower',
    reads: 'resolved',
    check: (stack) =>
      ['postgres', 'migrate', 'api', 'watchtower']
        .filter((name) => !services(stack).has(name))
        .map(
          (name) => `no \`${name}\` service: the stack needs postgres, migrate, api and watchtower`,
        ),
  },
  {
    rule: 'only the api carries the Watchtower label, so nothing else is recreated behind your back',
    reads: 'resolved',
    check: (stack) =>
      [...services(stack)]
        .filter(([name, s]) => name !== 'api' && labelsOf(s).get(WATCHTOWER_LABEL) === 'true')
        .map(
          ([name]) =>
            `services.${name} carries ${WATCHTOWER_LABEL}=true: only the api service may be updated by ` +
            'Watchtower (a database or the migration job must never be recreated behind your back)',
        ),
  },
  {
    rule: 'postgres is version 17, has a pg_isready healthcheck and keeps its data on a named volume',
    reads: 'resolved',
    check: (stack) => {
      const postgres = service(stack, 'postgres');
      const image = imageReference(scalar(postgres.image) ?? '');
      return [
        ...expect(
          image.repository.replace(/^(docker\.io\/)?(library\/)?/, '') === 'postgres' &&
            /^17(\.|-|$)/.test(image.tag ?? ''),
          `services.postgres.image is ${scalar(postgres.image)}: pin the major version, postgres:17`,
        ),
        ...expect(
          argumentsOf(asRecord(postgres.healthcheck)?.test).join(' ').includes('pg_isready'),
          'services.postgres has no pg_isready healthcheck: api and migrate wait for service_healthy',
        ),
        ...expect(
          mountsOf(postgres).some((m) => m.named && m.target === '/var/lib/postgresql/data'),
          'services.postgres keeps its data in the container: mount a named volume at /var/lib/postgresql/data',
        ),
      ];
    },
  },
  {
    rule: 'migrate runs the migrations once, after postgres is healthy, with the api image',
    reads: 'resolved',
    check: (stack) => {
      const migrate = service(stack, 'migrate');
      const command = argumentsOf(migrate.command);
      const restart = scalar(migrate.restart) ?? 'no';
      return [
        ...expect(
          command.includes(MIGRATE_SCRIPT) && command.includes('run'),
          `services.migrate.command should be ["node", "${MIGRATE_SCRIPT}", "run"]`,
        ),
        ...expect(
          restart === 'no' || restart === 'false',
          `services.migrate.restart is ${restart}: a one-off job needs restart: "no"`,
        ),
        ...expect(
          asRecord(asRecord(migrate.depends_on)?.postgres)?.condition === 'service_healthy',
          'services.migrate must depend on postgres with condition: service_healthy',
        ),
        ...expect(
          scalar(migrate.image) === scalar(service(stack, 'api').image),
          'services.migrate and services.api must run the same image, so migrations match the code',
        ),
      ];
    },
  },
  {
    rule: `the api starts after the migrations, runs under an init, is healthchecked and has ${DRAIN_SECONDS} s or more to stop`,
    reads: 'resolved',
    check: (stack) => {
      const api = service(stack, 'api');
      const dependsOn = asRecord(api.depends_on) ?? {};
      const healthcheck = asRecord(api.healthcheck);
      const test = argumentsOf(healthcheck?.test);
      const grace = durationSeconds(scalar(api.stop_grace_period));
      return [
        ...expect(
          asRecord(dependsOn.postgres)?.condition === 'service_healthy',
          'services.api must depend on postgres with condition: service_healthy',
        ),
        ...expect(
          asRecord(dependsOn.migrate)?.condition === 'service_completed_successfully',
          'services.api must depend on migrate with condition: service_completed_successfully, so that ' +
            'it never starts on a database with pending migrations',
        ),
        ...expect(
          labelsOf(api).get(WATCHTOWER_LABEL) === 'true',
          `services.api lacks the label ${WATCHTOWER_LABEL}: "true": Watchtower (--label-enable) would never update it`,
        ),
        ...expect(
          api.init === true,
          'services.api needs init: true, so that node is not PID 1 (which ignores SIGTERM and reaps no zombies)',
        ),
        ...expect(
          grace !== undefined && grace >= DRAIN_SECONDS,
          `services.api.stop_grace_period is ${scalar(api.stop_grace_period) ?? 'unset (10s)'}: the API needs ` +
            `about ${DRAIN_SECONDS}s to drain and flush its logs (docker/lint-delivery/drain-time.ts), set 45s`,
        ),
        // Compose 1 writes a disabled healthcheck as test: [NONE], Compose 2 as disable: true.
        ...expect(
          healthcheck?.disable !== true && test.length > 0 && test[0] !== 'NONE',
          'services.api has no healthcheck: add test: ["CMD", "node", "docker/healthcheck.js"]',
        ),
      ];
    },
  },
  {
    rule: 'the api writes logs and models to named volumes',
    reads: 'resolved',
    check: (stack) => {
      const api = service(stack, 'api');
      const environment = environmentOf(api);
      return ['LOG_DIR', 'MODEL_DIR'].flatMap((variable) => {
        const dir = environment.get(variable);
        return expect(
          dir !== undefined &&
            mountsOf(api).some(
              (m) => m.named && posix.normalize(m.target) === posix.normalize(dir),
            ),
          `services.api: ${variable}=${dir ?? '(unset)'} is not a named volume mount: set ` +
            `${variable} under /var/lib/mle and mount a named volume there, or the data dies with the container`,
        );
      });
    },
  },
  {
    rule: 'the app accepts the environment api and migrate get from .env.example, and reads all of it',
    reads: 'resolved',
    check: (stack) =>
      ['api', 'migrate'].flatMap((name) => {
        const environment: Record<string, string> = {};
        for (const [key, value] of environmentOf(service(stack, name))) {
          if (value !== undefined) environment[key] = value;
        }
        const { env, problems, unknown } = appEnvironment(environment);
        return [
          ...problems.map(
            (problem) => `services.${name}.environment: the API would refuse ${problem}`,
          ),
          ...expect(
            unknown.length === 0,
            `services.${name} sets variables the app does not read: ${unknown.join(', ')}. Remove them or add them to apps/api/src/config/env.validation.ts.`,
          ),
          ...expect(
            !env || env.NODE_ENV === 'production',
            `services.${name}.environment.NODE_ENV must be production`,
          ),
        ];
      }),
  },
  {
    rule: "every `${NAME:-default}` of the api's environment defaults to the app's own default",
    reads: 'written',
    check: (stack) =>
      ['api', 'migrate'].flatMap((name) =>
        [...environmentOf(servicesOf(stack.written).get(name) ?? {})].flatMap(([key, value]) => {
          const reference = value === undefined ? undefined : loneReference(value);
          if (reference?.name !== key || !reference.operator.endsWith('-')) return [];
          const appDefault = appEnvironment({}).env;
          const composeDefault = appEnvironment({ [key]: reference.operand });
          if (composeDefault.problems.length) {
            return [
              `services.${name}.environment.${key}: the app would refuse the default ` +
                `(${composeDefault.problems.join('; ')}): use the app's own default`,
            ];
          }
          const ours: unknown = appDefault ? Reflect.get(appDefault, key) : undefined;
          const theirs: unknown = composeDefault.env
            ? Reflect.get(composeDefault.env, key)
            : undefined;
          return expect(
            ours === undefined || JSON.stringify(ours) === JSON.stringify(theirs),
            `services.${name}.environment.${key}: the default ${JSON.stringify(reference.operand)} differs ` +
              `from the app's default ${JSON.stringify(ours)}: make them equal`,
          );
        }),
      ),
  },
  {
    rule: 'no secret is written in the file: passwords, tokens and URL passwords are references without a default',
    reads: 'written',
    check: (stack) =>
      stringsOf(stack.written).flatMap(([path, value, key]) => {
        // A list item KEY=value names its key inside the value.
        const [name, text] =
          key !== undefined
            ? [key, value]
            : (/^([^=\s]+)=(.*)$/s.exec(value)?.slice(1) ?? ['', value]);
        const problems = [...text.matchAll(URL_PASSWORD)]
          .filter(([, password]) => !isSecretReference(password))
          .map(() => `${path} holds a URL with a literal password: write it as \${VARIABLE}`);
        // NAME_FILE=/run/secrets/name points at a Docker secret: a path, not the secret itself.
        const isPath = name.endsWith('_FILE') && text.startsWith('/');
        if (SECRET_KEY.test(name) && !isPath && !isSecretReference(text)) {
          problems.push(
            `${path} holds a literal secret: write \${${name.replace(/_FILE$/, '')}} and set it in ` +
              'docker/.env (or mount a Docker secret and point NAME_FILE at /run/secrets/<name>)',
          );
        }
        return problems;
      }),
  },
  {
    rule: 'docker/.env.example documents every variable the file uses, and no other',
    reads: 'written',
    check: (stack) => {
      const used = new Set(
        stringsOf(stack.written).flatMap(([, value]) => referencesIn(value).map((r) => r.name)),
      );
      const documented = Object.keys(stack.envExample);
      const undocumented = [...used].filter((name) => !documented.includes(name));
      // COMPOSE_* variables (COMPOSE_PROJECT_NAME…) are read by Compose itself.
      const unused = documented.filter((name) => !used.has(name) && !name.startsWith('COMPOSE_'));
      return [
        ...expect(
          undocumented.length === 0,
          `docker/.env.example does not document ${undocumented.join(', ')}: add each with a comment and a safe placeholder`,
        ),
        ...expect(
          unused.length === 0,
          `docker/.env.example sets ${unused.join(', ')}, which the compose file never uses: remove or use them`,
        ),
      ];
    },
  },
  {
    rule: `a pinned watchtower of the maintained fork updates labelled containers only, cleans up, and gives the api its grace period`,
    reads: 'resolved',
    check: (stack) => {
      const apiGrace =
        durationSeconds(scalar(service(stack, 'api').stop_grace_period)) ?? DRAIN_SECONDS;
      return [...services(stack)]
        .filter(([, s]) =>
          /(^|\/)watchtower$/.test(imageReference(scalar(s.image) ?? '').repository),
        )
        .flatMap(([name, watchtower]) => watchtowerProblems(name, watchtower, apiGrace));
    },
  },
];

function watchtowerProblems(name: string, watchtower: ComposeService, apiGrace: number): string[] {
  const image = imageReference(scalar(watchtower.image) ?? '');
  const args = argumentsOf(watchtower.command);
  const environment = environmentOf(watchtower);
  const setting = (flags: string[], variable: string) =>
    flagValue(args, ...flags) ?? environment.get(variable);
  const enabled = (value: string | true | undefined) => value === true || value === 'true';
  const stopTimeout = setting(['--stop-timeout'], 'WATCHTOWER_TIMEOUT');
  const seconds = durationSeconds(typeof stopTimeout === 'string' ? stopTimeout : undefined);
  const mounts = mountsOf(watchtower);
  const configDir = environment.get('DOCKER_CONFIG') ?? '/';
  return [
    ...(image.repository.includes('containrrr')
      ? [
          `services.${name} runs containrrr/watchtower, archived in December 2025 and broken on Docker ` +
            'Engine 29 ("client version 1.25 is too old"): use ghcr.io/nicholas-fedor/watchtower',
        ]
      : expect(
          WATCHTOWER_FORK.test(image.repository),
          `services.${name}.image ${image.repository} is not the maintained fork: use ghcr.io/nicholas-fedor/watchtower`,
        )),
    ...expect(
      image.digest !== undefined || /^v?\d+\.\d+\.\d+$/.test(image.tag ?? ''),
      `services.${name}.image is not pinned (${image.tag ?? 'no tag'}): use a release such as :1.22.3 ` +
        '(it restarts your containers; its own updates should be deliberate)',
    ),
    ...expect(
      enabled(setting(['--label-enable'], 'WATCHTOWER_LABEL_ENABLE')),
      `services.${name} lacks --label-enable: without it Watchtower updates every container on the host`,
    ),
    ...expect(
      enabled(setting(['--cleanup'], 'WATCHTOWER_CLEANUP')),
      `services.${name} lacks --cleanup: old images would pile up on the host`,
    ),
    ...expect(
      setting(['--interval', '-i', '--schedule', '-s'], 'WATCHTOWER_POLL_INTERVAL') !== undefined ||
        environment.has('WATCHTOWER_SCHEDULE'),
      `services.${name} has no poll interval: add --interval=<seconds> (or --schedule)`,
    ),
    ...expect(
      seconds !== undefined && seconds >= apiGrace,
      `services.${name}: --stop-timeout is ${typeof stopTimeout === 'string' ? stopTimeout : 'unset (30s)'}: ` +
        'make it at least the api stop_grace_period, or an update kills the API mid-flush',
    ),
    ...expect(
      mounts.some((m) => m.target === '/var/run/docker.sock'),
      `services.${name} does not mount /var/run/docker.sock`,
    ),
    ...expect(
      mounts.some((m) => m.readOnly && m.target === posix.join(configDir, 'config.json')),
      `services.${name} cannot pull private images: mount the host's docker config.json read-only ` +
        `at ${posix.join(configDir, 'config.json')} (DOCKER_CONFIG=${configDir})`,
    ),
  ];
}
