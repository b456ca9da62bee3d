import {
  DockerfileParser,
  From,
  Healthcheck,
  Instruction,
  JSONInstruction,
  Label,
} from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { readFile } from 'node:fs/promises';
import { CheckReport } from './check-report';

const OCI_LABELS = ['source', 'revision', 'version'].map((k) => `org.opencontainers.image.${k}`);
const START_CMD = ['node', 'dist/apps/api/src/main.js'];
const NPM_START = /\b(npm|yarn|pnpm)\s+(run\s+)?start\b/;
const ROOT_USERS = new Set(['root', '0']);

interface Stage {
  from: From;
  instructions: Instruction[];
}

const lineOf = (instruction: Instruction) => instruction.getRange().start.line + 1;

/** The arguments of an exec-form (JSON array) instruction, or undefined for the shell form. */
function execForm(text: string | null): string[] | undefined {
  if (!text?.trim().startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction instanceof From) stages.push({ from: instruction, instructions: [] });
    else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/**
 * Lints docker/Dockerfile: dockerfile-utils' validator (what `docker build` would reject), then
 * the rules of this service's image: a build stage and a slim Node 20 runtime stage with production
 * dependencies only, a non-root user, tini in front of `node` (never `npm start`: it rebuilds, and
 * npm and a shell stand between SIGTERM and the app), an exec-form HEALTHCHECK and the OCI labels
 * the publish workflow fills in.
 */
export async function checkDockerfile(path: string, shownAs = path): Promise<CheckReport> {
  const report = new CheckReport('Dockerfile', shownAs);
  const text = await readFile(path, 'utf8');

  for (const diagnostic of validate(text)) {
    const { message } = diagnostic;
    const detail = typeof message === 'string' ? message : message.value;
    report.problem(`line ${diagnostic.range.start.line + 1}: ${detail}`);
  }

  const instructions = DockerfileParser.parse(text).getInstructions();
  for (const instruction of instructions) {
    const keyword = instruction.getKeyword();
    const content = instruction.getArgumentsContent() ?? '';
    if (['RUN', 'CMD', 'ENTRYPOINT', 'HEALTHCHECK'].includes(keyword) && NPM_START.test(content)) {
      report.problem(
        `line ${lineOf(instruction)}: ${keyword} uses \`npm start\`, which rebuilds the project ` +
          '(with dev dependencies the image lacks) and puts npm and a shell between SIGTERM and ' +
          `the app. Run node directly: CMD ${JSON.stringify(START_CMD)}`,
      );
    }
  }

  const stages = stagesOf(instructions);
  const runtime = stages.at(-1);
  if (!runtime) {
    report.problem('no FROM instruction: the file does not describe an image');
    return report;
  }
  report.expect(
    stages.length >= 2,
    'single stage: build in a first stage (npm ci, npm run build) and copy dist/ into a runtime ' +
      'stage that installs production dependencies only',
  );
  const base = runtime.from.getImage() ?? '';
  report.expect(
    /^node:20(\.[\d.]+)?-([a-z]+-)?slim$/.test(base),
    `runtime stage (line ${lineOf(runtime.from)}) starts FROM ${base || '?'}: use a slim Node 20 ` +
      'image such as node:20-bookworm-slim',
  );

  const ofRuntime = (keyword: string) =>
    runtime.instructions.filter((instruction) => instruction.getKeyword() === keyword);
  const lastOf = (keyword: string) => ofRuntime(keyword).at(-1);

  report.expect(
    ofRuntime('RUN').some((run) =>
      /\bnpm ci\b.*--omit[= ]dev/.test(run.getArgumentsContent() ?? ''),
    ),
    'the runtime stage installs no production dependencies: add RUN npm ci --omit=dev',
  );

  const user = lastOf('USER')?.getArgumentsContent()?.trim();
  if (!user) {
    report.problem(
      'the runtime stage runs as root: add USER <name> (created with useradd) before CMD',
    );
  } else {
    report.expect(
      !ROOT_USERS.has(user.split(':')[0]),
      `the runtime stage runs as ${user}: switch to an unprivileged USER`,
    );
  }

  const cmd = lastOf('CMD');
  const cmdArgs = execForm(cmd?.getArgumentsContent() ?? null);
  if (!cmd) {
    report.problem(`no CMD in the runtime stage: add CMD ${JSON.stringify(START_CMD)}`);
  } else if (!cmdArgs) {
    report.problem(
      `line ${lineOf(cmd)}: CMD in shell form runs under /bin/sh, which does not forward ` +
        `SIGTERM: use the exec form CMD ${JSON.stringify(START_CMD)}`,
    );
  } else {
    report.expect(
      cmdArgs.join(' ') === START_CMD.join(' '),
      `line ${lineOf(cmd)}: CMD ${JSON.stringify(cmdArgs)} should be ${JSON.stringify(START_CMD)}`,
    );
  }

  const entrypoint = lastOf('ENTRYPOINT');
  const entrypointArgs =
    entrypoint instanceof JSONInstruction ? execForm(entrypoint.getArgumentsContent()) : undefined;
  report.expect(
    entrypointArgs !== undefined && /(^|\/)tini$/.test(entrypointArgs[0] ?? ''),
    'node would run as PID 1, which ignores SIGTERM without a handler and reaps no zombies: ' +
      'install tini (apt-get install -y --no-install-recommends tini) and add ' +
      'ENTRYPOINT ["/usr/bin/tini", "--"] (exec form)',
  );

  const healthcheck = lastOf('HEALTHCHECK');
  if (!(healthcheck instanceof Healthcheck) || healthcheck.getSubcommand()?.getValue() !== 'CMD') {
    report.problem(
      'no HEALTHCHECK in the runtime stage: add HEALTHCHECK --timeout=5s CMD ["node", "docker/healthcheck.js"]',
    );
  } else {
    const content = healthcheck.getArgumentsContent() ?? '';
    report.expect(
      execForm(content.slice(content.indexOf('CMD') + 3)) !== undefined,
      `line ${lineOf(healthcheck)}: HEALTHCHECK CMD in shell form needs a shell: use the exec form ` +
        'CMD ["node", "docker/healthcheck.js"]',
    );
    report.expect(
      healthcheck.getFlags().some((flag) => flag.getName() === 'timeout'),
      `line ${lineOf(healthcheck)}: HEALTHCHECK has no --timeout: a hung probe must fail, add --timeout=5s`,
    );
  }

  const labels = new Set(
    runtime.instructions
      .filter((instruction) => instruction instanceof Label)
      .flatMap((label) => label.getProperties().map((property) => property.getName())),
  );
  const missing = OCI_LABELS.filter((label) => !labels.has(label));
  report.expect(
    missing.length === 0,
    `the runtime stage lacks the OCI label(s) ${missing.join(', ')}: add LABEL <name>="\${ARG}" ` +
      'fed by build args (VERSION, REVISION, SOURCE)',
  );

  report.expect(
    ofRuntime('EXPOSE').some((expose) =>
      /(^|\s)3000(\/tcp)?(\s|$)/.test(expose.getArgumentsContent() ?? ''),
    ),
    'the runtime stage does not EXPOSE 3000, the port the API listens on',
  );
  return report;
}
