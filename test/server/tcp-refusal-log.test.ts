/** The tcp-refused summary: the first closure at once, the rest summed into one line per interval, every one counted. */
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TcpCloseReason } from '../../src/net/tcp-listener.js';
import { createTcpRefusalLog } from '../../src/server/tcp-refusal-log.js';

/** A logger that keeps its warn() calls. */
function recordingLog(): { log: Logger; lines: { fields: Record<string, unknown>; msg: string }[] } {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  const log = { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) } as unknown as Logger;
  return { log, lines };
}

describe('createTcpRefusalLog', () => {
  it('logs the first closure at once, then one summary per interval with counts by reason and the busiest sources', async () => {
    const { log, lines } = recordingLog();
    const counted: TcpCloseReason[] = [];
    const record = createTcpRefusalLog(log, { intervalMs: 100, count: (r) => counted.push(r) });
    record('access', '192.0.2.1');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toEqual({ event: 'tcp-refused', closed: { access: 1 }, sources: { '192.0.2.1': 1 } });
    for (let i = 0; i < 500; i++) record('access', '192.0.2.1');
    for (let i = 0; i < 30; i++) record('client-limit', '10.0.0.7');
    for (let i = 0; i < 10; i++) record('shed', `10.0.1.${i}`);
    // Hundreds of closures, still the one line until the interval has passed.
    expect(lines).toHaveLength(1);
    expect(counted).toHaveLength(541);
    await new Promise((later) => setTimeout(later, 250));
    expect(lines).toHaveLength(2);
    const summary = lines[1]?.fields;
    expect(summary?.['closed']).toEqual({ access: 500, 'client-limit': 30, shed: 10 });
    const sources = summary?.['sources'] as Record<string, number>;
    expect(sources['192.0.2.1']).toBe(500);
    expect(sources['10.0.0.7']).toBe(30);
    // Five sources named, the other seven closures summed.
    expect(Object.keys(sources)).toHaveLength(6);
    expect(sources['other']).toBe(7);
    expect(lines[1]?.msg).toContain('500 outside access.allow');
    // Nothing more happened: no further line.
    await new Promise((later) => setTimeout(later, 250));
    expect(lines).toHaveLength(2);
  });
});
