/** Category values of the sales data. The migration enforces CHANNELS; the model's schema lists all. */
export const REGIONS = ['north', 'south', 'east', 'west', 'central'] as const;
export const CHANNELS = ['online', 'store', 'partner'] as const;
export const PRODUCT_CATEGORIES = [
  'electronics',
  'grocery',
  'apparel',
  'home',
  'beauty',
  'toys',
  'sports',
  'books',
] as const;

export type Region = (typeof REGIONS)[number];
export type Channel = (typeof CHANNELS)[number];
export type ProductCategory = (typeof PRODUCT_CATEGORIES)[number];

/** Ground truth arrives late: a sale is labelled once 30 days have passed. */
export const LABEL_DELAY_DAYS = 30;
