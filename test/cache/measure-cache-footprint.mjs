/**
 * Child process of cache-footprint.test.ts (run with --expose-gc): fills an AnswerCache from dist/ past its byte
 * limit with answers shaped like a forwarder's (parsed queries, their keys, replies as datagrams arrive) and prints
 * the heap and external memory the full cache holds after full collections, as JSON on stdout.
 */
import { AnswerCache } from '../../dist/cache/answer-cache.js';
import { cacheKey } from '../../dist/cache/cache-key.js';
import { buildQuery } from '../../dist/dns/query-builder.js';
import { parseQuery } from '../../dist/dns/query.js';

const maxBytes = Number(process.argv[2]);
const names = Number(process.argv[3]);

/** The reply an authoritative wildcard gives: the question, `count` A records (name by pointer), EDNS when asked. */
function reply(query, questionEnd, count, edns) {
  const header = Buffer.from(query.subarray(0, 12));
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(count, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(edns ? 1 : 0, 10);
  const records = [];
  for (let i = 0; i < count; i++) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(3600, 6);
    rr.writeUInt16BE(4, 10);
    rr.writeUInt32BE(0xc0000201 + i, 12);
    records.push(rr);
  }
  const opt = edns ? [Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0])] : [];
  // One allocation per reply, as a received datagram is.
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records, ...opt]);
}

const usage = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

const cache = new AnswerCache({ maxEntries: 100_000_000, maxBytes, minTtlSec: 0, maxTtlSec: 86_400, maxNegativeTtlSec: 3600, staleKeepSec: 0 });
const before = usage();
for (let i = 0; i < names; i++) {
  const edns = i % 3 !== 0;
  const msg = buildQuery({ id: i & 0xffff, name: `host${i}.zone${i % 977}.example.test`, type: i % 4 === 0 ? 28 : 1, edns: edns ? { udpSize: 1232 } : undefined });
  const parsed = parseQuery(msg);
  if (!parsed.ok) throw new Error('query did not parse');
  const q = parsed.query;
  cache.store(cacheKey(q), reply(msg, q.questionEnd, 1 + (i % 4), edns), q.questionEnd);
}
const after = usage();
process.stdout.write(`${JSON.stringify({ maxBytes, footprint: after - before, entries: cache.size, chargedBytes: cache.byteSize, evicted: cache.stats.evicted })}\n`);
