/** IP prefix lists for answer-IP inspection: one IPv4 or IPv6 network (or single address) per line, '#' comments. */
import { parseCidr } from '../../access/cidr.js';
import { LineCursor, type ProblemSink } from './line-cursor.js';

/** One network as read. */
export interface PrefixListEntry {
  /** As written ('198.51.100.0/24', '2001:db8::/32', '192.0.2.7'). */
  readonly cidr: string;
  readonly line: number;
}

/** readPrefixes reads a prefix list; every line that is no network is reported. */
export function readPrefixes(text: string, problem: ProblemSink): PrefixListEntry[] {
  const out: PrefixListEntry[] = [];
  const lines = new LineCursor(text, problem);
  for (let raw = lines.next(); raw !== null; raw = lines.next()) {
    const hash = raw.indexOf('#');
    const data = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (data.length === 0) continue;
    const c = parseCidr(data);
    if ('error' in c) problem(lines.lineNo, c.error);
    // 0.0.0.0/0 would sinkhole every answer: certainly a mistake, never a ban.
    else if (c.prefix < 8) problem(lines.lineNo, `'${data}' is too broad for a ban (prefix shorter than /8)`);
    else out.push({ cidr: data, line: lines.lineNo });
  }
  return out;
}
