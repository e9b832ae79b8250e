/** Walking an upstream answer's CNAME/DNAME chain on the raw bytes, with compression and hostile input. */
import { describe, expect, it } from 'vitest';
import { chainNames, readName } from '../../src/policy/answer-inspection.js';
import { buildQuery, encodeName } from '../helpers/fake-upstream.js';

/** answerWith builds a reply to a query for `qname` carrying `records` in the ANSWER section. */
function answerWith(qname: string, records: readonly Buffer[]): { msg: Buffer; questionEnd: number } {
  const q = buildQuery({ id: 1, name: qname, type: 1 });
  const msg = Buffer.concat([q.msg.subarray(0, q.questionEnd), ...records]);
  msg[2] = 0x81;
  msg.writeUInt16BE(records.length, 6);
  return { msg, questionEnd: q.questionEnd };
}

/** A record with the given owner bytes (a name or a pointer). */
function rr(owner: Buffer, type: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(60, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

const QPTR = Buffer.from([0xc0, 0x0c]);

describe('chainNames', () => {
  it('lists CNAME targets and owners other than the question, decompressing pointers', () => {
    const target = encodeName('cdn.banned-vendor.test');
    const { msg, questionEnd } = answerWith('www.example.test', [
      rr(QPTR, 5, target),
      // The next owner points at the previous CNAME's target (offset: header+question+pointer+fixed).
      rr(Buffer.from([0xc0, 0]), 5, encodeName('edge.example.net')),
      rr(encodeName('edge.example.net'), 1, Buffer.from([192, 0, 2, 1])),
    ]);
    // Patch the second owner pointer to the first CNAME's RDATA.
    const firstRdata = questionEnd + 2 + 10;
    const secondOwner = firstRdata + target.length;
    msg.writeUInt16BE(0xc000 | firstRdata, secondOwner);
    expect(chainNames(msg, questionEnd, 'www.example.test')).toEqual(['cdn.banned-vendor.test', 'edge.example.net']);
  });

  it('reads DNAME targets and the synthesized owner names', () => {
    const { msg, questionEnd } = answerWith('a.old.example.test', [
      rr(encodeName('old.example.test'), 39, encodeName('banned-vendor.test')),
      rr(QPTR, 5, encodeName('a.banned-vendor.test')),
    ]);
    expect(chainNames(msg, questionEnd, 'a.old.example.test')).toEqual(['old.example.test', 'banned-vendor.test', 'a.banned-vendor.test']);
  });

  it('stops at a truncated record and survives a pointer loop', () => {
    const { msg, questionEnd } = answerWith('www.example.test', [rr(QPTR, 5, encodeName('x.example.net'))]);
    expect(chainNames(msg.subarray(0, msg.length - 3), questionEnd, 'www.example.test')).toEqual([]);
    const loop = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12]);
    expect(readName(loop, 12)).toBeNull();
    // A label holding a dot cannot pass for a different name.
    expect(readName(Buffer.from([3, 0x61, 0x2e, 0x62, 0]), 0)).toBeNull();
    expect(readName(Buffer.from([3, 0x41, 0x42, 0x43, 0]), 0)).toBe('abc');
  });
});
