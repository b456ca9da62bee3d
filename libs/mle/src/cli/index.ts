export * from './progress-reporter';
