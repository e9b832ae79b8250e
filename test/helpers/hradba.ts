/** Starts the built hradba CLI as a separate process with a config and lists in a temp dir, and collects its JSON log lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { stopChild, trackChild } from './child-registry.js';
import { freePort, ipv6LoopbackWorks } from './free-port.js';
import { NODE_BIN, REPO_ROOT, requireBuiltCli } from './paths.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/** One stdout line: the parsed JSON object, or `{raw}` for a line that is not JSON. */
export type LogLine = Record<string, unknown>;

export interface HradbaOptions {
  /**
   * The config as an object, written as YAML to `<tmp>/hradba.yaml`. When it has no `listen`, the helper
   * adds 127.0.0.1:<free port> (and [::1]:<port> where IPv6 loopback works).
   * null: start without --config (the shipped default config), with --listen 127.0.0.1:<free port> added.
   */
  readonly config: Record<string, unknown> | null;
  /** List files written next to the config: file name → content (refer to them as `{file: name}` in `lists`). */
  readonly lists?: Readonly<Record<string, string>>;
  /** Extra arguments after `serve --config FILE`. */
  readonly args?: readonly string[];
  /** Bound on reaching the `listening` line. */
  readonly startTimeoutMs?: number;
  /** Called synchronously for each stdout line as it arrives (e.g. to signal the process at an exact moment). */
  readonly onLogLine?: (line: LogLine, proc: ChildProcess) => void;
  /** Extra environment variables for the process (e.g. NODE_EXTRA_CA_CERTS for a test CA). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface HradbaProcess {
  /** The UDP+TCP port it listens on (127.0.0.1 and, when `ipv6`, ::1). */
  readonly port: number;
  readonly ipv6: boolean;
  readonly proc: ChildProcess;
  /** Temp dir holding the config and lists. */
  readonly dir: string;
  /** The config file passed with --config (null for the default config). */
  readonly configFile: string | null;
  /** Every stdout line so far. */
  logs(): LogLine[];
  /** stdout and stderr text so far, for failure messages and `hradba report`. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line (past or future) matching `pred`; rejects after `timeoutMs` or when the process ends first. */
  waitForLog(pred: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  /** Absolute path of a list file in the temp dir. */
  listPath(name: string): string;
  /** Rewrites a list file (then send SIGHUP to reload). */
  writeList(name: string, content: string): void;
  /** Rewrites the config file (then send SIGHUP to reload). */
  writeConfig(config: Record<string, unknown>): void;
  kill(signal: NodeJS.Signals): void;
  /** Settles once the process has exited and its stdout is fully read. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, bounded wait, then SIGKILL; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

function parseLine(line: string): LogLine {
  try {
    const value: unknown = JSON.parse(line);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as LogLine;
  } catch {
    // not JSON: keep it raw
  }
  return { raw: line };
}

/** Spawns `node dist/cli/main.js serve ...` and waits for its `{"event":"listening"}` line. */
export async function startHradba(opts: HradbaOptions): Promise<HradbaProcess> {
  const cli = requireBuiltCli();
  const ipv6 = await ipv6LoopbackWorks();
  const dir = makeTempDir('hradba');
  for (const [name, content] of Object.entries(opts.lists ?? {})) writeFileSync(join(dir, name), content);

  let port: number;
  const args: string[] = [cli, 'serve'];
  let configFile: string | null = null;
  let listensOnIpv6 = false;
  if (opts.config === null) {
    port = await freePort();
    args.push('--listen', `127.0.0.1:${port}`);
  } else {
    const config: Record<string, unknown> = { ...opts.config };
    if (config['listen'] === undefined) {
      port = await freePort({ ipv6 });
      config['listen'] = [`127.0.0.1:${port}`, ...(ipv6 ? [`[::1]:${port}`] : [])];
      listensOnIpv6 = ipv6;
    } else {
      const listen = (config['listen'] as unknown[]).map(String);
      const first = listen[0] ?? '';
      port = Number(first.slice(first.lastIndexOf(':') + 1));
      listensOnIpv6 = listen.some((a) => a.includes('::1'));
    }
    configFile = join(dir, 'hradba.yaml');
    writeFileSync(configFile, stringify(config));
    args.push('--config', configFile);
  }
  args.push(...(opts.args ?? []));

  const env = opts.env === undefined ? process.env : { ...process.env, ...opts.env };
  const child = spawn(NODE_BIN, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  trackChild(child);
  const lines: LogLine[] = [];
  let stdoutText = '';
  let stderrText = '';
  let partial = '';
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdoutText += chunk;
    partial += chunk;
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line.trim() !== '') {
        const parsed = parseLine(line);
        lines.push(parsed);
        opts.onLogLine?.(parsed, child);
      }
      nl = partial.indexOf('\n');
    }
    notify();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderrText += chunk));

  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('close', (code, signal) => {
      if (partial.trim() !== '') lines.push(parseLine(partial));
      partial = '';
      ended = true;
      notify();
      done({ code, signal });
    });
  });

  const tail = (): string => `\n--- stdout (last lines) ---\n${stdoutText.split('\n').slice(-15).join('\n')}\n--- stderr ---\n${stderrText.slice(-3000)}`;

  const handle: HradbaProcess = {
    port,
    ipv6: listensOnIpv6,
    proc: child,
    dir,
    configFile,
    logs: () => [...lines],
    stdout: () => stdoutText,
    stderr: () => stderrText,
    waitForLog(pred, timeoutMs) {
      return new Promise((resolveWait, rejectWait) => {
        let timer: NodeJS.Timeout | undefined;
        const check = (): void => {
          const hit = lines.find(pred);
          if (hit !== undefined) {
            finish();
            resolveWait(hit);
          } else if (ended) {
            finish();
            rejectWait(new Error(`hradba exited (code ${String(child.exitCode)}, signal ${String(child.signalCode)}) before the awaited log line${tail()}`));
          }
        };
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        timer = setTimeout(() => {
          finish();
          rejectWait(new Error(`no matching hradba log line within ${timeoutMs} ms${tail()}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    listPath: (name) => join(dir, name),
    writeList: (name, content) => writeFileSync(join(dir, name), content),
    writeConfig(config) {
      if (configFile === null) throw new Error('this hradba runs on the default config; there is no config file to rewrite');
      writeFileSync(configFile, stringify(config));
    },
    kill: (signal) => void child.kill(signal),
    exited,
    async stop() {
      await stopChild(child, 'SIGTERM', 8000);
      await Promise.race([exited, new Promise((done) => setTimeout(done, 2000))]);
      removeTempDir(dir);
    },
  };

  try {
    await handle.waitForLog((l) => l['event'] === 'listening', opts.startTimeoutMs ?? 15_000);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}
