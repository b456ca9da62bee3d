import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Evaluation } from './evaluation';

export type RetrainingListener = (evaluation: Evaluation) => void;

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

  emit(evaluation: Evaluation): void {
    this.emitter.emit('evaluation', evaluation);
    if (evaluation.recommendation === 'RETRAIN') this.emitter.emit('retrain', evaluation);
  }
}
