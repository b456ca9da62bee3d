import {
  Controller,
  Get,
  Headers,
  HttpStatus,
  NotFoundException,
  Param,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DashboardAssets } from './dashboard-assets';

/**
 * The dashboard's scripts and styles. Open to everyone: they are the same for every caller and
 * hold no data. Revalidated on each load (an upgrade changes them), answered 304 when unchanged.
 */
@ApiExcludeController()
@Controller('dashboard/assets')
export class DashboardAssetsController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get(':file')
  file(
    @Param('file') name: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer | string {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException('The dashboard has no such asset.');
    void reply
      .header('content-type', asset.type)
      .header('cache-control', 'no-cache')
      .header('etag', asset.etag);
    if (ifNoneMatch === asset.etag) {
      void reply.status(HttpStatus.NOT_MODIFIED);
      return '';
    }
    return asset.body;
  }
}
