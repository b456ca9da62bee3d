import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Promotion } from '../lifecycle/model-versions.repository';
import { Evaluation } from './evaluation';

export type RetrainingListener = (evaluation: Evaluation) => void;
export type PromotionListener = (promotion: Promotion) => void;

/**
 * In-process notifications of the retraining monitor. Subscribe from any module:
 * `events.onRetrain((evaluation) => …)`. Listeners run synchronously after the evaluation is
 * stored; one that throws is logged by the monitor, never fails the run.
 */
@Injectable()
export class RetrainingEvents {
  private readonly emitter = new EventEmitter();

  onRetrain(listener: RetrainingListener): () => void {
    this.emitter.on('retrain', listener);
    return () => this.emitter.off('retrain', listener);
  }

  onEvaluation(listener: RetrainingListener): () => void {
    this.emitter.on('evaluation', listener);
    return () => this.emitter.off('evaluation', listener);
  }

  /** A promotion or rollback, made by this replica. */
  onPromotion(listener: PromotionListener): () => void {
    this.emitter.on('promotion', listener);
    return () => this.emitter.off('promotion', listener);
  }

  emitPromotion(promotion: Promotion): void {
    this.emitter.emit('promotion', promotion);
  }

  /** An early warning: the estimate or the drift says to look, the labels do not (yet). */
  onWatch(listener: RetrainingListener): () => void {
    this.emitter.on('watch', listener);
    return () => this.emitter.off('watch', listener);
  }

  emit(evaluation: Evaluation): void {
    this.emitter.emit('evaluation', evaluation);
    if (evaluation.recommendation === 'RETRAIN') this.emitter.emit('retrain', evaluation);
    if (evaluation.recommendation === 'WATCH') this.emitter.emit('watch', evaluation);
  }
}
