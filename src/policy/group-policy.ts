/** Compiles the per-client part of the policy from a config: groups (checked against the loaded lists) and anti-bypass signals. */
import type { Config } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { compileAntiBypass, type BypassRule } from './anti-bypass.js';
import { compileClientGroups, type ClientGroups } from './client-groups.js';
import type { DomainTrie } from './domain-trie.js';
import type { Policy } from './policy.js';

/** compileGroupPolicy builds groups and signals; HRADBA_ERR_CONFIG when a group names a list that is not enforced. */
export function compileGroupPolicy(
  config: Pick<Config, 'file' | 'clients' | 'groups' | 'antiBypass'>,
  policy: Policy,
): { groups: ClientGroups; bypass: DomainTrie<BypassRule> } {
  const ids = new Set(policy.lists.map((l) => l.info.id));
  const problems: string[] = [];
  config.groups.forEach((g, i) => {
    for (const id of g.lists ?? []) {
      // A group naming a list that is not loaded would quietly enforce less than the operator wrote.
      if (!ids.has(id)) problems.push(`groups[${i}].lists: '${id}' is not an enabled list (enabled: ${[...ids].join(', ') || 'none'})`);
    }
  });
  if (problems.length > 0) {
    throw new HradbaError('HRADBA_ERR_CONFIG', problems.join('; '), {
      problems: problems.map((message) => ({ file: config.file, line: 0, message })),
    });
  }
  return { groups: compileClientGroups(config), bypass: compileAntiBypass(config.antiBypass) };
}
