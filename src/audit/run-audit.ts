/**
 * Runs the footprint audit as the command does: the config's policy in force (default client group), the
 * enabled vendors' list names and vendor data, tracker lists attributed to a vendor, then every input file.
 */
import type { Config } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { compileGroupPolicy } from '../policy/group-policy.js';
import { loadList } from '../policy/list-file.js';
import { buildPolicy, type Policy } from '../policy/policy.js';
import { decide } from '../policy/verdict.js';
import { FootprintAudit, type PolicyView } from './footprint-audit.js';
import { FootprintMatcher, type ListedName } from './footprint-matcher.js';
import { readNames, type SourceStats } from './name-source.js';
import type { VendorFootprint } from './vendor-footprint.js';

/** A tracker list and the vendor it attributes its names to (`--tracker tiktok=native.tiktok.txt`). */
export interface TrackerSource {
  readonly vendor: string;
  readonly file: string;
}

export interface AuditInput {
  readonly config: Config;
  readonly footprints: ReadonlyMap<string, VendorFootprint>;
  readonly files: readonly string[];
  readonly trackers: readonly TrackerSource[];
}

export interface AuditResult {
  readonly audit: FootprintAudit;
  /** Vendors of the enforced lists, in config order. */
  readonly vendors: readonly string[];
  /** The enforced lists' ids. */
  readonly lists: readonly string[];
  readonly sources: readonly SourceStats[];
  /** Things the operator should know that did not stop the audit (a list that is not enforced and fails to load). */
  readonly warnings: readonly string[];
}

/** policyView answers blocked/not-enforced from the enforced policy and, apart, the lists the config leaves off. */
async function policyView(config: Config, policy: Policy, warnings: string[]): Promise<PolicyView> {
  const compiled = compileGroupPolicy(config, policy);
  const group = compiled.groups.defaultGroup;
  const now = Date.now();
  const off = config.lists.filter((l) => !l.enabled).map((l) => ({ ...l, enabled: true }));
  let offPolicy: Policy | undefined;
  if (off.length > 0) {
    try {
      offPolicy = await buildPolicy(off, config.maxBadLines, 1);
    } catch (err) {
      warnings.push(`the lists the config does not enforce could not be read, so none counts as a decision: ${(err as Error).message}`);
    }
  }
  return {
    blocked(name) {
      const v = decide({ policy, bypass: compiled.bypass }, group, name, now);
      if (v.kind === 'block') return { entry: `${v.entry.exact ? '=' : ''}${v.entry.domain}`, list: v.entry.list.id };
      if (v.kind === 'bypass') return { entry: v.rule.domain, list: `antiBypass.${v.rule.key}` };
      return undefined;
    },
    notEnforced(name) {
      const e = offPolicy?.match(name);
      return e === undefined ? undefined : { entry: `${e.exact ? '=' : ''}${e.domain}`, list: e.list.id };
    },
  };
}

/** runAudit loads what the audit needs and reads every file; throws HradbaError for a bad list, vendor or file. */
export async function runAudit(input: AuditInput): Promise<AuditResult> {
  const { config, footprints } = input;
  const warnings: string[] = [];
  const policy = await buildPolicy(config.lists, config.maxBadLines, 1);
  const vendors = [...new Set(policy.lists.map((l) => l.info.vendor))];
  const listed: ListedName[] = [];
  for (const cfg of config.lists.filter((l) => l.enabled)) {
    const list = await loadList(cfg, config.maxBadLines);
    for (const e of list.entries) if (e.allow !== true) listed.push({ vendor: list.info.vendor, list: list.info.id, domain: e.domain });
  }
  const keywords = vendors.flatMap((vendor) => (footprints.get(vendor)?.keywords ?? []).map((keyword) => ({ vendor, keyword })));

  const sources: SourceStats[] = [];
  const trackedNames: string[] = [];
  const tracked: { vendor: string; tracker: string; name: string }[] = [];
  for (const t of input.trackers) {
    if (!vendors.includes(t.vendor)) {
      throw new HradbaError('HRADBA_ERR_USAGE', `--tracker ${t.vendor}=${t.file}: vendor '${t.vendor}' has no enforced list (enforced vendors: ${vendors.join(', ') || 'none'})`);
    }
    sources.push(
      await readFile(t.file, (name) => {
        tracked.push({ vendor: t.vendor, tracker: t.file, name });
        trackedNames.push(name);
      }),
    );
  }
  const matcher = new FootprintMatcher({ listed, keywords, tracked });
  const audit = new FootprintAudit(matcher, await policyView(config, policy, warnings), footprints);
  for (const name of trackedNames) audit.add(name);
  for (const file of input.files) sources.push(await readFile(file, (name) => audit.add(name)));
  return { audit, vendors, lists: policy.lists.map((l) => l.info.id), sources, warnings };
}

/** readFile reads one input, turning a read error into a usage error that names the file. */
async function readFile(file: string, onName: (name: string) => void): Promise<SourceStats> {
  try {
    return await readNames(file, onName);
  } catch (err) {
    throw new HradbaError('HRADBA_ERR_USAGE', `${file}: cannot read: ${(err as Error).message}`);
  }
}
