/**
 * 405 Method Not Allowed (RFC 9110 §15.5.6) for a path the log serves with other methods, with an
 * Allow header; 404 stays for paths it does not serve at all. Built from the app's own route table
 * once every route is registered, so it cannot drift from the routes.
 */
import type { Context, Hono } from 'hono';
import { NO_CACHE } from './responses.ts';

function patternOf(path: string): RegExp {
  const escaped = path
    .split('/')
    .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}$`);
}

/** Returns a notFound handler: 405 with Allow when another method serves the path, else `fallback`. */
export function methodNotAllowed(app: Hono, fallback: (c: Context) => Response): (c: Context) => Response {
  const routes = app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({ method: r.method.toUpperCase(), pattern: patternOf(r.path) }));
  return (c) => {
    const allowed = new Set(routes.filter((r) => r.pattern.test(c.req.path)).map((r) => r.method));
    if (allowed.size === 0 || allowed.has(c.req.method)) return fallback(c);
    if (allowed.has('GET')) allowed.add('HEAD');
    const allow = [...allowed].sort().join(', ');
    const message = `${c.req.method} is not allowed on ${c.req.path.slice(0, 200)}; use ${allow}`;
    return new Response(JSON.stringify({ code: 'usage', message }), {
      status: 405,
      headers: { 'content-type': 'application/json', 'cache-control': NO_CACHE, allow },
    });
  };
}
