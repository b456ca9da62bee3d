// Doubles for tests of the kit, the app and plug-ins.
export { binaryMetrics } from '../metrics/binary-metrics';
export { demoTrainingRows, seedDemoData } from '../data/demo.seeder';
export { isHoldout } from '../training/model.trainer';
export { findPredictionFailure } from '../registry/version-verification';
export { churnTestPlugin } from './churn/churn.plugin';
export { FAKE_MODEL_FILE, FakeModelService } from './fake-model.service';
export { FakeTrainingData, fakeTrainingRows } from './fake-training.data';
export { createMleTestingModule } from './mle-testing.module';
