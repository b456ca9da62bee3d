import { Features, FeatureSchema } from '../feature-schema';
import { Prediction } from '../model.service';
import { findPredictionFailure } from './version-verification';

const schema: FeatureSchema = [
  { name: 'colour', type: 'category', values: ['red', 'green', 'blue'] },
  { name: 'flag', type: 'boolean' },
  { name: 'score', type: 'number', min: 0, max: 10 },
];

/** A model whose answer for each input is computed by `answer`. */
const modelAnswering = (answer: (features: Features) => Prediction) => ({
  featureSchema: schema,
  predict: (inputs: readonly Features[]) => inputs.map(answer),
});

const sound = (features: Features): Prediction => {
  const probability = (features.score as number) / 10;
  return { prediction: probability >= 0.5, probability };
};

describe(findPredictionFailure.name, () => {
  it('should find nothing when the model predicts every probe within [0, 1]', () => {
    expect(findPredictionFailure(modelAnswering(sound))).toBeUndefined();
  });

  it('should name the category value the model cannot encode', () => {
    // Arrange
    const model = modelAnswering((features) => {
      if (features.colour === 'blue') throw new RangeError('unknown category');
      return sound(features);
    });

    // Act
    const failure = findPredictionFailure(model);

    // Assert
    expect(failure).toBe('cannot predict colour="blue": unknown category');
  });

  it('should name the bound at which the probability is not finite', () => {
    // Arrange
    const model = modelAnswering((features) =>
      features.score === 10 ? { prediction: false, probability: NaN } : sound(features),
    );

    // Act
    const failure = findPredictionFailure(model);

    // Assert
    expect(failure).toBe('cannot predict score=10: probability NaN is not a number in [0, 1]');
  });

  it('should refuse a probability above 1 or a prediction that is not a boolean', () => {
    const above = modelAnswering((features) =>
      features.flag ? { prediction: true, probability: 1.5 } : sound(features),
    );
    const notBoolean = modelAnswering(
      (features) => ({ ...sound(features), prediction: 'yes' }) as unknown as Prediction,
    );

    expect(findPredictionFailure(above)).toBe(
      'cannot predict flag=true: probability 1.5 is not a number in [0, 1]',
    );
    expect(findPredictionFailure(notBoolean)).toMatch(/prediction "yes" is not true or false/);
  });

  it('should say so when every input fails rather than blame one value', () => {
    // Arrange
    const model = {
      featureSchema: schema,
      predict: (): Prediction[] => {
        throw new Error('has no parameters');
      },
    };

    // Act
    const failure = findPredictionFailure(model);

    // Assert
    expect(failure).toMatch(
      /^cannot predict any input \(e\.g\. colour="red", flag=false, score=5\): has no parameters$/,
    );
  });

  it('should refuse a model that answers fewer predictions than inputs', () => {
    // Arrange
    const model = {
      featureSchema: schema,
      predict: (inputs: readonly Features[]) => inputs.slice(1).map(sound),
    };

    // Act
    const failure = findPredictionFailure(model);

    // Assert
    expect(failure).toMatch(/answered 0 predictions for 1 input/);
  });

  it('should report a batch that fails although each input alone succeeds', () => {
    // Arrange
    const model = {
      featureSchema: schema,
      predict: (inputs: readonly Features[]) => {
        if (inputs.length > 1) throw new Error('batch buffer too small');
        return inputs.map(sound);
      },
    };

    // Act
    const failure = findPredictionFailure(model);

    // Assert
    expect(failure).toMatch(/^cannot predict a batch of \d+ inputs: batch buffer too small$/);
  });

  it('should report a schema that lets no input through', () => {
    // Arrange
    const model = {
      featureSchema: [{ name: 'colour', type: 'category', values: [] }] as FeatureSchema,
      predict: (inputs: readonly Features[]) => inputs.map(sound),
    };

    // Act
    const failure = findPredictionFailure(model);

    // Assert
    expect(failure).toMatch(/feature "colour" .*no value/);
  });
});
