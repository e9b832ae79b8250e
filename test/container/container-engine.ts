/**
 * The container engine the container test drives: Docker where it is installed and its daemon answers (as users
 * have it), podman otherwise, through the `container` wrapper beside the checkout when there is one (the settings
 * the sandboxed CI machines need). Also runs programs inside a container's network namespace with nsenter. Every
 * call is bounded in time; a machine with neither engine fails the test (never skips it) and says what to install.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

/** Helper scripts that may sit beside the checkout (`../shared/tools`); used when present, never required. */
const SHARED_TOOLS = resolve(REPO_ROOT, '..', 'shared', 'tools');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (killed after `timeoutMs`); never throws on a non-zero exit. */
export function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** An executable file, or undefined. */
function executable(file: string): string | undefined {
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const found = dir === '' ? undefined : executable(join(dir, name));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The engine and how it is called. */
export interface Engine {
  readonly kind: 'docker' | 'podman';
  /** The program run for every verb. */
  readonly command: string;
  /** True when `command` is the wrapper, which adds podman's Docker-like settings itself. */
  readonly wrapper: boolean;
  /** Builds the local base image when it is missing (podman without registry access); undefined: the engine pulls it. */
  readonly baseImageTool: string | undefined;
}

/**
 * chooseEngine picks the engine. HRADBA_CONTAINER_ENGINE=docker|podman forces one; HRADBA_CONTAINER names the
 * podman wrapper and HRADBA_CONTAINER_BASE_IMAGE the base-image tool when they are not beside the checkout.
 */
export async function chooseEngine(): Promise<Engine> {
  const forced = process.env['HRADBA_CONTAINER_ENGINE'];
  const docker = onPath('docker');
  // A docker CLI without a reachable daemon is not Docker installed: `docker version` asks the daemon.
  if (forced === 'docker' || (forced === undefined && docker !== undefined && (await run(docker, ['version', '--format', '{{.Server.Version}}'], 20_000)).code === 0)) {
    if (docker === undefined) throw new Error('HRADBA_CONTAINER_ENGINE=docker but docker is not on PATH');
    return { kind: 'docker', command: docker, wrapper: false, baseImageTool: undefined };
  }
  const wrapper = executable(process.env['HRADBA_CONTAINER'] ?? join(SHARED_TOOLS, 'container'));
  const baseImageTool = executable(process.env['HRADBA_CONTAINER_BASE_IMAGE'] ?? join(SHARED_TOOLS, 'container-base-image'));
  if (wrapper !== undefined) return { kind: 'podman', command: wrapper, wrapper: true, baseImageTool };
  const podman = onPath('podman');
  if (podman !== undefined) return { kind: 'podman', command: podman, wrapper: false, baseImageTool };
  throw new Error('no container engine: install Docker (with its daemon running) or podman, then run `npm run test:container` again');
}

let chosen: Promise<Engine> | undefined;
/** The engine of this run, chosen once. */
export function engine(): Promise<Engine> {
  chosen ??= chooseEngine();
  return chosen;
}

/**
 * What plain podman needs to build and run an image as Docker does (the wrapper adds the same): the Docker image
 * format, which keeps HEALTHCHECK, and unprivileged port 53 inside the container, Docker's default since 20.10.
 */
function podmanArgs(args: readonly string[]): readonly string[] {
  const [verb, ...rest] = args;
  if (verb === 'build') return ['build', '--format', 'docker', ...rest];
  if ((verb === 'run' || verb === 'create') && !rest.some((a) => a === '--network=host' || a === '--net=host')) {
    return [verb, '--sysctl', 'net.ipv4.ip_unprivileged_port_start=0', ...rest];
  }
  return args;
}

/** Runs an engine verb (`build`, `run`, `logs`, `kill`, `inspect`, `exec`, `wait`, `rm`); throws with its output unless it exits 0 (or `allowFail`). */
export async function container(args: readonly string[], opts: { timeoutMs?: number; allowFail?: boolean } = {}): Promise<Run> {
  const e = await engine();
  const r = await run(e.command, e.kind === 'podman' && !e.wrapper ? podmanArgs(args) : args, opts.timeoutMs ?? 60_000);
  if (r.code !== 0 && opts.allowFail !== true) throw new Error(`${e.kind} ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Makes sure `ref`, the Dockerfile's base image, can be built on: Docker and podman with registry access pull it
 * during the build; with the base-image tool beside the checkout (machines without registry access), it is built
 * locally once when missing.
 */
export async function prepareBaseImage(ref: string): Promise<void> {
  const e = await engine();
  if (e.kind !== 'podman' || e.baseImageTool === undefined) return;
  if ((await container(['image', 'exists', ref], { allowFail: true })).code === 0) return;
  const base = await run(e.baseImageTool, [], 600_000);
  if (base.code !== 0) throw new Error(`building the base image failed:\n${base.stdout}\n${base.stderr}`);
}

/**
 * Asks for one run of the image's HEALTHCHECK and resolves with the container's health status: podman runs it on
 * request (`healthcheck run`); Docker runs it on its own schedule (the Dockerfile's interval), so this reads it.
 */
export async function healthcheck(id: string): Promise<string> {
  const e = await engine();
  if (e.kind === 'podman') await container(['healthcheck', 'run', id], { allowFail: true });
  return (await container(['inspect', '-f', '{{.State.Health.Status}}', id])).stdout.trim();
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
