import { relative } from 'node:path';
import { CheckReport } from './check-report';
import { checkCompose } from './compose.check';
import { deliveryFiles } from './delivery-files';
import { checkDockerfile } from './dockerfile.check';
import { checkKubernetes } from './kubernetes.check';
import { checkWorkflows } from './workflows.check';

/** Runs the delivery checks and prints what each found; exit code 1 when one fails. */
async function lintDelivery(): Promise<boolean> {
  const files = deliveryFiles();
  const shown = (path: string) => relative(files.root, path);
  const checks: [string, () => Promise<CheckReport>][] = [
    ['Dockerfile', () => checkDockerfile(files.dockerfile, shown(files.dockerfile))],
    [
      'Compose',
      () =>
        checkCompose(
          { compose: files.compose, envExample: files.envExample },
          { shownAs: shown(files.compose) },
        ),
    ],
    [
      'Kubernetes',
      () => checkKubernetes(files.kubernetesOverlay, { shownAs: shown(files.kubernetesOverlay) }),
    ],
    ['Workflows', () => checkWorkflows(files.workflowsDir, files.root)],
  ];

  const reports: CheckReport[] = [];
  for (const [name, check] of checks) {
    const report = await check().catch((error: unknown) => {
      const failed = new CheckReport(name, '');
      failed.problem(
        `the check itself failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return failed;
    });
    reports.push(report);
    process.stdout.write(`${report.passed ? 'PASS' : 'FAIL'}  ${report.name}  ${report.file}\n`);
    for (const problem of report.problems) process.stdout.write(`      ✗ ${problem}\n`);
    for (const note of report.notes) process.stdout.write(`      · ${note}\n`);
  }
  const failed = reports.filter((report) => !report.passed);
  process.stdout.write(
    `\nlint:delivery: ${reports.length - failed.length} of ${reports.length} checks passed` +
      (failed.length
        ? `; fix the problems above (${failed.map((r) => r.name).join(', ')})\n`
        : '\n'),
  );
  return failed.length === 0;
}

lintDelivery().then(
  (passed) => {
    process.exitCode = passed ? 0 : 1;
  },
  (error: unknown) => {
    process.stderr.write(
      `lint:delivery failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
