import { Module } from '@nestjs/common';
import { ClusterChannel } from './cluster.channel';
import { PeerSync } from './peer-sync';

/** The worker's side of WORKERS > 1: its channel to the primary and what it keeps in step. */
@Module({
  providers: [ClusterChannel, PeerSync],
  exports: [ClusterChannel, PeerSync],
})
export class ClusterModule {}
