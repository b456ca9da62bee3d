import { ProgressReporter } from '@app/mle/cli';
import { ModelVersionsRepository } from '@app/mle/lifecycle';
import { MLE_OPTIONS, MleOptions } from '@app/mle/module';
import { ModelArtifactRepository, ModelArtifactStore } from '@app/mle/registry';
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { modelNamed, runCommand, UsageError } from './command-runner';

const USAGE =
  'usage: npm run models:export -- --dir PATH [--model NAME]   |   npm run models:import -- --dir PATH [--model NAME]';

function parseOptions() {
  const direction = process.argv[2];
  if (direction !== 'export' && direction !== 'import') {
    throw new UsageError(`say export or import. ${USAGE}`);
  }
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: { dir: { type: 'string' }, model: { type: 'string' } },
  });
  if (!values.dir) throw new UsageError(`--dir is required. ${USAGE}`);
  return { direction, dir: resolve(values.dir), model: values.model };
}

// Moves model versions between a folder laid out as MODEL_DIR and the database: an export is a
// backup (or a MODEL_DIR for a service without a database), an import brings a folder's versions
// in (the first move of a models volume). Every version is checked against its hashes on the way.
void runCommand('models', async ({ app, registry }) => {
  const { direction, dir, model } = parseOptions();
  const names = model ? [modelNamed(registry, model, USAGE).name] : registry.names;
  const repository = app.get(ModelArtifactRepository);
  const folder = new ModelArtifactStore(
    { ...app.get<MleOptions>(MLE_OPTIONS), modelDir: dir },
    repository,
  );
  if (direction === 'export') {
    await mkdir(dir, { recursive: true });
  } else if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`${dir} is not a folder. ${USAGE}`);
  }
  const recorded = await app.get(ModelVersionsRepository).serving();
  const lines: string[] = [];
  let moved = 0;
  let unchanged = 0;
  const refused: string[] = [];
  for (const name of names) {
    const versions =
      direction === 'export' ? await repository.versions(name) : await folder.localVersions(name);
    const progress = new ProgressReporter(
      `${direction === 'export' ? 'Exporting' : 'Importing'} ${name}`,
      versions.length,
    );
    let done = 0;
    for (const version of versions) {
      try {
        if (direction === 'export') {
          await folder.read(name, version);
          moved++;
        } else if (await folder.publish(name, version)) {
          moved++;
        } else {
          // Already stored with the same manifest; one that differs is refused (a version never
          // changes).
          unchanged++;
        }
      } catch (error) {
        refused.push(`${name} ${version}: ${(error as Error).message}`);
      }
      progress.update(++done);
    }
    progress.finish(done);
    const champion = recorded.get(name)?.champion;
    if (direction === 'export' && champion && versions.includes(champion)) {
      await folder.promote(name, champion);
      lines.push(
        `  ${name}: ${versions.length} version(s); current names the champion ${champion}`,
      );
    } else if (direction === 'export') {
      lines.push(`  ${name}: ${versions.length} version(s); no champion recorded, no current`);
    } else {
      lines.push(
        `  ${name}: ${versions.length} version(s) in the folder; champion ${champion ?? 'none recorded (POST /models/' + name + '/promote names one)'}`,
      );
    }
  }
  const verb = direction === 'export' ? 'Exported' : 'Imported';
  process.stdout.write(
    [
      '',
      `${verb} ${moved} version(s)${direction === 'import' ? `, ${unchanged} already stored` : ''}, refused ${refused.length} (${direction === 'export' ? 'to' : 'from'} ${dir}):`,
      ...lines,
      ...refused.map((line) => `  refused ${line}`),
      '',
    ].join('\n'),
  );
  if (refused.length > 0) {
    throw new Error(
      `${refused.length} version(s) were refused (see above): fix or remove them and run the command again.`,
    );
  }
});
