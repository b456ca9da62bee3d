export * from './model.trainer';
export * from './training-data.source';
