export * from './sale.constants';
export * from './sale.entity';
export * from './demo/demo-sales.generator';
