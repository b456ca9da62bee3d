export * from './feature-schema';
