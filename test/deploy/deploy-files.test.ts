/**
 * The deployment files under deploy/ are valid for their tools as far as this machine can tell: YAML that parses,
 * the fields each tool requires, references that resolve (selectors, named ports, the ConfigMap, list files), hradba
 * configs that pass hradba's own schema and load their lists, and the systemd unit through `systemd-analyze verify`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { buildPolicy } from '../../src/policy/policy.js';
import { deploymentEnv } from '../helpers/deployment-env.js';
import { NODE_BIN, REPO_ROOT } from '../helpers/paths.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** Parsed YAML, checked field by field by the assertions below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const DEPLOY = join(REPO_ROOT, 'deploy');
const read = (rel: string): string => readFileSync(join(DEPLOY, rel), 'utf8');
const yamlDoc = (rel: string): Obj => parse(read(rel), { strict: true, uniqueKeys: true }) as Obj;
function yamlDocs(rel: string): Obj[] {
  const docs = parseAllDocuments(read(rel));
  for (const d of docs) expect(d.errors, rel).toEqual([]);
  return docs.map((d) => d.toJS() as Obj);
}

/**
 * Validates a container config with hradba's schema and loads its lists as the container would see them:
 * /app/blocklists is the repository's blocklists/, /etc/hradba the directory holding `extra` files.
 */
async function checkContainerConfig(text: string, extra: Record<string, string>): Promise<Config> {
  const dir = makeTempDir('deploy');
  try {
    for (const [name, content] of Object.entries(extra)) writeFileSync(join(dir, name), content);
    const config = parseConfig(text, join(dir, 'hradba.yaml'));
    const lists = config.lists.map((l) => ({ ...l, file: l.file.startsWith('/app/blocklists/') ? join(REPO_ROOT, 'blocklists', basename(l.file)) : l.file }));
    for (const l of lists) expect(existsSync(l.file), l.file).toBe(true);
    const policy = await buildPolicy(lists, config.maxBadLines, 1);
    expect(policy.entryCount).toBeGreaterThan(0);
    return config;
  } finally {
    removeTempDir(dir);
  }
}

describe('deploy/compose', () => {
  const compose = yamlDoc('compose/docker-compose.yml');
  const hradba = compose['services']?.['hradba'] as Obj;

  it('runs the image read-only, non-root capable of port 53, with config mounted read-only and DNS on UDP and TCP', () => {
    expect(hradba).toBeDefined();
    expect(hradba['build']['context']).toBe('../..');
    expect(existsSync(join(DEPLOY, 'compose', hradba['build']['context'], 'Dockerfile'))).toBe(true);
    expect(hradba['read_only']).toBe(true);
    expect(hradba['cap_drop']).toEqual(['ALL']);
    expect(hradba['sysctls']['net.ipv4.ip_unprivileged_port_start']).toBe(0);
    expect(hradba['ports']).toEqual(expect.arrayContaining(['53:53/udp', '53:53/tcp', '127.0.0.1:9153:9153/tcp']));
    expect(hradba['volumes']).toContain('./hradba:/etc/hradba:ro');
    expect(existsSync(join(DEPLOY, 'compose', 'hradba', 'hradba.yaml'))).toBe(true);
    expect(hradba['command']).toEqual(['serve', '--config', '/etc/hradba/hradba.yaml']);
    expect(hradba['stop_signal']).toBe('SIGTERM');
  });

  it('has Prometheus scrape the admin port the hradba config opens', async () => {
    const prom = compose['services']['prometheus'] as Obj;
    expect(prom['volumes']).toContain('./prometheus:/etc/prometheus:ro');
    const scrape = yamlDoc('compose/prometheus/prometheus.yml');
    const job = (scrape['scrape_configs'] as Obj[]).find((j) => j['job_name'] === 'hradba');
    expect(job?.['static_configs'][0]['targets']).toEqual(['hradba:9153']);
    for (const f of scrape['rule_files'] as string[]) expect(existsSync(join(DEPLOY, 'compose', 'prometheus', basename(f))), f).toBe(true);
    const rules = yamlDoc('compose/prometheus/hradba-alerts.yml');
    for (const r of rules['groups'][0]['rules'] as Obj[]) expect(r['expr'], r['alert']).toMatch(/hradba_|up\{/);

    const config = await checkContainerConfig(read('compose/hradba/hradba.yaml'), { 'agency.list': read('compose/hradba/agency.list') });
    expect(config.admin).toEqual({ enabled: true, listen: { host: '0.0.0.0', port: 9153 } });
    expect(config.listen).toEqual([{ host: '0.0.0.0', port: 53 }]);
  });
});

describe('deploy/kubernetes', () => {
  const all = ['configmap.yaml', 'deployment.yaml', 'service.yaml', 'networkpolicy.yaml'].flatMap((f) => yamlDocs(`kubernetes/${f}`));
  const byKind = (kind: string): Obj[] => all.filter((d) => d['kind'] === kind);
  const deployment = byKind('Deployment')[0] as Obj;
  const pod = deployment['spec']['template'] as Obj;
  const container = pod['spec']['containers'][0] as Obj;
  const portNames = new Map<string, Obj>((container['ports'] as Obj[]).map((p) => [p['name'] as string, p]));

  it('every object has apiVersion, kind and a name; kustomization lists every file', () => {
    for (const d of all) {
      expect(typeof d['apiVersion'], JSON.stringify(d).slice(0, 80)).toBe('string');
      expect(typeof d['kind']).toBe('string');
      expect(d['metadata']['name']).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    const kustomization = yamlDoc('kubernetes/kustomization.yaml');
    expect([...(kustomization['resources'] as string[])].sort()).toEqual(['configmap.yaml', 'deployment.yaml', 'networkpolicy.yaml', 'service.yaml']);
  });

  it('the Deployment selects its own pods, rolls without a gap, and runs non-root on a read-only root', () => {
    expect(deployment['apiVersion']).toBe('apps/v1');
    expect(pod['metadata']['labels']).toMatchObject(deployment['spec']['selector']['matchLabels']);
    expect(deployment['spec']['strategy']['rollingUpdate']['maxUnavailable']).toBe(0);
    expect(pod['spec']['securityContext']['runAsNonRoot']).toBe(true);
    expect(pod['spec']['securityContext']['sysctls']).toContainEqual({ name: 'net.ipv4.ip_unprivileged_port_start', value: '53' });
    expect(container['securityContext']['readOnlyRootFilesystem']).toBe(true);
    expect(container['securityContext']['allowPrivilegeEscalation']).toBe(false);
    expect(portNames.get('dns-udp')).toEqual({ name: 'dns-udp', containerPort: 53, protocol: 'UDP' });
    expect(portNames.get('dns-tcp')).toEqual({ name: 'dns-tcp', containerPort: 53, protocol: 'TCP' });
    expect(pod['spec']['terminationGracePeriodSeconds']).toBeGreaterThan(10);
  });

  it('has a liveness probe that sends a DNS query and a readiness probe on /readyz of the admin port', () => {
    expect(container['livenessProbe']['exec']['command']).toEqual(['node', '/app/dist/cli/main.js', 'health', '--server', '127.0.0.1:53', '--timeout', '3s']);
    expect(container['readinessProbe']['httpGet']).toEqual({ path: '/readyz', port: 'admin' });
    expect(portNames.get('admin')?.['containerPort']).toBe(9153);
  });

  it('mounts the ConfigMap as a directory (so updates reach the files) and the config in it is valid', async () => {
    const volume = (pod['spec']['volumes'] as Obj[]).find((v) => v['configMap'] !== undefined) as Obj;
    const mount = (container['volumeMounts'] as Obj[]).find((m) => m['name'] === volume['name']) as Obj;
    expect(mount['mountPath']).toBe('/etc/hradba');
    expect(mount['readOnly']).toBe(true);
    expect(mount['subPath']).toBeUndefined();
    const configMap = byKind('ConfigMap').find((c) => c['metadata']['name'] === volume['configMap']['name']) as Obj;
    expect(configMap).toBeDefined();
    expect(container['args']).toEqual(['serve', '--config', '/etc/hradba/hradba.yaml']);
    const data = configMap['data'] as Record<string, string>;
    const config = await checkContainerConfig(data['hradba.yaml'] ?? '', data);
    expect(config.admin.listen.port).toBe(portNames.get('admin')?.['containerPort']);
    expect(config.listen).toEqual([{ host: '0.0.0.0', port: 53 }]);
    expect(config.shutdown.graceMs / 1000).toBeLessThan(pod['spec']['terminationGracePeriodSeconds']);
  });

  it('the Services select the pods and point at named container ports, DNS over UDP and TCP', () => {
    const services = byKind('Service');
    expect(services.map((s) => s['metadata']['name']).sort()).toEqual(['hradba', 'hradba-admin']);
    for (const s of services) {
      expect(pod['metadata']['labels']).toMatchObject(s['spec']['selector']);
      for (const p of s['spec']['ports'] as Obj[]) {
        const target = portNames.get(p['targetPort']);
        expect(target, `${s['metadata']['name']}:${p['name']}`).toBeDefined();
        expect(target?.['protocol']).toBe(p['protocol']);
      }
    }
    const dns = services.find((s) => s['metadata']['name'] === 'hradba') as Obj;
    expect((dns['spec']['ports'] as Obj[]).map((p) => `${p['port']}/${p['protocol']}`).sort()).toEqual(['53/TCP', '53/UDP']);
    expect(dns['spec']['externalTrafficPolicy']).toBe('Local');
  });

  describe('the NetworkPolicies', () => {
    const policies = byKind('NetworkPolicy');
    const policy = (name: string): Obj => policies.find((p) => p['metadata']['name'] === name) as Obj;
    const configMap = byKind('ConfigMap')[0] as Obj;
    const config = parseConfig((configMap['data'] as Record<string, string>)['hradba.yaml'] ?? '', '/etc/hradba/hradba.yaml');
    /** Whether a pod with these labels is selected by a podSelector (matchLabels and NotIn/In expressions). */
    const selects = (selector: Obj, labels: Record<string, string>): boolean =>
      Object.entries((selector['matchLabels'] ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v) &&
      ((selector['matchExpressions'] ?? []) as Obj[]).every((e) =>
        e['operator'] === 'NotIn' ? !(e['values'] as string[]).includes(labels[e['key']] ?? '') : (e['values'] as string[]).includes(labels[e['key']] ?? ''),
      );
    const podLabels = pod['metadata']['labels'] as Record<string, string>;

    it('are the two the guide describes, networking.k8s.io/v1', () => {
      expect(policies.map((p) => p['metadata']['name']).sort()).toEqual(['dns-only-through-hradba', 'hradba']);
      for (const p of policies) expect(p['apiVersion']).toBe('networking.k8s.io/v1');
    });

    it("hradba's: DNS in from exactly the ConfigMap's non-loopback access networks, on the container's DNS ports", () => {
      const p = policy('hradba');
      expect(selects(p['spec']['podSelector'], podLabels)).toBe(true);
      expect(p['spec']['policyTypes']).toEqual(['Ingress', 'Egress']);
      const dnsIn = (p['spec']['ingress'] as Obj[]).find((r) => (r['ports'] as Obj[]).some((x) => x['port'] === 'dns-udp')) as Obj;
      expect((dnsIn['from'] as Obj[]).map((f) => f['ipBlock']['cidr']).sort()).toEqual(config.access.allow.filter((c) => !c.startsWith('127.')).sort());
      for (const rule of p['spec']['ingress'] as Obj[]) {
        for (const port of rule['ports'] as Obj[]) expect(portNames.get(port['port'])?.['protocol'], String(port['port'])).toBe(port['protocol']);
      }
    });

    it("hradba's: out to every upstream of the ConfigMap over UDP and TCP, and nowhere else", () => {
      const egress = policy('hradba')['spec']['egress'] as Obj[];
      const allowed = (host: string, port: number, protocol: string): boolean =>
        egress.some(
          (r) =>
            (r['to'] as Obj[]).some((t) => t['ipBlock']?.['cidr'] === `${host}/32`) &&
            (r['ports'] as Obj[]).some((x) => x['port'] === port && x['protocol'] === protocol),
        );
      expect(config.upstreams.length).toBeGreaterThan(0);
      for (const u of config.upstreams) {
        expect(u.transport).toBe('udp');
        expect(allowed(u.host, u.port, 'UDP'), u.url).toBe(true);
        expect(allowed(u.host, u.port, 'TCP'), u.url).toBe(true);
      }
      const cidrs = egress.flatMap((r) => (r['to'] as Obj[]).map((t) => t['ipBlock']?.['cidr']));
      expect(cidrs.sort()).toEqual(config.upstreams.map((u) => `${u.host}/32`).sort());
    });

    it('dns-only-through-hradba: 53 only to hradba and cluster DNS, 853 nowhere, every other port open, hradba itself not selected', () => {
      const p = policy('dns-only-through-hradba');
      expect(selects(p['spec']['podSelector'], podLabels)).toBe(false);
      expect(selects(p['spec']['podSelector'], { app: 'workload' })).toBe(true);
      expect(p['spec']['policyTypes']).toEqual(['Egress']);
      const egress = p['spec']['egress'] as Obj[];
      const anywhere = egress.filter((r) => (r['to'] as Obj[]).some((t) => t['ipBlock']?.['cidr'] === '0.0.0.0/0'));
      expect(anywhere).toHaveLength(1);
      expect((anywhere[0]!['to'] as Obj[]).map((t) => t['ipBlock']['cidr']).sort()).toEqual(['0.0.0.0/0', '::/0']);
      for (const protocol of ['TCP', 'UDP']) {
        const ranges = (anywhere[0]!['ports'] as Obj[]).filter((x) => x['protocol'] === protocol).map((x) => [x['port'] as number, (x['endPort'] ?? x['port']) as number]);
        const open = (n: number): boolean => ranges.some(([a, b]) => n >= a! && n <= b!);
        const closed = Array.from({ length: 65535 }, (_, i) => i + 1).filter((n) => !open(n));
        expect(closed, protocol).toEqual([53, 853]);
      }
      const dns = egress.find((r) => r !== anywhere[0]) as Obj;
      expect((dns['ports'] as Obj[]).map((x) => `${x['port']}/${x['protocol']}`).sort()).toEqual(['53/TCP', '53/UDP']);
      expect((dns['to'] as Obj[]).some((t) => t['namespaceSelector'] === undefined && selects(t['podSelector'], podLabels))).toBe(true);
    });
  });
});

/** systemd-analyze is part of systemd; the unit check needs it and nothing else. */
const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

describe('deploy/systemd', () => {
  const unit = read('systemd/hradba.service');

  it('runs serve as a dynamic non-root user with only CAP_NET_BIND_SERVICE, reloads with a check first, never restarts on a bad config', () => {
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/hradba\/dist\/cli\/main\.js serve --config \/etc\/hradba\/hradba\.yaml$/m);
    expect(unit).toMatch(/^DynamicUser=yes$/m);
    expect(unit).toMatch(/^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
    expect(unit).toMatch(/^ExecReload=.* check --config \/etc\/hradba\/hradba\.yaml\nExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=78$/m);
  });

  it.skipIf(systemdAnalyze === undefined)('passes `systemd-analyze verify` without a warning (skipped only where systemd is not installed)', async () => {
    const dir = makeTempDir('systemd');
    try {
      // The unit names the usual /usr/bin/node; verify checks that the binary exists, so point it at the project's Node.
      const file = join(dir, 'hradba.service');
      writeFileSync(file, unit.replaceAll('/usr/bin/node', NODE_BIN));
      const r = await new Promise<{ code: number; out: string }>((resolve) => {
        execFile(systemdAnalyze!, ['verify', file], { timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out: stdout + stderr });
        });
      });
      expect(r.out).toBe('');
      expect(r.code).toBe(0);
    } finally {
      removeTempDir(dir);
    }
  });
});

describe('memory settings in every deployment file', () => {
  /** What README "Memory" asks for: glibc returns big freed buffers at once, V8's young generation stays small. */
  const expected = { MALLOC_MMAP_THRESHOLD_: '131072', NODE_OPTIONS: '--max-semi-space-size=4' };

  it('the image sets them for every process it runs', () => {
    expect(deploymentEnv()).toMatchObject(expected);
  });

  it('the systemd unit, the Kubernetes container and the compose service set the same values', () => {
    const unit = read('systemd/hradba.service');
    const line = /^Environment=(.+)$/m.exec(unit)?.[1] ?? '';
    expect(Object.fromEntries(line.split(/\s+/).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]))).toMatchObject(expected);
    // Before ExecStart's process starts: Environment= lines anywhere in [Service] apply, but keep them in that section.
    expect(unit.indexOf('Environment=')).toBeGreaterThan(unit.indexOf('[Service]'));
    expect(unit.indexOf('Environment=')).toBeLessThan(unit.indexOf('[Install]'));

    const deployment = yamlDocs('kubernetes/deployment.yaml').find((d) => d['kind'] === 'Deployment') as Obj;
    const env = deployment['spec']['template']['spec']['containers'][0]['env'] as { name: string; value: string }[];
    expect(Object.fromEntries(env.map((e) => [e.name, e.value]))).toMatchObject(expected);

    const compose = yamlDoc('compose/docker-compose.yml');
    expect(compose['services']['hradba']['environment']).toMatchObject(expected);
  });
});

describe('memory limits sized by the measured budget', () => {
  /**
   * MiB, measured with bench/memory.mjs (100,000 distinct forwarded names at 5,000 q/s): the first serving thread,
   * each further one, and the growth per MiB of cache.maxBytes (test/integration/memory-under-traffic.test.ts).
   */
  const budget = (config: Config): number => 90 + 40 * ((config.workers === 'auto' ? 0 : config.workers) - 1) + 1.5 * (config.cache.maxBytes / 1048576);
  const mebibytes = (q: string): number => {
    const m = /^(\d+)(Mi|Gi|m|g)$/.exec(q);
    if (m === null) throw new Error(`unexpected quantity ${q}`);
    return Number(m[1]) * (m[2] === 'Gi' || m[2] === 'g' ? 1024 : 1);
  };

  it('Kubernetes requests at least the budget of its ConfigMap and limits above it', async () => {
    const configMap = yamlDocs('kubernetes/configmap.yaml').find((d) => d['kind'] === 'ConfigMap') as Obj;
    const data = configMap['data'] as Record<string, string>;
    const config = await checkContainerConfig(data['hradba.yaml'] ?? '', data);
    expect(config.workers).not.toBe('auto');
    const deployment = yamlDocs('kubernetes/deployment.yaml').find((d) => d['kind'] === 'Deployment') as Obj;
    const resources = deployment['spec']['template']['spec']['containers'][0]['resources'] as Obj;
    expect(mebibytes(resources['requests']['memory'])).toBeGreaterThanOrEqual(budget(config));
    expect(mebibytes(resources['limits']['memory'])).toBeGreaterThan(budget(config) * 1.25);
  });

  it('compose limits above the budget of its config, which fixes the thread count', async () => {
    const config = await checkContainerConfig(read('compose/hradba/hradba.yaml'), { 'agency.list': read('compose/hradba/agency.list') });
    expect(config.workers).not.toBe('auto');
    const hradba = yamlDoc('compose/docker-compose.yml')['services']['hradba'] as Obj;
    expect(mebibytes(hradba['mem_limit'])).toBeGreaterThan(budget(config) * 1.25);
  });
});
