/** Where the integration tests find the repository, the Node 24 binary, the built CLI and the DNS peer tools. */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file lives in test/helpers/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node 24 from the `node` devDependency; the machine's own node may be older. */
export const NODE_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'node');

/** The compiled CLI entry point (`npm run build` produces it; `npm test` builds first). */
export const CLI_JS = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** Fixture zones and lists of the integration tests. */
export const FIXTURES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'integration');

const SEARCH_DIRS = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** Absolute path of a required peer tool; throws (so the test FAILS, never skips) when it is not installed. */
export function requireTool(
  name: 'dig' | 'kdig' | 'nsd' | 'nsd-checkzone' | 'unbound' | 'unbound-control' | 'openssl' | 'delv' | 'ldns-keygen' | 'ldns-signzone' | 'dnsperf',
): string {
  for (const dir of SEARCH_DIRS) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  throw new Error(`${name} is not installed; run test/setup/install-peers.sh (as root) or install bind9-dnsutils knot-dnsutils nsd unbound ldnsutils dnsperf`);
}

/** Throws unless the CLI has been built, with the command that builds it. */
export function requireBuiltCli(): string {
  if (!existsSync(CLI_JS)) throw new Error(`${CLI_JS} is missing; run \`npm run build\` first (npm test does it in pretest)`);
  if (!existsSync(NODE_BIN)) throw new Error(`${NODE_BIN} is missing; run \`npm ci\``);
  return CLI_JS;
}
