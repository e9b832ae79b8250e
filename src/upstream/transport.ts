/** What the upstream pool needs of one upstream, whatever its transport: send a query, get the matching reply or null. */
import type { Upstream } from '../config/types.js';

/** One query sent to one upstream; cancel() drops it and settles the promise with null. */
export interface TransportExchange {
  readonly promise: Promise<Buffer | null>;
  cancel(): void;
}

/** One upstream behind one transport (UDP, TCP, TLS or HTTPS). */
export interface Transport {
  readonly upstream: Upstream;
  /** Exchanges not yet settled. */
  readonly inFlight: number;
  /** The last connection or TLS error (e.g. a certificate for another name), for the log; null when none. */
  readonly lastError: string | null;
  /**
   * Sends `query` (its ID is replaced; msg.subarray(12, questionEnd) is its question) and resolves with a reply that
   * answers it (ID where the transport uses one, QR, the same question), or null on failure or after `deadlineMs`.
   * Never rejects.
   */
  exchange(query: Buffer, questionEnd: number, deadlineMs: number): TransportExchange;
  close(): Promise<void>;
}

/** TLS settings shared by the DoT and DoH transports. */
export interface TlsOptions {
  /** Extra trusted CA certificates (PEM); the system's CAs (and NODE_EXTRA_CA_CERTS) are used otherwise. */
  readonly ca?: string | Buffer | undefined;
}
