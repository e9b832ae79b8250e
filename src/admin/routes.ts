/** The admin endpoint's routes: /healthz (the process is alive), /readyz (it can serve), /metrics (Prometheus text). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ReadyState } from './readiness.js';

export interface RouteDeps {
  /** Where /metrics reads its text: one registry, or the sum of the serving threads' registries. */
  readonly registry: Pick<Registry, 'metrics' | 'contentType'>;
  readonly readiness: () => Promise<ReadyState>;
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/** createRoutes returns the request handler; every request gets exactly one answer, errors included. */
export function createRoutes(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    const fail = (err: unknown): void => send(res, 500, `error: ${err instanceof Error ? err.message : String(err)}\n`);
    switch (path) {
      case '/healthz':
        return send(res, 200, 'ok\n');
      case '/readyz':
        void deps
          .readiness()
          .then((state) => send(res, state.ready ? 200 : 503, `${state.ready ? 'ready' : 'not ready'}: ${state.reason}\n`))
          .catch(fail);
        return;
      case '/metrics':
        void deps.registry
          .metrics()
          .then((text) => send(res, 200, text, deps.registry.contentType))
          .catch(fail);
        return;
      default:
        return send(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
    }
  };
}
