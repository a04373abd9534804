/**
 * What the explorer page (explorer/log) needs beyond tlog-tiles: the page itself at / and
 * /assets/*, and GET /policy, the trust policy this log was started with (witnesses, quorum,
 * publisher, countersigner and vendor keys) as text. The page shows it as "the server's policy":
 * a reader who does not want to trust the server pastes their own.
 */
import type { Hono } from 'hono';
import { registerPage, type Page } from '../../service/static-pages.ts';
import { errorJson, textResponse } from './responses.ts';

export function registerExplorerRoutes(app: Hono, policyText: string | undefined, page: Page | undefined): void {
  registerPage(app, page, 'the log explorer');
  app.get('/policy', () =>
    policyText === undefined
      ? errorJson('not_found', 'this log was started without a policy')
      : textResponse(policyText),
  );
}
