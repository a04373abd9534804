/** The log-server's Hono app: every route, one error format ({code, message}), JSON 404s. */
import { Hono } from 'hono';
import { handleError } from '../../service/http-errors.ts';
import { noSniff } from '../../service/no-sniff.ts';
import type { Page } from '../../service/static-pages.ts';
import type { LogService } from '../service.ts';
import { registerExplorerRoutes } from './explorer-routes.ts';
import { registerOpsRoutes } from './ops-routes.ts';
import { registerProofRoutes } from './proof-routes.ts';
import { methodNotAllowed } from './method-not-allowed.ts';
import { errorJson } from './responses.ts';
import { registerTileRoutes } from './tile-routes.ts';
import { registerWriteRoutes } from './write-routes.ts';

export function createLogApp(service: LogService, options: { benchRoutes?: boolean; page?: Page } = {}): Hono {
  const app = new Hono();
  app.use(noSniff);
  registerExplorerRoutes(app, service.policyText, options.page);
  registerWriteRoutes(app, service);
  registerTileRoutes(app, service);
  registerProofRoutes(app, service);
  registerOpsRoutes(app, service, options);
  app.notFound(
    methodNotAllowed(app, (c) =>
      errorJson('not_found', `no such resource: ${c.req.method} ${c.req.path.slice(0, 200)}`),
    ),
  );
  app.onError(handleError(service.logger));
  return app;
}
