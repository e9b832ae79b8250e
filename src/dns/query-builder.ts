/** Building a query message from a name (for probes, tools and tests; the per-query path never builds queries). */

import { HradbaError } from '../errors.js';
import { CLASS_IN, FLAG2_RD, FLAG3_CD, HEADER_SIZE, TYPE } from './constants.js';
import { MAX_NAME_WIRE } from './record-walk.js';

/** What goes into a query built by buildQuery. */
export interface QuerySpec {
  readonly id?: number;
  /** Dotted name; a trailing dot is optional, '' or '.' is the root; '\.' and '\\' escape a '.' or '\' inside a label. */
  readonly name: string;
  readonly type: number;
  readonly qclass?: number;
  /** Recursion desired; default true. */
  readonly rd?: boolean;
  readonly cd?: boolean;
  /** Add an OPT record; absent or null sends a classic query. */
  readonly edns?: {
    readonly udpSize: number;
    readonly dnssecOk?: boolean;
    readonly version?: number;
    /** Raw EDNS options, each {code, data}. */
    readonly options?: readonly { readonly code: number; readonly data: Buffer }[];
  } | null;
}

/** Wire form of a dotted name (labels of latin1 characters, see QuerySpec.name); throws HRADBA_ERR_USAGE when invalid. */
export function encodeName(name: string): Buffer {
  const out: number[] = [];
  let label: number[] = [];
  const endLabel = (): void => {
    if (label.length === 0) throw new HradbaError('HRADBA_ERR_USAGE', `empty label in name '${name}'`);
    if (label.length > 63) throw new HradbaError('HRADBA_ERR_USAGE', `label longer than 63 octets in name '${name}'`);
    out.push(label.length, ...label);
    label = [];
  };
  if (name === '' || name === '.') return Buffer.from([0]);
  let afterDot = false;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    afterDot = c === 0x2e;
    if (afterDot) {
      endLabel();
      continue;
    }
    if (c === 0x5c && i + 1 < name.length) c = name.charCodeAt(++i);
    if (c > 0xff) throw new HradbaError('HRADBA_ERR_USAGE', `name '${name}' is not ASCII/latin1 (use punycode)`);
    label.push(c);
  }
  if (!afterDot) endLabel(); // no trailing dot
  out.push(0);
  if (out.length > MAX_NAME_WIRE) throw new HradbaError('HRADBA_ERR_USAGE', `name '${name}' is longer than 255 octets`);
  return Buffer.from(out);
}

/** A standard query (opcode 0, one question) with an optional OPT record. */
export function buildQuery(spec: QuerySpec): Buffer {
  const name = encodeName(spec.name);
  const edns = spec.edns ?? null;
  const options = edns?.options ?? [];
  let rdlength = 0;
  for (const o of options) rdlength += 4 + o.data.length;
  const out = Buffer.alloc(HEADER_SIZE + name.length + 4 + (edns === null ? 0 : 11 + rdlength));
  out.writeUInt16BE((spec.id ?? 0) & 0xffff, 0);
  out[2] = spec.rd === false ? 0 : FLAG2_RD;
  out[3] = spec.cd === true ? FLAG3_CD : 0;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(edns === null ? 0 : 1, 10);
  let off = HEADER_SIZE + name.copy(out, HEADER_SIZE);
  off = out.writeUInt16BE(spec.type, off);
  off = out.writeUInt16BE(spec.qclass ?? CLASS_IN, off);
  if (edns !== null) {
    off += 1; // root owner
    off = out.writeUInt16BE(TYPE.OPT, off);
    off = out.writeUInt16BE(edns.udpSize, off);
    off += 1; // extended RCODE
    out[off++] = edns.version ?? 0;
    off = out.writeUInt16BE(edns.dnssecOk === true ? 0x8000 : 0, off);
    off = out.writeUInt16BE(rdlength, off);
    for (const o of options) {
      off = out.writeUInt16BE(o.code, off);
      off = out.writeUInt16BE(o.data.length, off);
      off += o.data.copy(out, off);
    }
  }
  return out;
}
