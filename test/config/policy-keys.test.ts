/** Config keys of the group policy: clients, groups, exceptions, antiBypass, inspection, shrinkGuard and list entry keys, each rule with its line. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { formatLocated, HradbaError } from '../../src/errors.js';

const FILE = '/cfg/hradba.yaml';
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
const at = (line: number, message: string): string => `${FILE}:${line}: ${message}`;

function problems(text: string): string[] {
  try {
    parseConfig(text, FILE);
    return [];
  } catch (err) {
    if (!(err instanceof HradbaError)) throw err;
    return err.problems.map(formatLocated);
  }
}

describe('policy config keys: problems', () => {
  it.each<[string, string, string[]]>([
    ['shrinkGuard above 100', yaml('shrinkGuard: 150'), [at(1, 'shrinkGuard: must be from 0 to 100 (got 150)')]],
    ['client without address', yaml('clients:', '  - name: x'), [at(2, 'clients[0].address: required')]],
    ['client with a bad network', yaml('clients:', '  - name: x', '    address: 10.0.0.0/40'), [at(3, "clients[0].address: '10.0.0.0/40': the prefix length must be 0 to 32 for an IPv4 network")]],
    ['group without clients', yaml('groups:', '  - name: sec'), [at(2, 'groups[0].clients: required: the networks or addresses of the members')]],
    ['default group with clients', yaml('groups:', '  - name: default', '    clients: [10.0.0.0/8]'), [at(3, "groups[0].clients: the 'default' group takes every client no other group has; it lists none")]],
    ['two groups with one name', yaml('groups:', '  - { name: a, clients: [10.0.0.1] }', '  - { name: a, clients: [10.0.0.2] }'), [at(3, 'groups[1].name: same name as groups[0]')]],
    [
      'exception without a reason',
      yaml('groups:', '  - name: a', '    clients: [10.0.0.1]', '    exceptions:', '      - domain: deepseek.com'),
      [at(5, 'groups[0].exceptions[0].reason: required (an exception must say why)')],
    ],
    [
      'exception with a bad expiry',
      yaml('groups:', '  - name: a', '    clients: [10.0.0.1]', '    exceptions:', '      - { domain: deepseek.com, reason: r, expires: next week }'),
      [at(5, "groups[0].exceptions[0].expires: must be an ISO time such as '2026-12-31T23:59:59Z' or a date '2026-12-31' (got 'next week')")],
    ],
    [
      'exception with a bad domain',
      yaml('groups:', '  - name: a', '    clients: [10.0.0.1]', '    exceptions:', '      - { domain: "bad domain", reason: r }'),
      [at(5, "groups[0].exceptions[0].domain: not a domain name: 'bad domain' (character space not allowed)")],
    ],
    ['unknown antiBypass key', yaml('antiBypass:', '  doh: false'), [at(2, "antiBypass.doh: unknown key 'doh' (known: firefoxCanary, icloudPrivateRelay, ddr, dohProviders)")]],
    ['inspection.cname not a boolean', yaml('inspection:', '  cname: yes please'), [at(2, "inspection.cname: must be true or false (got 'yes please')")]],
    ['list mode unknown', yaml('lists:', '  - file: a.list', '    mode: dry-run'), [at(3, "lists[0].mode: must be one of enforce, log-only (got 'dry-run')")]],
    ['list review not a date', yaml('lists:', '  - file: a.list', '    review: soon'), [at(3, "lists[0].review: must be an ISO date such as '2026-06-30' (got 'soon')")]],
    ['adblock list without provenance', yaml('lists:', '  - file: a.txt', '    format: adblock'), [
      at(2, 'lists[0].id: required for a adblock list (the file itself carries no metadata)'),
      at(2, 'lists[0].vendor: required for a adblock list (the file itself carries no metadata)'),
      at(2, 'lists[0].basis: required for a adblock list (the file itself carries no metadata)'),
    ]],
  ])('%s', (_name, text, want) => {
    expect(problems(text)).toEqual(want);
  });
});

describe('policy config keys: values', () => {
  it('reads groups, clients, exceptions and switches', () => {
    const cfg = parseConfig(
      yaml(
        'shrinkGuard: 20',
        'clients: [{ name: soc, address: 10.1.2.3 }]',
        'groups:',
        '  - name: security',
        '    clients: [10.1.0.0/16]',
        '    lists: [deepseek]',
        '    exceptions:',
        '      - { domain: DeepSeek.com., reason: testing, expires: "2026-12-31" }',
        '  - name: default',
        'antiBypass: { ddr: false, dohProviders: false }',
        'inspection: { cname: false }',
        'lists:',
        '  - { file: /l/a.list, mandatory: true, mode: log-only, review: "2026-06-30" }',
      ),
      FILE,
    );
    expect(cfg.shrinkGuard).toBe(20);
    expect(cfg.clients).toEqual([{ name: 'soc', address: '10.1.2.3' }]);
    expect(cfg.groups).toEqual([
      { name: 'security', clients: ['10.1.0.0/16'], lists: ['deepseek'], exceptions: [{ domain: 'deepseek.com', reason: 'testing', expires: '2026-12-31' }] },
      { name: 'default', clients: [], lists: null, exceptions: [] },
    ]);
    expect(cfg.antiBypass).toEqual({ firefoxCanary: true, icloudPrivateRelay: true, ddr: false, dohProviders: false });
    expect(cfg.inspection).toEqual({ cname: false });
    expect(cfg.lists[0]).toEqual({ file: '/l/a.list', enabled: true, mandatory: true, mode: 'log-only', review: '2026-06-30' });
  });
});
