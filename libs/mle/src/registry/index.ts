export * from './model-artifact.repository';
export * from './model-artifact.store';
export * from './model-manifest';
export * from './model.registry';
export * from './registered-model';
export * from './registry.errors';
export * from './version-probe';
export * from './version-verification';
