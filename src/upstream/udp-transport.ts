/** Plain DNS over UDP to one upstream, through the forwarder: random source port and ID, strict reply matching, TCP after truncation. */
import type { Upstream } from '../config/types.js';
import type { Transport, TransportExchange } from './transport.js';
import type { UdpForwarder } from './types.js';

/**
 * Creates the transport for a udp:// (or bare address) upstream, the `index`-th upstream of `forwarder`. The UDP
 * upstreams of a pool share one forwarder and so one set of randomly bound sockets; the forwarder resends to the
 * same upstream after each attempt timeout until the exchange's deadline.
 */
export function createUdpTransport(upstream: Upstream, forwarder: UdpForwarder, index: number): Transport {
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
      const ex = forwarder.exchangeWith(index, query, questionEnd, deadlineMs);
      const promise = ex.promise.then((result) => {
        inFlight--;
        return result.ok ? result.answer : null;
      });
      return { promise, cancel: ex.cancel };
    },
    // The shared forwarder is closed by the pool.
    close: () => Promise.resolve(),
  };
}
