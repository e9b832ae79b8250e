/** `hradba export rpz`: writes the active policy of a group as an RPZ zone file (stdout or --output). */
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import { normalizeDomain } from '../policy/domain-name.js';
import { compileGroupPolicy } from '../policy/group-policy.js';
import { TYPE } from '../dns/constants.js';
import { decideName } from '../decision/query-decision.js';
import { buildPolicyKeepingEntries } from '../policy/policy.js';
import { exportRpz, type RpzExportInput } from '../policy/rpz-export.js';
import { problemsOf } from '../server/server.js';
import { EXIT } from './exit-codes.js';

export interface ExportOptions {
  readonly config: string;
  readonly group?: string;
  readonly origin?: string;
  readonly output?: string;
}

/** exportCommand returns the exit code. */
export async function exportCommand(kind: string, opts: ExportOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (kind !== 'rpz') {
    err.write(`hradba: unknown export format '${kind}' (known: rpz)\n`);
    return EXIT.USAGE;
  }
  const origin = normalizeDomain(opts.origin ?? 'rpz.hradba');
  if (typeof origin !== 'string') {
    err.write(`hradba: --origin: ${origin.error}\n`);
    return EXIT.USAGE;
  }
  try {
    const config = await loadConfig(opts.config);
    // Built as the server would, so an export never carries a policy hradba itself would refuse; each list is
    // read once, its entries kept for the zone as they go into the policy.
    const { policy, entries } = await buildPolicyKeepingEntries(config.lists, config.maxBadLines, 1);
    const { groups, bypass } = compileGroupPolicy(config, policy);
    const group = opts.group === undefined || opts.group === groups.defaultGroup.name ? groups.defaultGroup : groups.groups.find((g) => g.name === opts.group);
    if (group === undefined) {
      err.write(`hradba: no group '${opts.group ?? ''}' in ${config.file} (groups: ${groups.groups.map((g) => g.name).join(', ') || 'only default'})\n`);
      return EXIT.USAGE;
    }
    const lists = policy.lists.map((l, i) => ({ info: l.info, loaded: { entries: entries[i] ?? [] } }));
    const nowMs = Date.now();
    const verdict: RpzExportInput['verdict'] = (name) => {
      // The server's own decision for an A query of the group (src/decision/).
      const v = decideName({ policy, bypass }, group, name, TYPE.A, nowMs);
      if (v.kind === 'block') return 'block';
      if (v.kind === 'bypass') return v.rule.answer === 'nodata' ? 'nodata' : 'block';
      return 'allow';
    };
    const text = exportRpz({ config, lists, group, nowMs, origin: `${origin}.`, verdict });
    if (opts.output === undefined) out.write(text);
    else await writeFile(opts.output, text);
    return EXIT.OK;
  } catch (e) {
    err.write(`hradba: cannot export ${opts.config}\n`);
    for (const line of problemsOf(e)) err.write(`  ${line}\n`);
    return EXIT.CONFIG;
  }
}
