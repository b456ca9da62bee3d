export * from './mle.constants';
export * from './mle.module';
export * from './mle.options';
