/**
 * A DNSSEC-signed test tree for a real validator: a root and the `test.` TLD, signed with ldns (ldns-keygen,
 * ldns-signzone, NSEC), delegating zones that stay unsigned (a vendor's zone, as most are) and zones signed in
 * their turn (their DS in `test.`). It gives the zone texts NSD serves and the root's trust anchor in the
 * `trust-anchors` form delv reads with `-a`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './paths.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/** The address every name server of the tree has: nothing is sent there, the resolver is given NSD's port. */
const NS_ADDRESS = '127.0.0.1';

export interface SignedTree {
  /** Zone name ('.', 'test', and the unsigned zones) → zone file text, for startNsd. */
  readonly zones: Record<string, string>;
  /** A file body for `delv -a`: the root's key-signing key as a static trust anchor. */
  readonly trustAnchors: string;
}

export interface SignedTreeOptions {
  /** Unsigned zones delegated from `test.` (insecure delegations: no DS in the parent): name → zone text. */
  readonly unsigned: Readonly<Record<string, string>>;
  /** Signed zones delegated from `test.` (their DS in the parent): name → zone text. */
  readonly signed?: Readonly<Record<string, string>>;
  /** More records of the signed `test.` zone, e.g. 'www.test. 300 IN A 192.0.2.80'. */
  readonly tldRecords?: readonly string[];
}

const soa = (zone: string): string => `${zone} 300 IN SOA ns.test. hostmaster.test. 1 3600 900 604800 300`;

/** signZone makes a KSK and a ZSK for `origin`, signs `text` with them, and returns the signed text, the KSK's DS and DNSKEY. */
function signZone(dir: string, origin: string, text: string): { signed: string; ds: string; ksk: string } {
  const keygen = requireTool('ldns-keygen');
  const signer = requireTool('ldns-signzone');
  const run = (file: string, args: string[]): string => execFileSync(file, args, { cwd: dir, encoding: 'utf8', timeout: 20_000 }).trim();
  const ksk = run(keygen, ['-a', 'ECDSAP256SHA256', '-k', origin]);
  const zsk = run(keygen, ['-a', 'ECDSAP256SHA256', origin]);
  const file = `${origin === '.' ? 'root' : origin}.zone`;
  writeFileSync(join(dir, file), text);
  run(signer, ['-o', origin, file, ksk, zsk]);
  return {
    signed: readFileSync(join(dir, `${file}.signed`), 'utf8'),
    ds: readFileSync(join(dir, `${ksk}.ds`), 'utf8'),
    ksk: readFileSync(join(dir, `${ksk}.key`), 'utf8'),
  };
}

/** trustAnchorOf turns a DNSKEY line ('. IN DNSKEY 257 3 13 KEY ;{...}') into delv's trust-anchors clause. */
function trustAnchorOf(dnskey: string): string {
  const m = /^\.\s+(?:\d+\s+)?IN\s+DNSKEY\s+(\d+)\s+(\d+)\s+(\d+)\s+([A-Za-z0-9+/=]+)/m.exec(dnskey);
  if (m === null) throw new Error(`no root DNSKEY in:\n${dnskey}`);
  return `trust-anchors { . static-key ${m[1]} ${m[2]} ${m[3]} "${m[4]}"; };\n`;
}

/** signedTree builds and signs the tree in a temp dir (removed again) and returns its zones and trust anchor. */
export function signedTree(opts: SignedTreeOptions): SignedTree {
  const dir = makeTempDir('signed-tree');
  try {
    const children = { ...opts.unsigned, ...(opts.signed ?? {}) };
    const delegations = Object.keys(children).flatMap((zone) => {
      if (!zone.endsWith('.test')) throw new Error(`signedTree delegates only from test.: ${zone}`);
      return [`${zone}. 300 IN NS ns.test.`];
    });
    const signedChildren = Object.entries(opts.signed ?? {}).map(([zone, text]) => ({ zone, ...signZone(dir, zone, text) }));
    const tld = signZone(
      dir,
      'test',
      [soa('test.'), 'test. 300 IN NS ns.test.', `ns.test. 300 IN A ${NS_ADDRESS}`, ...(opts.tldRecords ?? []), ...delegations, ...signedChildren.map((c) => c.ds), ''].join('\n'),
    );
    const root = signZone(dir, '.', [soa('.'), '. 300 IN NS ns.test.', 'test. 300 IN NS ns.test.', `ns.test. 300 IN A ${NS_ADDRESS}`, tld.ds, ''].join('\n'));
    const signedZones = Object.fromEntries(signedChildren.map((c) => [c.zone, c.signed]));
    return { zones: { '.': root.signed, test: tld.signed, ...opts.unsigned, ...signedZones }, trustAnchors: trustAnchorOf(root.ksk) };
  } finally {
    removeTempDir(dir);
  }
}
