/** The admin HTTP endpoint: binds one address (loopback unless configured) and serves the routes; off by default. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { describeListenError } from '../server/listen-errors.js';
import { createRoutes, type RouteDeps } from './routes.js';

export interface AdminServer {
  /** 'http 127.0.0.1:9153' */
  readonly description: string;
  readonly port: number;
  /** Stops accepting and ends idle keep-alive connections. */
  close(): Promise<void>;
}

/** startAdminServer binds `listen`; throws HradbaError('HRADBA_ERR_LISTEN') with one line saying what to do. */
export async function startAdminServer(listen: HostPort, deps: RouteDeps): Promise<AdminServer> {
  const server: Server = createServer(createRoutes(deps));
  // A scraper never needs long; a stuck client must not hold a socket for ever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  const where = `admin http ${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const line =
        err.code === 'EADDRINUSE'
          ? `${where}: address already in use: another process (a second hradba, an exporter?) holds it; stop it or change 'admin.listen'`
          : describeListenError(where, err);
      reject(new HradbaError('HRADBA_ERR_LISTEN', line, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    description: `http ${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // A scrape in progress may finish, but a stuck client must not hold up the DNS drain behind it.
        const cut = setTimeout(() => server.closeAllConnections(), 1000);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
