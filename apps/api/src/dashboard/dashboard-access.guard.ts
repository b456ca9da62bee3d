import { Injectable } from '@nestjs/common';
import { basicOrBearerScheme } from '../ops/access-token';
import { StatusTokenGuard } from '../retraining/status-token.guard';

/** The realm a browser shows when it asks for the dashboard's credentials. */
export const DASHBOARD_REALM = 'mle-service dashboard';

/**
 * The status's rules for the dashboard (open unless RETRAINING_STATUS_TOKEN is set; that token or
 * OPS_TOKEN gives the full view), with the token also accepted as the password of Basic
 * credentials: a browser navigating to a page cannot send a bearer token, but it answers a Basic
 * challenge and resends the credentials with the page's own requests.
 */
@Injectable()
export class DashboardAccessGuard extends StatusTokenGuard {
  protected override readonly scheme = basicOrBearerScheme(DASHBOARD_REALM);
}
