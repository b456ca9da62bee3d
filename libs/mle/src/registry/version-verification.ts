import { Features } from '../feature-schema';
import { ModelService } from '../model.service';
import { probeInputs } from './version-probe';

type Predictor = Pick<ModelService, 'featureSchema' | 'predict'>;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const show = (value: unknown) =>
  typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));

const describeInput = (features: Features, names: readonly string[] = Object.keys(features)) =>
  names.map((name) => `${name}=${show(features[name])}`).join(', ');

/** What is wrong with the model's answer to `inputs`, or undefined when nothing is. */
function problemWith(model: Predictor, inputs: readonly Features[]): string | undefined {
  let answers: unknown;
  try {
    answers = model.predict(inputs);
  } catch (error) {
    return messageOf(error);
  }
  if (!Array.isArray(answers) || answers.length !== inputs.length) {
    const count = Array.isArray(answers) ? answers.length : 'no array of';
    return `answered ${count} predictions for ${inputs.length} input${inputs.length === 1 ? '' : 's'}`;
  }
  for (const answer of answers as unknown[]) {
    const { prediction, probability } = (answer ?? {}) as Partial<Record<string, unknown>>;
    if (typeof prediction !== 'boolean') {
      return `prediction ${show(prediction)} is not true or false`;
    }
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
      return `probability ${show(probability)} is not a number in [0, 1]`;
    }
  }
  return undefined;
}

/**
 * Checks that a loaded model answers every input its feature schema lets through: it predicts
 * the probe inputs (every category value, both booleans, each numeric bound) without throwing,
 * one answer per input, each a boolean with a probability in [0, 1]. Returns why not, naming the
 * value it cannot take (`cannot predict region="central": …`), or undefined when it can.
 */
export function findPredictionFailure(model: Predictor): string | undefined {
  let probes: Features[];
  try {
    probes = probeInputs(model.featureSchema);
  } catch (error) {
    return `has a feature schema that no input can pass: ${messageOf(error)}`;
  }
  const batchProblem = problemWith(model, probes);
  if (!batchProblem) return undefined;

  // Find the input that fails alone, then the one value of it that a working input cannot take.
  const failing = probes.map((probe) => problemWith(model, [probe]));
  const culprit = failing.findIndex((problem) => problem !== undefined);
  if (culprit < 0) return `cannot predict a batch of ${probes.length} inputs: ${batchProblem}`;
  const input = probes[culprit];
  const problem = failing[culprit]!;
  const working = probes.find((_, i) => failing[i] === undefined);
  if (!working) return `cannot predict any input (e.g. ${describeInput(input)}): ${problem}`;
  const differing = Object.keys(input).filter((name) => input[name] !== working[name]);
  for (const name of differing) {
    const alone = problemWith(model, [{ ...working, [name]: input[name] }]);
    if (alone) return `cannot predict ${describeInput(input, [name])}: ${alone}`;
  }
  return `cannot predict ${describeInput(input, differing)} together: ${problem}`;
}
