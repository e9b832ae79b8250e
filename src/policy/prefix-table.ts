/** A table of IPv4/IPv6 prefixes answering "which is the most specific prefix holding this address?". */
import { isIP } from 'node:net';
import { parseCidr } from '../access/cidr.js';
import { ipv4Bytes, ipv6Bytes } from '../dns/address-bytes.js';

/** The family-specific half of the table: per prefix length, masked address bytes (as a string key) to value. */
interface FamilyTable<T> {
  readonly byLength: Map<number, Map<string, T>>;
  /** Prefix lengths present, longest first: a lookup tries them in this order and stops at the first hit. */
  lengths: number[];
}

/** maskedKey keeps the first `prefix` bits of `bytes` and returns them as a compact string key. */
function maskedKey(bytes: Uint8Array, prefix: number): string {
  let key = '';
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) key += String.fromCharCode(bytes[i]!);
  const rest = prefix & 7;
  if (rest > 0) key += String.fromCharCode(bytes[whole]! & (0xff << (8 - rest)) & 0xff);
  return key;
}

/** addressBytes reads an IPv4 or IPv6 address; an IPv4-mapped IPv6 address ('::ffff:192.0.2.1') counts as IPv4. */
export function addressBytes(address: string): { v4: boolean; bytes: Uint8Array } | null {
  const version = isIP(address);
  if (version === 4) {
    const b = ipv4Bytes(address);
    return b === null ? null : { v4: true, bytes: b };
  }
  if (version !== 6) return null;
  const b = ipv6Bytes(address);
  if (b === null) return null;
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
  return mapped ? { v4: true, bytes: b.subarray(12) } : { v4: false, bytes: b };
}

/** PrefixTable maps networks to values; lookups return the value of the longest prefix holding the address. */
export class PrefixTable<T extends NonNullable<unknown>> {
  readonly #v4: FamilyTable<T> = { byLength: new Map(), lengths: [] };
  readonly #v6: FamilyTable<T> = { byLength: new Map(), lengths: [] };
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** add stores a network ('10.0.0.0/8', '2001:db8::/32' or one address); false when the text is no network or the prefix is taken (the first value stays). */
  add(cidrText: string, value: T): boolean {
    const cidr = parseCidr(cidrText);
    if ('error' in cidr) return false;
    const parsed = addressBytes(cidr.address);
    if (parsed === null) return false;
    // An IPv4-mapped network is filed as the IPv4 network it maps.
    const prefix = parsed.v4 && cidr.family === 'ipv6' ? Math.max(0, cidr.prefix - 96) : cidr.prefix;
    const table = parsed.v4 ? this.#v4 : this.#v6;
    let keys = table.byLength.get(prefix);
    if (keys === undefined) {
      keys = new Map();
      table.byLength.set(prefix, keys);
      table.lengths = [...table.byLength.keys()].sort((a, b) => b - a);
    }
    const key = maskedKey(parsed.bytes, prefix);
    if (keys.has(key)) return false;
    keys.set(key, value);
    this.#size++;
    return true;
  }

  /** lookupBytes finds the most specific network holding 4 (IPv4) or 16 (IPv6) address bytes. */
  lookupBytes(bytes: Uint8Array, v4: boolean): T | undefined {
    const table = v4 ? this.#v4 : this.#v6;
    for (const len of table.lengths) {
      const hit = table.byLength.get(len)?.get(maskedKey(bytes, len));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** lookupAllBytes returns every network holding the address, most specific first. */
  lookupAllBytes(bytes: Uint8Array, v4: boolean): T[] {
    const table = v4 ? this.#v4 : this.#v6;
    const out: T[] = [];
    for (const len of table.lengths) {
      const hit = table.byLength.get(len)?.get(maskedKey(bytes, len));
      if (hit !== undefined) out.push(hit);
    }
    return out;
  }

  /** lookup finds the most specific network holding an address given as text; undefined for no match or no address. */
  lookup(address: string): T | undefined {
    const parsed = addressBytes(address);
    return parsed === null ? undefined : this.lookupBytes(parsed.bytes, parsed.v4);
  }
}
