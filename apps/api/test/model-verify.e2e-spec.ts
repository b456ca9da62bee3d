import { FeatureEncoder, FeatureEncoderJson } from '@app/mle';
import { newVersionId } from '@app/mle/registry';
import { churnTestPlugin } from '@app/mle/testing';
import { ConsoleLogger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
} from '../../../test/test-database';
import { createTestApp, examplesOf, modelDirWithModels, TestApp } from './test-app';

// Damages the files of a model the suite knows: the kit's test plug-in, served alone.
const plugins = [churnTestPlugin];
const features = examplesOf(churnTestPlugin)[0];
const OPS = 'test-ops-token-0123456789';
const MODEL = 'churn';
const PARAMETERS_FILE = 'churn.json';

interface ParametersFile {
  encoder: FeatureEncoderJson;
  weights: (number | null)[];
  intercept: number;
}

/**
 * Copies version `from` into a new version folder, lets `edit` damage it, records the new
 * checksums of every regular file (so only what `edit` did is wrong) and makes it current.
 */
async function publishEditedVersion(
  modelDir: string,
  from: string,
  edit: (dir: string) => Promise<void>,
): Promise<string> {
  const root = join(modelDir, MODEL);
  const version = newVersionId();
  const dir = join(root, version);
  await cp(join(root, from), dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    version: string;
    files: Record<string, string>;
  };
  manifest.version = version;
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  await edit(dir);
  if ((await stat(manifestPath)).isFile()) {
    for (const file of Object.keys(manifest.files)) {
      if (!(await stat(join(dir, file))).isFile()) continue;
      const content = await readFile(join(dir, file));
      manifest.files[file] = createHash('sha256').update(content).digest('hex');
    }
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  }
  await writeFile(join(root, 'current'), `${version}\n`);
  return version;
}

async function editParameters(dir: string, change: (file: ParametersFile) => void) {
  const path = join(dir, PARAMETERS_FILE);
  const file = JSON.parse(await readFile(path, 'utf8')) as ParametersFile;
  change(file);
  await writeFile(path, JSON.stringify(file, null, 2));
}

// The encoder of the version forgets one plan: it loads, but cannot predict what /predict accepts.
const withoutPremium = (dir: string) =>
  editParameters(dir, (file) => {
    const column = FeatureEncoder.fromJSON(file.encoder).columns.indexOf('plan=premium');
    file.encoder = {
      features: file.encoder.features.map((f) =>
        f.name === 'plan' && f.type === 'category'
          ? { ...f, values: f.values.filter((value) => value !== 'premium') }
          : f,
      ),
    };
    file.weights.splice(column, 1);
  });

const replaceByFolder = (name: string) => async (dir: string) => {
  await rm(join(dir, name));
  await mkdir(join(dir, name));
};

describe('A version is verified before it serves (e2e)', () => {
  let test: TestApp;
  let served: string;
  const http = () => request(test.app.getHttpServer());
  const reload = () => http().post('/model/reload').set('Authorization', `Bearer ${OPS}`);

  // A database of its own: a reload records the served version as the champion (the previous
  // one becomes the shadow), which every later service on a shared database would follow.
  const database = `model_verify_${process.pid}`;

  beforeAll(async () => {
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url, { plugins });
    test = await createTestApp({ DATABASE_URL: url }, { plugins });
    served = ((await http().get('/model').expect(200)).body as { version: string }).version;
  });

  afterAll(async () => {
    await test.app.close();
    await dropScratchDatabase(database);
  });

  async function expectRefused(version: string, detail: RegExp) {
    const response = await reload().expect(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 409, instance: '/model/reload' });
    expect(response.body.detail).toContain(`version ${version}`);
    expect(response.body.detail).toMatch(detail);
    // The old version keeps serving, on every value the API accepts.
    const predicted = await http()
      .post('/predict')
      .send({ id: 1, features: { ...features, plan: 'premium' } })
      .expect(200);
    expect(predicted.body.modelVersion).toBe(served);
    expect((await http().get('/model').expect(200)).body.version).toBe(served);
  }

  it('should refuse a version whose encoder lacks a category the schema allows', async () => {
    const version = await publishEditedVersion(test.modelDir, served, withoutPremium);

    await expectRefused(version, /cannot predict plan="premium"/);
  });

  it('should refuse a version with a null weight rather than read it as 0', async () => {
    const version = await publishEditedVersion(test.modelDir, served, (dir) =>
      editParameters(dir, (file) => (file.weights[2] = null)),
    );

    await expectRefused(version, /weights\[2\] is not a number/);
  });

  it.each([[PARAMETERS_FILE], ['manifest.json']])(
    'should answer 409, not 500, when %s is a folder',
    async (name) => {
      const version = await publishEditedVersion(test.modelDir, served, replaceByFolder(name));

      await expectRefused(version, new RegExp(`${name.replace('.', '\\.')} is a folder`));
    },
  );

  it('should serve a sound version again after refusing broken ones', async () => {
    const version = await publishEditedVersion(test.modelDir, served, async () => {});

    const response = await reload().expect(200);

    expect(response.body.version).toBe(version);
    served = version;
  });
});

describe('A version that fails verification at start-up (e2e)', () => {
  it('should not be served, and the service should say why and what to do', async () => {
    const modelDir = await modelDirWithModels(plugins);
    const current = (await readFile(join(modelDir, MODEL, 'current'), 'utf8')).trim();
    const version = await publishEditedVersion(modelDir, current, withoutPremium);
    const warnings: string[] = [];
    const logger = new ConsoleLogger();
    logger.setLogLevels([]);
    logger.warn = (message: unknown) => void warnings.push(String(message));
    // A database of its own, with no champion recorded that the service could serve instead.
    const database = `model_verify_start_${process.pid}`;
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url, { plugins });
    const test = await createTestApp(
      { DATABASE_URL: url, MODEL_DIR: modelDir },
      { logger, plugins },
    );
    try {
      const server = test.app.getHttpServer();
      const predicted = await request(server).post('/predict').send({ id: 1, features });
      expect(predicted.status).toBe(503);
      const ready = await request(server).get('/health/ready').expect(503);
      expect(warnings).toEqual([
        expect.stringMatching(
          new RegExp(`churn is not served: .*version ${version} cannot predict plan="premium"`),
        ),
      ]);
      expect(ready.body.reasons.model).toMatch(
        /no version of churn is loaded: train one \(npm run train/,
      );
    } finally {
      await test.app.close();
      await dropScratchDatabase(database);
    }
  });
});
