/** Command-line overrides (--listen, --upstream, --admin) laid over a loaded Config, giving a new frozen Config. */
import { HradbaError } from '../errors.js';
import { deepFreeze } from './deep-freeze.js';
import { formatHostPort, hostPortOrError } from './host-port.js';
import { DNS_PORT } from './schema.js';
import { upstreamOrError } from '../upstream/upstream-url.js';
import type { Config, HostPort, Upstream } from './types.js';

export { parseHostPort } from './host-port.js';

/** Values given on the command line; an absent or empty list leaves the config's value. */
export interface Overrides {
  readonly listen?: readonly string[] | undefined;
  readonly upstream?: readonly string[] | undefined;
  /** --admin ADDR:PORT: turns the admin endpoint on at that address. */
  readonly admin?: string | undefined;
}

function parseAll(option: string, texts: readonly string[]): HostPort[] {
  const seen = new Set<string>();
  return texts.map((text) => {
    const hp = hostPortOrError(text, DNS_PORT);
    if ('error' in hp) throw new HradbaError('HRADBA_ERR_USAGE', `${option} '${text}': ${hp.error}`);
    const key = formatHostPort(hp);
    if (seen.has(key)) throw new HradbaError('HRADBA_ERR_USAGE', `${option} '${text}': ${key} is given twice`);
    seen.add(key);
    return hp;
  });
}

function parseUpstreams(texts: readonly string[]): Upstream[] {
  const seen = new Set<string>();
  return texts.map((text) => {
    const u = upstreamOrError(text);
    if ('error' in u) throw new HradbaError('HRADBA_ERR_USAGE', `--upstream '${text}': ${u.error}`);
    if (seen.has(u.url)) throw new HradbaError('HRADBA_ERR_USAGE', `--upstream '${text}': ${u.url} is given twice`);
    seen.add(u.url);
    return u;
  });
}

/** Returns cfg with listen/upstreams replaced by the given addresses (port 53 when omitted); throws HRADBA_ERR_USAGE on bad input. */
export function applyOverrides(cfg: Config, o: Overrides): Config {
  const listen = o.listen !== undefined && o.listen.length > 0 ? parseAll('--listen', o.listen) : cfg.listen;
  const upstreams = o.upstream !== undefined && o.upstream.length > 0 ? parseUpstreams(o.upstream) : cfg.upstreams;
  let admin = cfg.admin;
  if (o.admin !== undefined) {
    const hp = hostPortOrError(o.admin, 0);
    if ('error' in hp) throw new HradbaError('HRADBA_ERR_USAGE', `--admin '${o.admin}': ${hp.error}`);
    if (hp.port === 0) throw new HradbaError('HRADBA_ERR_USAGE', `--admin '${o.admin}': needs a port, e.g. 127.0.0.1:9153`);
    admin = { enabled: true, listen: hp };
  }
  if (listen === cfg.listen && upstreams === cfg.upstreams && admin === cfg.admin) return cfg;
  return deepFreeze({ ...cfg, listen, upstreams, admin });
}
