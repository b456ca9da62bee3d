import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Sale } from './sale.entity';
import { SalesRepository } from './sales.repository';

@Module({
  imports: [TypeOrmModule.forFeature([Sale])],
  providers: [SalesRepository],
  exports: [SalesRepository],
})
export class SalesModule {}
