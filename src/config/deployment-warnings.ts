/**
 * Warnings about what clients will do with a valid config: a setting that the stubs on agency machines turn into
 * something else than a block. `hradba check` prints them and `serve` logs them at start, so an operator learns
 * it before a user does. They warn, never refuse: each has a deployment where it is what the agency wants.
 */
import type { Config } from './types.js';

/** One warning: the config key it is about and what happens. */
export interface DeploymentWarning {
  readonly key: string;
  readonly message: string;
}

/** deploymentWarnings lists the warnings for a config, in the order of the config's keys. */
export function deploymentWarnings(config: Config): DeploymentWarning[] {
  const out: DeploymentWarning[] = [];
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
  return out;
}
