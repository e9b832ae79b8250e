/** `hradba audit`: lists the names of the given files that the policy in force allows but that look like an enabled vendor's. */
import { formatJson, formatText } from '../audit/audit-output.js';
import { runAudit, type TrackerSource } from '../audit/run-audit.js';
import { loadVendorFootprints, SHIPPED_VENDOR_DATA } from '../audit/vendor-footprint.js';
import { loadConfig } from '../config/load.js';
import { HradbaError } from '../errors.js';
import { problemsOf } from '../server/server.js';
import { EXIT } from './exit-codes.js';

export interface AuditOptions {
  readonly config: string;
  readonly vendors?: string;
  readonly tracker?: readonly string[];
  readonly json?: boolean;
  readonly undecided?: boolean;
}

/** The command's help after the options: what counts as a hit, the inputs it reads, the exit codes. */
export const AUDIT_HELP = `
A name is a hit when the policy in force (the config's enforced lists, default client group) allows it and
it looks like the name of an enabled vendor (a vendor with an enforced list):
  twin     the same registrable label as a listed name under another public suffix (Public Suffix List):
           tiktokcdn-eu.net while tiktokcdn-eu.com is listed
  keyword  one of its labels holds a keyword or brand of the vendor (footprint.keywords in the vendor data)
  tracker  a tracker list given with --tracker VENDOR=FILE names it (or a name above it)
Each hit is decided or not: excluded by the vendor data (footprint.exclude with a reason, do_not_block),
or listed in a list the config names but does not enforce (an optional -extended tier); else UNDECIDED.
Decide a hit in blocklists/vendors.yaml (footprint.block to list it, footprint.exclude with a reason) and
regenerate the lists with scripts/gen-blocklists.mjs.

Input files ('-' is standard input; gzip is read as such): one name a line, hosts files ('0.0.0.0 name'),
adblock rules ('||name^'), ranking CSVs (Tranco 'rank,name', Cloudflare Radar 'domain'). '#' starts a comment.
A header line is skipped; other lines without a name are counted, and the first five shown on stderr.

Exit codes: 0 no undecided hit, 1 undecided hits, 2 usage or an unreadable file, 78 invalid config, list or
vendor data.

Example: hradba audit --tracker tiktok=native.tiktok.txt tranco-top-1m.csv forwarded-names.txt`;

/** parseTracker reads 'vendor=file'. */
function parseTracker(spec: string): TrackerSource {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new HradbaError('HRADBA_ERR_USAGE', `--tracker '${spec}': expected VENDOR=FILE, e.g. tiktok=native.tiktok.txt`);
  return { vendor: spec.slice(0, eq), file: spec.slice(eq + 1) };
}

/** audit runs the footprint audit over the files and prints it; returns the exit code. */
export async function audit(
  files: readonly string[],
  opts: AuditOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  let trackers: TrackerSource[];
  try {
    trackers = (opts.tracker ?? []).map(parseTracker);
  } catch (e) {
    err.write(`hradba audit: ${(e as Error).message}\n`);
    return EXIT.USAGE;
  }
  if (files.length === 0 && trackers.length === 0) {
    err.write('hradba audit: name at least one FILE (or a --tracker list); see hradba audit --help\n');
    return EXIT.USAGE;
  }
  let config;
  let footprints;
  try {
    config = await loadConfig(opts.config);
    footprints = await loadVendorFootprints(opts.vendors ?? SHIPPED_VENDOR_DATA);
  } catch (e) {
    err.write(`hradba audit: cannot load ${opts.config} or the vendor data\n`);
    for (const line of problemsOf(e)) err.write(`  ${line}\n`);
    return EXIT.CONFIG;
  }
  let result;
  try {
    result = await runAudit({ config, footprints, files, trackers });
  } catch (e) {
    const usage = e instanceof HradbaError && e.code === 'HRADBA_ERR_USAGE';
    err.write(`hradba audit: ${usage ? (e as Error).message : 'cannot load the policy'}\n`);
    if (!usage) for (const line of problemsOf(e)) err.write(`  ${line}\n`);
    return usage ? EXIT.USAGE : EXIT.CONFIG;
  }
  for (const s of result.sources) {
    if (s.unreadable === 0) continue;
    err.write(`warning: ${s.file}: ${s.unreadable} line(s) hold no name, skipped; the first ${s.samples.length}:\n`);
    for (const line of s.samples) err.write(`  ${line}\n`);
  }
  for (const w of result.warnings) err.write(`warning: ${w}\n`);
  const o = { undecidedOnly: opts.undecided === true };
  out.write(opts.json === true ? formatJson(result, o) : formatText(result, o));
  return result.audit.counts.undecided > 0 ? EXIT.FAILURE : EXIT.OK;
}
