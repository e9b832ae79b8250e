/**
 * Warnings about what clients will do with a valid config: a setting that the stubs on agency machines turn into
 * something else than a block. `hradba check` prints them and `serve` logs them at start, so an operator learns
 * it before a user does. They warn, never refuse: each has a deployment where it is what the agency wants.
 */
import { everyClientRules } from '../access/acl.js';
import { parseCidr } from '../access/cidr.js';
import type { Config, HostPort } from './types.js';

/** One warning: the config key it is about and what happens. */
export interface DeploymentWarning {
  readonly key: string;
  readonly message: string;
}

/** isLoopbackHost says whether an IP literal is a loopback address (127.0.0.0/8, ::1, or 127.x mapped into IPv6). */
function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h.startsWith('127.') || h.startsWith('::ffff:127.') || h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/** isLoopbackRule says whether an access rule admits loopback clients only. */
function isLoopbackRule(rule: string): boolean {
  const c = parseCidr(rule);
  if ('error' in c) return false;
  return c.family === 'ipv4' ? c.address.startsWith('127.') && c.prefix >= 8 : isLoopbackHost(c.address) && c.prefix === 128;
}

const spell = (a: HostPort): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/** deploymentWarnings lists the warnings for a config, in the order of the config's keys. */
export function deploymentWarnings(config: Config): DeploymentWarning[] {
  const out: DeploymentWarning[] = [];
  const outside = config.access.allow.filter((r) => !isLoopbackRule(r));
  if (config.listen.length > 0 && config.listen.every((a) => isLoopbackHost(a.host)) && outside.length > 0) {
    out.push({
      key: 'listen',
      message:
        `every listen address is loopback (${config.listen.map(spell).join(', ')}) while access.allow admits other networks ` +
        `(${outside.join(', ')}): no other machine can reach hradba, so their lookups go to whatever other resolver they have; ` +
        "listen on the address the agency's clients are given",
    });
  }
  const off53 = config.listen.filter((a) => !isLoopbackHost(a.host) && a.port !== 53);
  if (off53.length > 0) {
    out.push({
      key: 'listen',
      message:
        `${off53.map(spell).join(', ')} is not port 53: resolv.conf, DHCP and router advertisements name an address only, so ` +
        'stubs ask port 53 and never reach hradba there; listen on port 53 (or forward 53 to it)',
    });
  }
  // A rule admitting a whole address family makes an open resolver of any listener the internet can reach.
  for (const { rule, family } of everyClientRules(config.access.allow)) {
    out.push({
      key: 'access.allow',
      message:
        `access.allow '${rule}' admits every ${family === 'ipv4' ? 'IPv4' : 'IPv6'} client: an open resolver if the listener ` +
        "is reachable from the internet; list the agency's own networks instead",
    });
  }
  if (config.sinkhole.mode === 'refused') {
    out.push({
      key: 'sinkhole.mode',
      message:
        "sinkhole.mode 'refused' sends clients to their next nameserver: glibc, curl and musl ask it on REFUSED, so a client " +
        'with a second, non-filtering resolver reaches the banned vendor (the log counts those lines as REFUSED, a referral, not a block); ' +
        'use nxdomain or nodata unless hradba is every client\'s only way out',
    });
  }
  if (config.sinkhole.mode === 'null') {
    out.push({
      key: 'sinkhole.mode',
      message:
        "sinkhole.mode 'null' points clients at their own host: 0.0.0.0 and :: mean \"this host\" on Linux, so a client connects " +
        'to whatever listens on its own machine (a local web server answers the banned name); use nxdomain, or ip with a block page',
    });
  }
  const bypassOff = (['firefoxCanary', 'dohProviders'] as const).filter((k) => !config.antiBypass[k]);
  if (bypassOff.length > 0) {
    out.push({
      key: 'antiBypass',
      message:
        `${bypassOff.map((k) => `antiBypass.${k}`).join(' and ')} off: browsers and apps with their own DNS over HTTPS resolver ` +
        'go around hradba on port 443, which no port-53 firewall rule stops',
    });
  }
  return out;
}

/** newDeploymentWarnings gives the warnings of `next` that `running` did not have: a reload names what it brought in. */
export function newDeploymentWarnings(next: Config, running: Config): DeploymentWarning[] {
  const before = new Set(deploymentWarnings(running).map((w) => w.message));
  return deploymentWarnings(next).filter((w) => !before.has(w.message));
}
