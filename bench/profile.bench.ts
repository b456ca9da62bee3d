import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { freePort } from './free-port';

// npm run bench:profile — where the service's CPU time goes under load: the service runs under
// `node --cpu-prof` while autocannon sends single predictions, then this prints the functions
// with the most self time and the service's own functions with the most total (inclusive) time.
// Self time says where the CPU is; what a layer costs is measured by removing it (npm run bench).
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const TOP = 25;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const where = (url: string) => {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  return nm >= 0 ? path.slice(nm + 13) : path ? relative(process.cwd(), path) : '(native)';
};

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mle-profile-'));
  await chmod(work, 0o711);
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    EMBEDDED_PG_DIR: join(work, 'postgres'),
    EMBEDDED_PG_PORT: String(await freePort()),
    MODEL_DIR: join(work, 'models'),
    LOG_DIR: join(work, 'logs'),
  };
  const profiles = join(work, 'profiles');
  try {
    // Seed and train without the profiler, so the profile holds serving only.
    const args = (prof: boolean) => [
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []),
      resolve('dist/apps/api/src/main.js'),
    ];
    for (const prof of [false, true]) {
      const child = spawn(process.execPath, args(prof), {
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const exited = new Promise((done) => child.once('exit', done));
      for (let i = 0; ; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
          async (r) => (await r.body?.cancel(), r.ok),
          () => false,
        );
        if (ok) break;
        if (child.exitCode !== null || i > 1800) throw new Error('the service did not start');
        await new Promise((done) => setTimeout(done, 100));
      }
      if (prof) {
        process.stderr.write(
          `Profiling ${DURATION_S} s of single predictions at 50 connections…\n`,
        );
        await autocannon({
          url: `http://127.0.0.1:${port}/predict`,
          method: 'POST',
          connections: 50,
          duration: DURATION_S,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: 1, features: SERVED_MODELS[0].demo?.examples[0] ?? {} }),
        });
      }
      child.kill('SIGTERM');
      await exited;
    }
    const [file] = (await readdir(profiles)).filter((f) => f.endsWith('.cpuprofile'));
    const profile = JSON.parse(await readFile(join(profiles, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const key = (n: ProfileNode) =>
      `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    const self = new Map<string, number>();
    const total = new Map<string, number>();
    let busy = 0;
    for (const id of profile.samples) {
      const node = byId.get(id);
      if (!node) continue;
      if (node.callFrame.functionName === '(idle)') continue;
      busy += 1;
      self.set(key(node), (self.get(key(node)) ?? 0) + 1);
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const k = key(byId.get(at) as ProfileNode);
        if (!seen.has(k)) total.set(k, (total.get(k) ?? 0) + 1);
        seen.add(k);
      }
    }
    const show = (title: string, map: Map<string, number>, filter: (k: string) => boolean) => {
      const rows = [...map].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]);
      process.stdout.write(`\n${title}\n\n| share of busy CPU | function |\n| ---: | --- |\n`);
      for (const [k, n] of rows.slice(0, TOP)) {
        process.stdout.write(`| ${((n / busy) * 100).toFixed(1)}% | \`${k}\` |\n`);
      }
    };
    show('Self time, top functions:', self, () => true);
    show("Total time of the service's own code and its libraries' entry points:", total, (k) =>
      /(apps|libs)\//.test(k),
    );
  } finally {
    if (process.env.BENCH_KEEP) process.stderr.write(`Kept ${work}\n`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `profile failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
