/**
 * Hosts files (`0.0.0.0 name [name...]`). A block list maps names to a null or loopback address; a line that
 * maps a name to a routable address is a hosts mapping (`192.168.1.10 nas.example.lan`), not a ban, and is
 * skipped with a warning unless the list says `hostsMappings: block`. An address in the name column
 * (`0.0.0.0 54.222.186.106`) cannot be blocked by name and is reported.
 */
import { isIP } from 'node:net';
import { normalizeDomain } from '../domain-name.js';
import { LineCursor, type ReaderContext } from './line-cursor.js';

/** Host names every hosts file maps to loopback; they are not vendor names and are skipped without a word. */
const HOSTS_SKIP = new Set(['localhost', 'localhost.localdomain', 'broadcasthost', 'local']);

/** isAddress strips an IPv6 zone ('fe80::1%lo0' in macOS hosts files) so node:net can judge the address. */
export function isAddress(token: string): boolean {
  const pct = token.indexOf('%');
  return isIP(pct < 0 ? token : token.slice(0, pct)) !== 0;
}

/** isBlockAddress: the addresses block lists use (unspecified, loopback); anything else sends the name somewhere. */
function isBlockAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (a === '0.0.0.0' || a.startsWith('127.')) return true;
  const pct = a.indexOf('%');
  const v6 = pct < 0 ? a : a.slice(0, pct);
  return v6 === '::' || v6 === '::1' || v6 === '::0' || v6 === '0:0:0:0:0:0:0:0' || v6 === '0:0:0:0:0:0:0:1' || v6 === '::ffff:0.0.0.0' || v6.startsWith('::ffff:127.');
}

/** readHosts reads a hosts file; `exact` says how names match; `mappings` what a routable address means. */
export function readHosts(text: string, exact: boolean, mappings: 'skip' | 'block', ctx: ReaderContext): void {
  const { emit, problem } = ctx;
  const lines = new LineCursor(text, problem);
  for (let raw = lines.next(); raw !== null; raw = lines.next()) {
    const lineNo = lines.lineNo;
    // Most lines of a big hosts file are '0.0.0.0 name': one space, one name, nothing else to look at.
    const space = raw.indexOf(' ');
    if (space === 7 && raw.startsWith('0.0.0.0') && raw.indexOf(' ', space + 1) < 0 && raw.indexOf('\t') < 0 && raw.indexOf('#') < 0) {
      const token = raw.charCodeAt(raw.length - 1) === 0x0d ? raw.slice(space + 1, -1) : raw.slice(space + 1);
      const last = token.charCodeAt(token.length - 1);
      if (token.length > 0 && !(last >= 0x30 && last <= 0x39) && !token.includes(':')) {
        const d = normalizeDomain(token);
        if (typeof d === 'string' && !HOSTS_SKIP.has(d) && !d.startsWith('ip6-')) {
          emit(d, exact, lineNo);
          continue;
        }
      }
    }
    const hash = raw.indexOf('#');
    const data = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (data.length === 0) continue;
    const tokens = data.split(/[ \t]+/);
    const address = tokens[0] ?? '';
    if (!isAddress(address)) {
      problem(lineNo, `not a hosts line: '${address.slice(0, 80)}' is not an IP address`);
      continue;
    }
    if (tokens.length < 2) {
      problem(lineNo, `hosts line has no name after '${address}'`);
      continue;
    }
    const mapping = !isBlockAddress(address);
    let bad: string | undefined;
    let addressAsName: string | undefined;
    let mapped: string | undefined;
    for (let t = 1; t < tokens.length; t++) {
      const token = tokens[t] ?? '';
      if (isIP(token) !== 0) {
        // '0.0.0.0 0.0.0.0' (and '::1 ::1') open many published hosts files: furniture, not an entry.
        if (token !== address) addressAsName ??= token;
        continue;
      }
      const d = normalizeDomain(token);
      if (typeof d !== 'string') {
        bad ??= d.error;
        continue;
      }
      // So are the loopback names every hosts file carries.
      if (HOSTS_SKIP.has(d) || d.startsWith('ip6-')) continue;
      if (mapping && mappings === 'skip') {
        mapped ??= d;
        continue;
      }
      emit(d, exact, lineNo);
    }
    // One problem per line, so maxBadLines counts lines.
    if (bad !== undefined) problem(lineNo, bad);
    else if (addressAsName !== undefined) {
      problem(lineNo, `an address in the name column: '${addressAsName}' (a hosts file blocks names; an address cannot be blocked by name)`);
    } else if (mapped !== undefined) {
      problem(
        lineNo,
        `hosts mapping skipped: '${mapped}' is mapped to ${address}, a real address, not blocked (set 'hostsMappings: block' to block such lines)`,
        'skipped',
      );
    }
  }
}
