/** An upstream resolved once into the exact form replies are checked against: canonical address, port and family. */
import { isIP, SocketAddress } from 'node:net';
import type { HostPort } from '../config/types.js';
import { HradbaError } from '../errors.js';

/** A configured upstream with its address in the canonical text form that dgram reports as a reply's source. */
export interface UpstreamTarget {
  /** Position in the configured list (the failover order). */
  readonly index: number;
  /** The HostPort as configured, reported back in results. */
  readonly hostPort: HostPort;
  /** Canonical IP text: '::1' for '0:0::1', '127.0.0.1' for '::ffff:127.0.0.1' (sent from the IPv4 pool). */
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/;

/** Turns a configured upstream into a target; throws HRADBA_ERR_CONFIG for a host that is not an IP literal. */
export function toUpstreamTarget(hp: HostPort, index: number): UpstreamTarget {
  const family = isIP(hp.host);
  if (family === 0 || !Number.isInteger(hp.port) || hp.port < 1 || hp.port > 65535) {
    throw new HradbaError('HRADBA_ERR_CONFIG', `upstream ${hp.host}:${hp.port}: need an IP address and a port 1-65535`);
  }
  if (family === 4) return { index, hostPort: hp, address: hp.host, port: hp.port, family: 4 };
  // Replies are matched on the source address text, so the configured spelling must equal what the kernel reports.
  const canonical = new SocketAddress({ address: hp.host, family: 'ipv6' }).address;
  const mapped = MAPPED_V4.exec(canonical);
  if (mapped !== null && isIP(mapped[1]!) === 4) {
    return { index, hostPort: hp, address: mapped[1]!, port: hp.port, family: 4 };
  }
  return { index, hostPort: hp, address: canonical, port: hp.port, family: 6 };
}
