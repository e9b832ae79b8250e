/** The metrics registry: what each hook counts, in the Prometheus text a scraper reads. */
import { describe, expect, it } from 'vitest';
import type { HostPort } from '../../src/config/types.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { PolicyEntry } from '../../src/policy/types.js';

function series(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}

const lists = new Map<string, object>();
/** An entry of list `id`; one list object per id, as a loaded policy has. */
const entry = (id: string, vendor: string): PolicyEntry => {
  let list = lists.get(id);
  if (list === undefined) {
    list = { id, vendor };
    lists.set(id, list);
  }
  return { domain: 'x.example', exact: false, line: 1, list } as unknown as PolicyEntry;
};

describe('createMetrics', () => {
  it('counts outcomes per transport and sinkholes per vendor and list', async () => {
    const m = createMetrics({ version: '9.9.9', defaultMetrics: false });
    m.query('sinkholed', 'udp', entry('deepseek', 'deepseek'));
    m.query('sinkholed', 'udp', entry('deepseek', 'deepseek'));
    m.query('sinkholed', 'tcp', entry('huawei-extended', 'huawei'));
    m.query('forwarded', 'tcp');
    m.query('refused', 'udp');
    const text = await m.registry.metrics();
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="sinkholed"}')).toBe(2);
    expect(series(text, 'hradba_queries_total{transport="tcp",outcome="sinkholed"}')).toBe(1);
    expect(series(text, 'hradba_queries_total{transport="tcp",outcome="forwarded"}')).toBe(1);
    expect(series(text, 'hradba_queries_total{transport="udp",outcome="refused"}')).toBe(1);
    expect(series(text, 'hradba_sinkholed_total{vendor="deepseek",list="deepseek"}')).toBe(2);
    expect(series(text, 'hradba_sinkholed_total{vendor="huawei",list="huawei-extended"}')).toBe(1);
    expect(series(text, 'hradba_build_info{version="9.9.9"}')).toBe(1);
    expect(text).not.toContain('process_');
  });

  it('counts a list into the same series after a reload brought a new list object', async () => {
    const m = createMetrics({ version: '1', defaultMetrics: false });
    const before = { domain: 'a.example', exact: false, line: 1, list: { id: 'l', vendor: 'v' } } as unknown as PolicyEntry;
    const after = { domain: 'a.example', exact: false, line: 1, list: { id: 'l', vendor: 'v' } } as unknown as PolicyEntry;
    m.query('sinkholed', 'udp', before);
    m.query('sinkholed', 'udp', after);
    expect(series(await m.registry.metrics(), 'hradba_sinkholed_total{vendor="v",list="l"}')).toBe(2);
  });

  it('keeps a latency histogram and error counts per upstream, and remembers the last answer', async () => {
    const m = createMetrics({ version: '1', defaultMetrics: false });
    const v4: HostPort = { host: '192.0.2.53', port: 53 };
    const v6: HostPort = { host: '2001:db8::53', port: 5353 };
    expect(m.lastUpstreamAnswerMs()).toBeNull();
    m.upstream.answered(v4, 0.003);
    m.upstream.answered(v4, 0.2);
    m.upstream.failed(v6, 'timeout');
    m.upstream.failed(v6, 'timeout');
    m.upstream.failed(v4, 'servfail');
    expect(m.lastUpstreamAnswerMs()).not.toBeNull();
    const text = await m.registry.metrics();
    expect(series(text, 'hradba_upstream_response_seconds_count{upstream="192.0.2.53:53"}')).toBe(2);
    expect(series(text, 'hradba_upstream_response_seconds_bucket{le="0.005",upstream="192.0.2.53:53"}')).toBe(1);
    expect(series(text, 'hradba_upstream_response_seconds_bucket{le="0.25",upstream="192.0.2.53:53"}')).toBe(2);
    expect(series(text, 'hradba_upstream_errors_total{upstream="[2001:db8::53]:5353",reason="timeout"}')).toBe(2);
    expect(series(text, 'hradba_upstream_errors_total{upstream="192.0.2.53:53",reason="servfail"}')).toBe(1);
  });

  it('tracks loads and reloads: version, time, entries of the lists in force only', async () => {
    const m = createMetrics({ version: '1', defaultMetrics: false });
    let text = await m.registry.metrics();
    expect(series(text, 'hradba_reloads_total{result="ok"}')).toBe(0);
    expect(series(text, 'hradba_reloads_total{result="failed"}')).toBe(0);
    m.policyLoaded({ version: 1, lists: [{ id: 'a', entries: 5 }, { id: 'b', entries: 7 }] }, false);
    m.reloadFailed();
    m.policyLoaded({ version: 2, lists: [{ id: 'a', entries: 6 }] }, true);
    text = await m.registry.metrics();
    expect(series(text, 'hradba_reloads_total{result="ok"}')).toBe(1);
    expect(series(text, 'hradba_reloads_total{result="failed"}')).toBe(1);
    expect(series(text, 'hradba_policy_version')).toBe(2);
    expect(series(text, 'hradba_list_entries{list="a"}')).toBe(6);
    expect(text).not.toContain('list="b"');
    expect(series(text, 'hradba_policy_loaded_timestamp_seconds')).toBeGreaterThan(0);
  });

  it('reads the in-flight count at scrape time', async () => {
    const m = createMetrics({ version: '1', defaultMetrics: false });
    let n = 3;
    m.inFlightFrom(() => n);
    expect(series(await m.registry.metrics(), 'hradba_queries_in_flight')).toBe(3);
    n = 0;
    expect(series(await m.registry.metrics(), 'hradba_queries_in_flight')).toBe(0);
  });

  it('gives each process its own registry (two servers in one process do not mix)', async () => {
    const a = createMetrics({ version: '1', defaultMetrics: false });
    const b = createMetrics({ version: '1', defaultMetrics: false });
    a.query('dropped', 'udp');
    expect(series(await b.registry.metrics(), 'hradba_queries_total{transport="udp",outcome="dropped"}')).toBeNaN();
  });
});
