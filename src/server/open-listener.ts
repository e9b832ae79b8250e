/** Opens one UDP or TCP listener; a bind that fails becomes HRADBA_ERR_LISTEN with the one-line reason and remedy. */
import type { HostPort } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { startTcpListener, type TcpCloseReason, type TcpLimits } from '../net/tcp-listener.js';
import type { Listener, QueryHandler } from '../net/types.js';
import { startUdpListener } from '../net/udp-listener.js';
import { describeListenError, listenerName } from './listen-errors.js';

export interface OpenListenerOptions {
  readonly handler: QueryHandler;
  readonly onError: (err: Error) => void;
  /** TCP connection limits (config `tcp`). */
  readonly tcp: {
    readonly idleTimeoutMs: number;
    readonly maxConnections: number;
    readonly maxPipelined: number;
    readonly frameTimeoutMs?: number;
    readonly maxConnectionsPerClient?: number;
  };
  /** The TCP limits in force, read at each accept (reloaded ones apply to new connections); default: `tcp`. */
  readonly tcpLimits?: () => TcpLimits;
  /** Whether a source may open a TCP connection (the access list in force). */
  readonly admit?: (address: string) => boolean;
  /** Told of each TCP connection the listener closes on its own. */
  readonly onTcpClosed?: (reason: TcpCloseReason, address: string) => void;
  /** Share the address with the other serving threads (SO_REUSEPORT). */
  readonly reusePort: boolean;
}

/** openListener binds `kind` on `address`; rejects with HradbaError('HRADBA_ERR_LISTEN') naming the listener. */
export async function openListener(kind: 'udp' | 'tcp', address: HostPort, opts: OpenListenerOptions): Promise<Listener> {
  const { handler, onError, reusePort } = opts;
  try {
    return kind === 'udp'
      ? await startUdpListener({ address, handler, onError, reusePort })
      : await startTcpListener({
          address,
          handler,
          onError,
          reusePort,
          ...opts.tcp,
          ...(opts.tcpLimits === undefined ? {} : { limits: opts.tcpLimits }),
          ...(opts.admit === undefined ? {} : { admit: opts.admit }),
          ...(opts.onTcpClosed === undefined ? {} : { onClosed: opts.onTcpClosed }),
        });
  } catch (err) {
    throw new HradbaError('HRADBA_ERR_LISTEN', describeListenError(listenerName(kind, address), err as NodeJS.ErrnoException), { cause: err });
  }
}
