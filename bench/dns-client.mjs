/** A minimal DNS client for the bench's readiness checks and the reload probe: raw buffers, one socket. */
import dgram from 'node:dgram';

/** queryBuffer encodes a recursive query for `name` (type A unless told). */
export function queryBuffer(id, name, type = 1) {
  const labels = name.split('.').filter((l) => l.length > 0);
  const len = 12 + labels.reduce((n, l) => n + l.length + 1, 0) + 5;
  const b = Buffer.alloc(len);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(0x0100, 2);
  b.writeUInt16BE(1, 4);
  let off = 12;
  for (const l of labels) {
    b[off++] = l.length;
    off += b.write(l, off, 'latin1');
  }
  b[off++] = 0;
  b.writeUInt16BE(type, off);
  b.writeUInt16BE(1, off + 2);
  return b;
}

/** rcodeOf names a reply's RCODE. */
export function rcodeOf(reply) {
  return ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][reply[3] & 0x0f] ?? `RCODE${reply[3] & 0x0f}`;
}

/** ask sends one query to 127.0.0.1:port and resolves with the RCODE name, or null after timeoutMs. */
export function ask(port, name, timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 0xffff);
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, timeoutMs);
    s.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      s.close();
      resolve(rcodeOf(msg));
    });
    s.on('error', () => undefined);
    s.send(queryBuffer(id, name), port, '127.0.0.1');
  });
}

/** waitFor asks until the answer satisfies `ok`, every 20 ms, for at most maxMs; resolves with the elapsed ms or null. */
export async function waitFor(port, name, ok, maxMs, isAlive = () => true) {
  const start = performance.now();
  while (performance.now() - start < maxMs) {
    if (!isAlive()) return null;
    const rc = await ask(port, name, 50);
    if (rc !== null && ok(rc)) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

/**
 * probe sends `rate` queries a second (alternately `names`) until stop() resolves, then waits graceMs for
 * stragglers; reports the longest gap between two answers, the queries never answered, and when `canary`
 * first came back NXDOMAIN (ms after `markAt()` was called).
 */
export function startProbe(port, names, canary, rate = 1000) {
  const s = dgram.createSocket('udp4');
  const sentAt = new Map();
  let seq = 0;
  let answered = 0;
  let lastAnswer = null;
  let longestGap = 0;
  let mark = null;
  let canaryBlockedAfter = null;
  const all = [...names, canary];
  s.on('message', (msg) => {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const info = sentAt.get(id);
    if (info === undefined) return;
    sentAt.delete(id);
    const now = performance.now();
    answered++;
    if (lastAnswer !== null && mark !== null) longestGap = Math.max(longestGap, now - lastAnswer);
    lastAnswer = now;
    if (info.name === canary && mark !== null && canaryBlockedAfter === null && info.at >= mark && rcodeOf(msg) === 'NXDOMAIN') {
      canaryBlockedAfter = now - mark;
    }
  });
  s.on('error', () => undefined);
  const start = performance.now();
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - start) * rate) / 1000);
    // Catch up when a timer fires late, so the offered load stays at `rate` on average.
    while (seq < due) {
      const id = seq & 0xffff;
      const name = all[seq % all.length];
      sentAt.set(id, { name, at: performance.now() });
      s.send(queryBuffer(id, name), port, '127.0.0.1');
      seq++;
    }
    setTimeout(tick, 1);
  };
  s.bind(0, '127.0.0.1', tick);
  return {
    markAt: () => {
      mark = performance.now();
    },
    canaryBlocked: () => canaryBlockedAfter !== null,
    async stop(graceMs = 2000) {
      stopped = true;
      await new Promise((r) => setTimeout(r, graceMs));
      s.close();
      return { sent: seq, lost: seq - answered, longestGapMs: longestGap, canaryBlockedMs: canaryBlockedAfter };
    },
  };
}
