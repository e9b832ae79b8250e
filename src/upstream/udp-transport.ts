/** Plain DNS over UDP to one upstream, through the forwarder: random source port and ID, strict reply matching, TCP after truncation. */
import type { Upstream } from '../config/types.js';
import { createForwarder } from './forwarder.js';
import type { Transport, TransportExchange } from './transport.js';

export interface UdpTransportOptions {
  /** Resend to the same upstream when this passes without a reply, until the exchange's deadline. */
  readonly retransmitMs: number;
  readonly socketPool: number;
}

/** Creates the transport for a udp:// (or bare address) upstream. */
export function createUdpTransport(upstream: Upstream, opts: UdpTransportOptions): Transport {
  // A one-upstream forwarder: its failover loop becomes a retransmission to the same server.
  const forwarder = createForwarder({
    upstreams: [upstream],
    attemptTimeoutMs: opts.retransmitMs,
    deadlineMs: Math.max(opts.retransmitMs, 1),
    socketPool: opts.socketPool,
  });
  let inFlight = 0;
  return {
    upstream,
    get inFlight() {
      return inFlight;
    },
    // UDP has no connection to fail: a missing reply is all there is to tell.
    lastError: null,
    exchange(query: Buffer, questionEnd: number, deadlineMs: number): TransportExchange {
      inFlight++;
      const ex = forwarder.exchange(query, questionEnd, deadlineMs);
      const promise = ex.promise.then((result) => {
        inFlight--;
        return result.ok ? result.answer : null;
      });
      return { promise, cancel: ex.cancel };
    },
    close: () => forwarder.close(),
  };
}
