export * from './demo-data';
export * from './demo.seeder';
export * from './labelled-table';
export * from './labelled-table.reader';
