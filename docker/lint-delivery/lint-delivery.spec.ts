import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { checkCompose, ComposeFiles } from './compose.check';
import { deliveryFiles } from './delivery-files';
import { checkDockerfile } from './dockerfile.check';
import { checkWorkflows } from './workflows.check';

type Edit = [search: string | RegExp, replacement: string];

const files = deliveryFiles();
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mle-lint-delivery-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes a copy of `source` with the edits applied to `dir`; fails if an edit matches nothing. */
async function brokenCopy(source: string, edits: Edit[], dir = scratch): Promise<string> {
  let text = await readFile(source, 'utf8');
  for (const [search, replacement] of edits) {
    const edited = text.replace(search, replacement);
    if (edited === text) throw new Error(`${String(search)} not found in ${source}`);
    text = edited;
  }
  const target = join(
    dir,
    `${Date.now()}-${Math.random().toString(36).slice(2)}-${basename(source)}`,
  );
  await writeFile(target, text);
  return target;
}

describe(checkDockerfile.name, () => {
  it('should pass on docker/Dockerfile', async () => {
    const report = await checkDockerfile(files.dockerfile);

    expect(report.problems).toEqual([]);
  });

  it.each<[string, Edit[], RegExp]>([
    ['CMD runs npm start', [[/^CMD .*$/m, 'CMD npm start']], /uses `npm start`.*Run node directly/],
    [
      'CMD is in shell form',
      [[/^CMD .*$/m, 'CMD node dist/apps/api/src/main.js']],
      /CMD in shell form.*exec form/,
    ],
    ['the image runs as root', [[/^USER mle\n/m, '']], /runs as root: add USER/],
    ['the image runs as uid 0', [[/^USER mle$/m, 'USER 0:0']], /runs as 0:0/],
    [
      'there is a single stage',
      [
        [/^FROM node:20-bookworm-slim AS runtime\n/m, ''],
        [/^COPY --from=build .*\n/gm, ''],
      ],
      /single stage/,
    ],
    [
      'the HEALTHCHECK is in shell form',
      [[/CMD \["node", "docker\/healthcheck.js"\]/, 'CMD node docker/healthcheck.js']],
      /HEALTHCHECK CMD in shell form/,
    ],
    [
      'an OCI label is missing',
      [[/^\s+org\.opencontainers\.image\.revision=.*\n/m, '']],
      /revision/,
    ],
    ['tini is not the entrypoint', [[/^ENTRYPOINT .*\n/m, '']], /PID 1/],
    [
      'an instruction is unknown',
      [[/^EXPOSE 3000$/m, 'EXPOSES 3000']],
      /Unknown instruction: EXPOSES/,
    ],
    [
      'the runtime base is not slim Node 20',
      [[/AS runtime/, 'AS runtime\nFROM node:22']],
      /slim Node 20/,
    ],
  ])('should fail when %s', async (_case, edits, problem) => {
    const report = await checkDockerfile(await brokenCopy(files.dockerfile, edits));

    expect(report.passed).toBe(false);
    expect(report.problems.join('\n')).toMatch(problem);
  });
});

describe(checkCompose.name, () => {
  const composeFiles = (compose = files.compose, envExample = files.envExample): ComposeFiles => ({
    compose,
    envExample,
  });

  it('should pass on docker/docker-compose.prod.yml with docker/.env.example', async () => {
    const report = await checkCompose(composeFiles());

    expect(report.problems).toEqual([]);
  });

  it.each<[string, Edit[], RegExp]>([
    [
      'a service of the stack is missing',
      [[/^ {2}watchtower:$/m, '  updater:']],
      /no `watchtower` service/,
    ],
    [
      'the migration job restarts',
      [[/restart: 'no'/, 'restart: on-failure']],
      /services\.migrate\.restart is on-failure: a one-off job needs restart: "no"/,
    ],
    [
      'the database carries the Watchtower label',
      [
        [
          /(image: postgres:17\n)/,
          '$1    labels:\n      com.centurylinklabs.watchtower.enable: "true"\n',
        ],
      ],
      /services\.postgres carries com\.centurylinklabs\.watchtower\.enable=true/,
    ],
    [
      'the api lacks the Watchtower label',
      [[/ {4}labels:\n {6}com\.centurylinklabs\.watchtower\.enable: 'true'\n/, '']],
      /services\.api lacks the label/,
    ],
    [
      'a password is a literal',
      [[/POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?[^}]*\}/, 'POSTGRES_PASSWORD: hunter2hunter2']],
      /services\.postgres\.environment\.POSTGRES_PASSWORD holds a literal secret/,
    ],
    [
      'a token has a literal default',
      [[/OPS_TOKEN: \$\{OPS_TOKEN:-\}/, 'OPS_TOKEN: ${OPS_TOKEN:-0123456789abcdef}']],
      /services\.api\.environment\.OPS_TOKEN holds a literal secret/,
    ],
    [
      'a URL carries a literal password',
      [[/\$\{POSTGRES_PASSWORD:\?set it in docker\/\.env\}@/, 'hunter2@']],
      /x-database-url holds a URL with a literal password/,
    ],
    [
      'Watchtower is not pinned',
      [[/watchtower:1\.22\.3/, 'watchtower:latest']],
      /services\.watchtower\.image is not pinned \(latest\)/,
    ],
    [
      'Watchtower is the archived original',
      [[/ghcr\.io\/nicholas-fedor\/watchtower:1\.22\.3/, 'containrrr/watchtower:1.7.1']],
      /containrrr\/watchtower, archived/,
    ],
    [
      'Watchtower updates every container',
      [[/ {6}- --label-enable\n/, '']],
      /services\.watchtower lacks --label-enable/,
    ],
    [
      'Watchtower stops the api before it has flushed',
      [[/--stop-timeout=45s/, '--stop-timeout=10s']],
      /--stop-timeout is 10s: make it at least the api stop_grace_period/,
    ],
    [
      'the api does not wait for the migrations',
      [[/ {6}migrate:\n {8}condition: service_completed_successfully\n/, '']],
      /depend on migrate with condition: service_completed_successfully/,
    ],
    [
      'the api has no healthcheck',
      [[/test: \['CMD', 'node', 'docker\/healthcheck.js'\]\n( {6}\w+: .*\n)+/, 'disable: true\n']],
      /services\.api has no healthcheck/,
    ],
    [
      'the database has no healthcheck',
      [[/ {4}healthcheck:\n {6}test: \['CMD-SHELL'.*\n( {6}\w+: .*\n)+/, '']],
      /services\.postgres has no pg_isready healthcheck/,
    ],
    [
      'a key is not in the Compose Specification',
      [[/restart: 'no'/, "restarts: 'no'"]],
      /Compose Specification: services\.migrate: unknown key "restarts"/,
    ],
    [
      'a reference is not closed',
      [[/\$\{MAX_BATCH:-1000\}/, '${MAX_BATCH:-1000']],
      /config failed: .*invalid interpolation format.*MAX_BATCH/is,
    ],
    [
      'the API would refuse a default',
      [[/\$\{MAX_BATCH:-1000\}/, '${MAX_BATCH:-lots}']],
      /services\.api\.environment\.MAX_BATCH: the app would refuse the default \(MAX_BATCH="lots"/,
    ],
    [
      'a default differs from the app',
      [[/\$\{MAX_BATCH:-1000\}/, '${MAX_BATCH:-500}']],
      /MAX_BATCH: the default "500" differs from the app's default 1000/,
    ],
    [
      'logs are written outside the volume',
      [[/LOG_DIR: \/var\/lib\/mle\/logs/, 'LOG_DIR: /tmp/logs']],
      /LOG_DIR=\/tmp\/logs is not a named volume mount/,
    ],
    [
      'a variable is missing from .env.example',
      [[/\$\{EVALUATION_TZ:-UTC\}/, '${EVALUATION_TIMEZONE:-UTC}']],
      /\.env\.example does not document EVALUATION_TIMEZONE/,
    ],
  ])('should fail when %s', async (_case, edits, problem) => {
    const compose = await brokenCopy(files.compose, edits);

    const report = await checkCompose(composeFiles(compose));

    expect(report.passed).toBe(false);
    expect(report.problems.join('\n')).toMatch(problem);
  });

  it('should fail when a value of .env.example would stop the API at start-up', async () => {
    const envExample = await brokenCopy(files.envExample, [[/^MAX_BATCH=.*$/m, 'MAX_BATCH=lots']]);

    const report = await checkCompose(composeFiles(files.compose, envExample));

    expect(report.problems.join('\n')).toMatch(
      /services\.api\.environment: the API would refuse MAX_BATCH="lots"/,
    );
  });

  it('should fail when .env.example leaves a required variable empty', async () => {
    const envExample = await brokenCopy(files.envExample, [
      [/^POSTGRES_PASSWORD=.*$/m, 'POSTGRES_PASSWORD='],
    ]);

    const report = await checkCompose(composeFiles(files.compose, envExample));

    expect(report.problems.join('\n')).toMatch(
      /config failed: .*POSTGRES_PASSWORD.*set it in docker\/\.env/s,
    );
  });
});

describe(checkWorkflows.name, () => {
  /** A copy of .github/workflows with one file edited. */
  async function brokenWorkflows(file: string, edits: Edit[]): Promise<string> {
    const dir = await mkdtemp(join(scratch, 'workflows-'));
    await cp(files.workflowsDir, dir, { recursive: true });
    const edited = await brokenCopy(join(files.workflowsDir, file), edits, dir);
    await rm(join(dir, file));
    await cp(edited, join(dir, file));
    await rm(edited);
    return dir;
  }

  it('should pass on .github/workflows', async () => {
    const report = await checkWorkflows(files.workflowsDir, files.root);

    expect(report.problems).toEqual([]);
  });

  it.each<[string, string, Edit[], RegExp]>([
    [
      'a job has an invalid key',
      'ci.yml',
      [[/ {4}timeout-minutes: 30\n/, '    timeout-minutes: 30\n    run-on: ubuntu-24.04\n']],
      /ci\.yml:\d+:\d+: unexpected key "run-on" for "job" section/,
    ],
    [
      'an expression names an unknown context property',
      'publish.yml',
      [[/\$\{\{ github\.sha \}\}/, '${{ github.shaa }}']],
      /property "shaa" is not defined/,
    ],
    [
      'an action follows a moving tag',
      'ci.yml',
      [[/actions\/checkout@v6\.0\.2/, 'actions/checkout@v6']],
      /uses actions\/checkout@v6: pin it to a release/,
    ],
    [
      'the publishing job cannot write packages',
      'publish.yml',
      [[/ {6}packages: write\n/, '']],
      /job image pushes an image but lacks permissions: packages: write/,
    ],
    [
      'the image is published without the test suite',
      'publish.yml',
      [[/ {4}needs: ci\n/, '']],
      /job image may publish an untested image/,
    ],
  ])('should fail when %s', async (_case, file, edits, problem) => {
    const dir = await brokenWorkflows(file, edits);

    const report = await checkWorkflows(dir);

    expect(report.passed).toBe(false);
    expect(report.problems.join('\n')).toMatch(problem);
  });
});
