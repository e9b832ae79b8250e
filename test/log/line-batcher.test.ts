import { describe, expect, it } from 'vitest';
import { LineBatcher } from '../../src/log/line-batcher.js';

/** A sink that records every write call. */
function recorder(): { writes: string[]; write(text: string): boolean } {
  const writes: string[] = [];
  return { writes, write: (text) => (writes.push(text), true) };
}

const turn = (): Promise<void> => new Promise((done) => setImmediate(done));

describe('LineBatcher', () => {
  it('passes the lines of one event-loop turn on as one write, in order, at the end of the turn', async () => {
    const sink = recorder();
    const b = new LineBatcher(sink, 16_384);
    for (let i = 0; i < 50; i++) b.write(`{"n":${i}}\n`);
    expect(sink.writes).toEqual([]);
    await turn();
    expect(sink.writes).toHaveLength(1);
    expect(sink.writes[0]?.split('\n').slice(0, -1).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([...Array(50).keys()]);
    b.write('{"n":50}\n');
    await turn();
    expect(sink.writes).toEqual([sink.writes[0], '{"n":50}\n']);
  });

  it('never lets a write pass the byte bound and never cuts a line, counting bytes, not characters', async () => {
    const sink = recorder();
    const b = new LineBatcher(sink, 4096);
    // 'ž' is 2 bytes in UTF-8: each line is 84 bytes but 44 characters.
    const line = (i: number): string => `${String(i).padStart(3, '0')}${'ž'.repeat(40)}\n`;
    for (let i = 0; i < 300; i++) b.write(line(i));
    await turn();
    expect(sink.writes.length).toBeGreaterThan(1);
    for (const w of sink.writes) {
      expect(Buffer.byteLength(w)).toBeLessThanOrEqual(4096);
      expect(w.endsWith('\n')).toBe(true);
    }
    expect(sink.writes.join('')).toBe([...Array(300).keys()].map(line).join(''));
  });

  it('flush passes pending lines on at once; a line longer than the bound goes alone', () => {
    const sink = recorder();
    const b = new LineBatcher(sink, 100);
    b.write('a\n');
    b.flush();
    expect(sink.writes).toEqual(['a\n']);
    b.flush();
    expect(sink.writes).toEqual(['a\n']);
    const long = `${'x'.repeat(300)}\n`;
    b.write('b\n');
    b.write(long);
    b.flush();
    expect(sink.writes).toEqual(['a\n', 'b\n', long]);
  });
});
