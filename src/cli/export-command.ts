/** `hradba export rpz`: writes the active policy of a group as an RPZ zone file (stdout or --output). */
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import { normalizeDomain } from '../policy/domain-name.js';
import { compileGroupPolicy } from '../policy/group-policy.js';
import { loadList } from '../policy/list-file.js';
import { buildPolicy } from '../policy/policy.js';
import { exportRpz, type RpzExportInput } from '../policy/rpz-export.js';
import { decide } from '../policy/verdict.js';
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
    // Built as the server would, so an export never carries a policy hradba itself would refuse.
    const policy = await buildPolicy(config.lists, config.maxBadLines, 1);
    const { groups, bypass } = compileGroupPolicy(config, policy);
    const group = opts.group === undefined || opts.group === groups.defaultGroup.name ? groups.defaultGroup : groups.groups.find((g) => g.name === opts.group);
    if (group === undefined) {
      err.write(`hradba: no group '${opts.group ?? ''}' in ${config.file} (groups: ${groups.groups.map((g) => g.name).join(', ') || 'only default'})\n`);
      return EXIT.USAGE;
    }
    const enabled = config.lists.filter((l) => l.enabled);
    // The policy's list summaries are in the order of the enabled entries; each carries the mode from its entry.
    const lists = await Promise.all(
      enabled.map(async (cfg, i) => {
        const loaded = await loadList(cfg, config.maxBadLines);
        return { info: policy.lists[i]?.info ?? loaded.info, loaded };
      }),
    );
    const nowMs = Date.now();
    const verdict: RpzExportInput['verdict'] = (name) => {
      const v = decide({ policy, bypass }, group, name, nowMs);
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
