export * from './feature-validator';
export * from './prediction-answer';
export * from './prediction-logger.interceptor';
export * from './prediction.service';
