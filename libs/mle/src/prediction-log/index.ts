export * from './prediction-log.options';
export * from './prediction-log.writer';
export * from './prediction-record';
