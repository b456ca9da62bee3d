/** A numeric feature: any finite JSON number, or an integer; optional inclusive bounds. */
export interface NumericFeature {
  name: string;
  type: 'number' | 'integer';
  min?: number;
  max?: number;
  description?: string;
}

/** A JSON boolean. */
export interface BooleanFeature {
  name: string;
  type: 'boolean';
  description?: string;
}

/** A string from a closed list of values. */
export interface CategoryFeature {
  name: string;
  type: 'category';
  values: readonly string[];
  description?: string;
}

export type FeatureSpec = NumericFeature | BooleanFeature | CategoryFeature;

/** The features a model takes, in order. Requests are validated against it before `predict`. */
export type FeatureSchema = readonly FeatureSpec[];

export type FeatureValue = number | boolean | string;

/** One input's features by name, as validated against the model's schema. */
export type Features = Readonly<Record<string, FeatureValue>>;
