/** IPv4/IPv6 text to the 4/16 RDATA bytes of an A/AAAA record. */

import { isIPv4, isIPv6 } from 'node:net';

/** The 4 bytes of a dotted-quad IPv4 address, or null when `text` is not one. */
export function ipv4Bytes(text: string): Buffer | null {
  if (!isIPv4(text)) return null;
  const out = Buffer.alloc(4);
  let i = 0;
  for (const part of text.split('.')) out[i++] = Number(part);
  return out;
}

/** The 16 bytes of an IPv6 address ('::', '2001:db8::1', '::ffff:192.0.2.1'), or null (zone ids are refused). */
export function ipv6Bytes(text: string): Buffer | null {
  if (!isIPv6(text) || text.includes('%')) return null;
  const groups: number[] = [];
  const gap = text.indexOf('::');
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const headGroups = parseGroups(head);
  const tailGroups = parseGroups(tail);
  if (headGroups === null || tailGroups === null) return null;
  const fill = 8 - headGroups.length - tailGroups.length;
  if (fill < 0 || (gap < 0 && fill !== 0)) return null;
  groups.push(...headGroups);
  for (let i = 0; i < fill; i++) groups.push(0);
  groups.push(...tailGroups);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i] ?? 0, i * 2);
  return out;
}

/** Colon-separated hex groups; a trailing dotted quad counts as two groups. */
function parseGroups(part: string): number[] | null {
  if (part === '') return [];
  const groups: number[] = [];
  for (const g of part.split(':')) {
    if (g.includes('.')) {
      const v4 = ipv4Bytes(g);
      if (v4 === null) return null;
      groups.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
    } else {
      const v = Number.parseInt(g, 16);
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) return null;
      groups.push(v);
    }
  }
  return groups;
}
