/**
 * The upstream syntax: `ip[:port]` or `udp://ip[:port]` (UDP, TCP after truncation), `tcp://ip[:port]`,
 * `tls://name@ip[:port]` (DNS over TLS, port 853) and `https://name@ip[:port]/path` (DNS over HTTPS, port 443),
 * with an optional `#pin=BASE64` (SHA-256 of the certificate's public key) on tls and https. The address is always
 * an IP literal: hradba must reach its upstreams without the DNS it provides; the name is only checked against the
 * certificate.
 */
import { formatHostPort, hostPortOrError } from '../config/host-port.js';
import type { Upstream, UpstreamTransport } from '../config/types.js';

const DEFAULT_PORTS: Record<UpstreamTransport, number> = { udp: 53, tcp: 53, tls: 853, https: 443 };
const SCHEME = /^([a-z]+):\/\/(.*)$/i;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
/** base64 of 32 bytes. */
const PIN = /^[A-Za-z0-9+/]{43}=$/;

/** The canonical spelling of an upstream: what logs and results show, and what duplicates are found by. */
export function formatUpstream(u: Omit<Upstream, 'url'>): string {
  const hp = formatHostPort(u);
  const name = u.tlsName === null ? '' : `${u.tlsName}@`;
  const pin = u.spkiPin === null ? '' : `#pin=${u.spkiPin}`;
  return `${u.transport}://${name}${hp}${u.path ?? ''}${pin}`;
}

/** Parses one upstream; returns it or what is wrong with it. */
export function upstreamOrError(text: string): Upstream | { error: string } {
  const m = SCHEME.exec(text);
  if (m === null) {
    // A bare address: plain DNS over UDP, as before URLs were accepted.
    const hp = hostPortOrError(text, DEFAULT_PORTS.udp);
    if ('error' in hp) return hp;
    return finish({ ...hp, transport: 'udp', tlsName: null, path: null, spkiPin: null });
  }
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'udp' && scheme !== 'tcp' && scheme !== 'tls' && scheme !== 'https') {
    return { error: `'${text}': unknown scheme '${scheme}' (use udp://, tcp://, tls:// or https://)` };
  }
  const transport: UpstreamTransport = scheme;
  let rest = m[2]!;
  let spkiPin: string | null = null;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
    if (transport !== 'tls' && transport !== 'https') return { error: `'${text}': a pin is only for tls:// and https://` };
    if (!fragment.startsWith('pin=') || !PIN.test(fragment.slice(4))) {
      return { error: `'${text}': write the pin as '#pin=' and the base64 SHA-256 of the public key (44 characters)` };
    }
    spkiPin = fragment.slice(4);
  }
  let path: string | null = null;
  if (transport === 'https') {
    const slash = rest.indexOf('/');
    path = slash < 0 ? '/dns-query' : rest.slice(slash);
    if (slash >= 0) rest = rest.slice(0, slash);
    if (!/^\/[\x21-\x7e]*$/.test(path)) return { error: `'${text}': the path must be plain printable ASCII` };
  } else if (rest.includes('/')) {
    return { error: `'${text}': only https:// upstreams take a path` };
  }
  let tlsName: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    tlsName = rest.slice(0, at).toLowerCase();
    rest = rest.slice(at + 1);
    if (transport !== 'tls' && transport !== 'https') return { error: `'${text}': a name@ is only for tls:// and https://` };
    if (!HOSTNAME.test(tlsName)) return { error: `'${text}': '${tlsName}' is not a valid host name for the certificate check` };
  } else if (transport === 'tls' || transport === 'https') {
    // Without a name there is nothing to check the certificate against: that would be encryption without authentication.
    const example = transport === 'tls' ? 'tls://dns.example@192.0.2.1' : 'https://dns.example@192.0.2.1/dns-query';
    return { error: `'${text}': needs the server's certificate name and its address, e.g. '${example}' (names are not resolved)` };
  }
  const hp = hostPortOrError(rest, DEFAULT_PORTS[transport]);
  if ('error' in hp) return { error: `'${text}': ${hp.error}` };
  return finish({ ...hp, transport, tlsName, path, spkiPin });
}

function finish(u: Omit<Upstream, 'url'>): Upstream {
  return { ...u, url: formatUpstream(u) };
}
