export * from './accuracy';
export * from './drift';
export * from './evaluation';
export * from './evaluation.scheduler';
export * from './evaluation.views';
export * from './ingestion.scheduler';
export * from './monitoring.options';
export * from './prediction-log.ingester';
export * from './prediction-partitions.service';
export * from './prediction-log.ingestion';
export * from './reference-distribution';
export * from './retraining-webhook.notifier';
export * from './retraining.events';
export * from './retraining.monitor';
export type { JobRun, RunTrigger } from './repositories/job-run.repository';
export type {
  CreatedPartition,
  DroppedPartition,
  PredictionPartition,
} from './repositories/prediction-partition.repository';
export { PredictionPartitionRepository } from './repositories/prediction-partition.repository';
