import { CreateSales1795710000000 } from './1795710000000-CreateSales';
import { CreateAnalystRole1795710100000 } from './1795710100000-CreateAnalystRole';
import { CreateMonitoring1795720000000 } from './1795720000000-CreateMonitoring';
import { TrackSalesLabelChanges1795720100000 } from './1795720100000-TrackSalesLabelChanges';
import { FingerprintLogCheckpoints1795730000000 } from './1795730000000-FingerprintLogCheckpoints';
import { TrackJobRunOwners1795730100000 } from './1795730100000-TrackJobRunOwners';
import { StampSalesLabelTime1795730200000 } from './1795730200000-StampSalesLabelTime';
import { NameSalesConstraints1795730300000 } from './1795730300000-NameSalesConstraints';

/** Every migration, in order. Listed explicitly so the compiled app and the tests run the same set. */
export const MIGRATIONS = [
  CreateSales1795710000000,
  CreateAnalystRole1795710100000,
  CreateMonitoring1795720000000,
  TrackSalesLabelChanges1795720100000,
  FingerprintLogCheckpoints1795730000000,
  TrackJobRunOwners1795730100000,
  StampSalesLabelTime1795730200000,
  NameSalesConstraints1795730300000,
];
