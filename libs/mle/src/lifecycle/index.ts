export * from './champion.follower';
export * from './gate';
export * from './lifecycle.errors';
export * from './lifecycle.options';
export * from './model-lifecycle.service';
export * from './model-versions.repository';
export * from './paired-comparison';
