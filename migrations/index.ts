import { CreateAnalystRole1795710100000 } from './1795710100000-CreateAnalystRole';
import { CreateMonitoring1795720000000 } from './1795720000000-CreateMonitoring';
import { FingerprintLogCheckpoints1795730000000 } from './1795730000000-FingerprintLogCheckpoints';
import { TrackJobRunOwners1795730100000 } from './1795730100000-TrackJobRunOwners';
import { TrackLabelWithdrawals1795740000000 } from './1795740000000-TrackLabelWithdrawals';
import { ShadowPredictions1795750000000 } from './1795750000000-ShadowPredictions';
import { CreateModelVersions1795750100000 } from './1795750100000-CreateModelVersions';
import { EstimatedPerformance1795760000000 } from './1795760000000-EstimatedPerformance';
import { PartitionPredictions1795770000000 } from './1795770000000-PartitionPredictions';
import { RecordPartitionMaintenance1795770100000 } from './1795770100000-RecordPartitionMaintenance';
import { StoreModelArtifacts1795780000000 } from './1795780000000-StoreModelArtifacts';

/**
 * The kit's own migrations (its bookkeeping tables and the analyst role). Each served plug-in
 * adds its own (`ModelPlugin.migrations`); TypeORM runs them all in timestamp order. Listed
 * explicitly so the compiled app and the tests run the same set.
 */
export const MIGRATIONS = [
  CreateAnalystRole1795710100000,
  CreateMonitoring1795720000000,
  FingerprintLogCheckpoints1795730000000,
  TrackJobRunOwners1795730100000,
  TrackLabelWithdrawals1795740000000,
  ShadowPredictions1795750000000,
  CreateModelVersions1795750100000,
  EstimatedPerformance1795760000000,
  PartitionPredictions1795770000000,
  RecordPartitionMaintenance1795770100000,
  StoreModelArtifacts1795780000000,
];
