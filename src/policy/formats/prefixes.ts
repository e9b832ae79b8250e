/** IP prefix lists for answer-IP inspection: one IPv4 or IPv6 network (or single address) per line, '#' comments. */
import { parseCidr } from '../../access/cidr.js';

/** One network as read. */
export interface PrefixListEntry {
  /** As written ('198.51.100.0/24', '2001:db8::/32', '192.0.2.7'). */
  readonly cidr: string;
  readonly line: number;
}

/** parsePrefixes reads the lines of a prefix list; every line that is no network is reported. */
export function parsePrefixes(lines: readonly string[], problem: (line: number, message: string) => void): PrefixListEntry[] {
  const out: PrefixListEntry[] = [];
  lines.forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const data = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (data.length === 0) return;
    const c = parseCidr(data);
    if ('error' in c) problem(i + 1, c.error);
    // 0.0.0.0/0 would sinkhole every answer: certainly a mistake, never a ban.
    else if (c.prefix < 8) problem(i + 1, `'${data}' is too broad for a ban (prefix shorter than /8)`);
    else out.push({ cidr: data, line: i + 1 });
  });
  return out;
}
