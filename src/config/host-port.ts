/** Address text for listen and upstream entries: IP literals only, with an optional port; IPv6 takes brackets when a port follows. */
import { isIP } from 'node:net';
import { HradbaError } from '../errors.js';
import type { HostPort } from './types.js';

const BRACKETED = /^\[([^\]]*)\](?::([^:]*))?$/;
const PORT = /^\d{1,5}$/;

function portOrError(text: string): number | { error: string } {
  const port = PORT.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) return { error: `port '${text}' must be a number from 1 to 65535` };
  return port;
}

function notAnIp(host: string): { error: string } {
  // Names are refused on purpose: resolving them would need the very DNS this server provides.
  return { error: `'${host}' is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]; names are not resolved)` };
}

/** Parses 'a.b.c.d[:port]', '[v6]:port', '[v6]' or a bare IPv6 address; returns the address or what is wrong with it. */
export function hostPortOrError(text: string, defaultPort: number): HostPort | { error: string } {
  if (text === '') return { error: 'empty address' };
  if (text.startsWith('[')) {
    const m = BRACKETED.exec(text);
    if (m === null) return { error: `'${text}' is malformed: write an IPv6 address with a port as '[::1]:5353'` };
    const host = m[1] ?? '';
    if (isIP(host) !== 6) return { error: `'${host}' in brackets is not an IPv6 address` };
    if (m[2] === undefined) return { host, port: defaultPort };
    const port = portOrError(m[2]);
    return typeof port === 'number' ? { host, port } : port;
  }
  // A bare IPv6 address has no port: '::1:5353' is itself an address, so a port needs the brackets.
  if (isIP(text) === 6) return { host: text, port: defaultPort };
  const colons = text.split(':').length - 1;
  if (colons === 0) return isIP(text) === 4 ? { host: text, port: defaultPort } : notAnIp(text);
  if (colons > 1) {
    return { error: `'${text}' is not an IP address (an IPv6 address with a port needs brackets, e.g. '[::1]:5353')` };
  }
  const [host = '', portText = ''] = text.split(':');
  if (isIP(host) !== 4) return notAnIp(host);
  const port = portOrError(portText);
  return typeof port === 'number' ? { host, port } : port;
}

/** Parses an address for --listen/--upstream; throws HRADBA_ERR_USAGE with the reason for bad input. */
export function parseHostPort(text: string, defaultPort: number): HostPort {
  const r = hostPortOrError(text, defaultPort);
  if ('error' in r) throw new HradbaError('HRADBA_ERR_USAGE', r.error);
  return r;
}

/** Formats an address the way it is written in config: '192.0.2.1:53', '[::1]:5353'. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
