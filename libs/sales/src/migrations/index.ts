import { CreateSales1795710000000 } from './1795710000000-CreateSales';
import { TrackSalesLabelChanges1795720100000 } from './1795720100000-TrackSalesLabelChanges';
import { StampSalesLabelTime1795730200000 } from './1795730200000-StampSalesLabelTime';
import { NameSalesConstraints1795730300000 } from './1795730300000-NameSalesConstraints';
import { RecordSalesLabelWithdrawals1795740100000 } from './1795740100000-RecordSalesLabelWithdrawals';

/** The sales plug-in's migrations, in order (the kit runs them with its own, by timestamp). */
export const SALES_MIGRATIONS = [
  CreateSales1795710000000,
  TrackSalesLabelChanges1795720100000,
  StampSalesLabelTime1795730200000,
  NameSalesConstraints1795730300000,
  RecordSalesLabelWithdrawals1795740100000,
];
