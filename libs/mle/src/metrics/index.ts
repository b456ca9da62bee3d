export * from './binary-metrics';
export * from './metrics.registry';
export * from './mle-metrics';
