import { Injectable } from '@nestjs/common';
import { Registry } from 'prom-client';

/**
 * The Prometheus registry of one application: the kit's metrics and the app's register here and
 * `GET /metrics` serialises it. A class, not prom-client's global registry, so that several apps
 * in one process (tests) do not collide.
 */
@Injectable()
export class MetricsRegistry extends Registry {}
