import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DASHBOARD_STYLES } from './page/dashboard.styles';
import { DASHBOARD_PAGE } from './page/dashboard.page';
import { DASHBOARD_SCRIPT } from './page/dashboard.script';

/** A file the dashboard serves: its media type, bytes and entity tag. */
export interface DashboardAsset {
  type: string;
  body: Buffer;
  etag: string;
}

function asset(type: string, content: string | Buffer): DashboardAsset {
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { type, body, etag };
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * The dashboard's page and assets, read once at start-up: uPlot from node_modules (resolved like
 * any dependency, so the image's production install has it), the page's own script and styles
 * from the modules beside. Nothing is fetched from elsewhere.
 */
@Injectable()
export class DashboardAssets {
  readonly page = asset('text/html; charset=utf-8', DASHBOARD_PAGE);
  private readonly files: ReadonlyMap<string, DashboardAsset> = new Map([
    ['uPlot.iife.min.js', asset(JS, readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')))],
    ['uPlot.min.css', asset(CSS, readFileSync(require.resolve('uplot/dist/uPlot.min.css')))],
    ['dashboard.js', asset(JS, DASHBOARD_SCRIPT)],
    ['dashboard.css', asset(CSS, DASHBOARD_STYLES)],
  ]);

  /** The asset of that file name, or undefined. */
  get(name: string): DashboardAsset | undefined {
    return this.files.get(name);
  }
}
