/**
 * Drives the container tools of this machine (podman behind the `container` wrapper, with the settings the sandbox
 * needs) and runs programs inside a container's network namespace with nsenter. Every call is bounded in time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

/** The machine's shared tools sit beside the checkout (`../shared/tools`), on CI machines as on developers'. */
const SHARED_TOOLS = resolve(REPO_ROOT, '..', 'shared', 'tools');
/** The wrapper around podman (`container build|run|kill|logs|rm|healthcheck run`); HRADBA_CONTAINER overrides it. */
export const CONTAINER = process.env['HRADBA_CONTAINER'] ?? resolve(SHARED_TOOLS, 'container');
/** Builds the local node:24-bookworm-slim base image when it is missing; HRADBA_CONTAINER_BASE_IMAGE overrides it. */
export const BASE_IMAGE_TOOL = process.env['HRADBA_CONTAINER_BASE_IMAGE'] ?? resolve(SHARED_TOOLS, 'container-base-image');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (killed after `timeoutMs`); never throws on a non-zero exit. */
export function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the container wrapper; throws with its output unless it exits 0 (or `allowFail`). */
export async function container(args: readonly string[], opts: { timeoutMs?: number; allowFail?: boolean } = {}): Promise<Run> {
  if (!existsSync(CONTAINER)) throw new Error(`${CONTAINER} is missing; set HRADBA_CONTAINER to the podman wrapper`);
  const r = await run(CONTAINER, args, opts.timeoutMs ?? 60_000);
  if (r.code !== 0 && opts.allowFail !== true) throw new Error(`container ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The host PID of the container's main process: the handle on its network namespace. */
export async function containerPid(id: string): Promise<number> {
  const r = await container(['inspect', '-f', '{{.State.Pid}}', id]);
  const pid = Number(r.stdout.trim());
  if (!(pid > 0)) throw new Error(`container ${id} has no running process (pid '${r.stdout.trim()}')`);
  return pid;
}

/** Starts a long-running program inside the network namespace of process `pid` (nsenter -n execs it, so the child is the program). */
export function spawnInNetns(pid: number, file: string, args: readonly string[]): ChildProcess {
  return spawn('nsenter', ['-t', String(pid), '-n', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a program to its end inside the network namespace of process `pid`. */
export function runInNetns(pid: number, file: string, args: readonly string[], timeoutMs = 20_000): Promise<Run> {
  return run('nsenter', ['-t', String(pid), '-n', file, ...args], timeoutMs);
}
