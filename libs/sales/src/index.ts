export * from './sale.constants';
export * from './sale.entity';
