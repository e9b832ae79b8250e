/**
 * Network namespaces the tests create for themselves (root only): a small world of hosts joined by veth pairs,
 * with documentation-prefix addresses that exist nowhere else, for tests that need real routing and a packet
 * filter (firewall rules). Every namespace is deleted again by `remove`; nothing touches the machine's own network.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { stopChild, trackChild } from './child-registry.js';

/** Hard bound on one command. */
const RUN_LIMIT_MS = 20_000;

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** run executes a command (not in a namespace), resolving with its exit code and output; never throws. */
export function run(file: string, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolveRun) => {
    const child = execFile(file, args, { timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolveRun({ code, stdout, stderr });
    });
    // A command that exits without reading its input closes the pipe: that is its answer, not an error.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** One namespace of the world. */
export interface Netns {
  readonly name: string;
  /** Runs a command inside it. */
  exec(file: string, args: readonly string[], input?: string): Promise<Run>;
  /** Runs a command inside it and throws with its output when it fails. */
  must(file: string, args: readonly string[], input?: string): Promise<string>;
  /** Starts a long-running process inside it (tracked, stopped by `stop`). */
  spawn(file: string, args: readonly string[]): ChildProcess;
}

/** A set of namespaces made by createNetns; `remove` stops their processes and deletes them. */
export interface NetnsWorld {
  ns(name: string): Netns;
  /** Joins two namespaces with a veth pair (`a`'s end named `ifA`, `b`'s `ifB`), both ends up. */
  link(a: string, ifA: string, b: string, ifB: string): Promise<void>;
  remove(): Promise<void>;
}

/** createNetns makes one namespace per name (prefixed with `prefix` and the pid, so parallel runs never meet), loopback up. */
export async function createNetns(prefix: string, names: readonly string[]): Promise<NetnsWorld> {
  const full = (n: string): string => `${prefix}${process.pid}${n}`;
  const children: ChildProcess[] = [];
  const made: string[] = [];
  const world: NetnsWorld = {
    ns(name) {
      const ns = full(name);
      const exec = (file: string, args: readonly string[], input?: string): Promise<Run> => run('ip', ['netns', 'exec', ns, file, ...args], input);
      return {
        name: ns,
        exec,
        async must(file, args, input) {
          const r = await exec(file, args, input);
          if (r.code !== 0) throw new Error(`in ${ns}: ${file} ${args.join(' ')} failed (${r.code}):\n${r.stdout}${r.stderr}`);
          return r.stdout;
        },
        spawn(file, args) {
          // `ip netns exec` execs the command itself, so the child's pid is the server's.
          const child = spawn('ip', ['netns', 'exec', ns, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
          trackChild(child);
          children.push(child);
          return child;
        },
      };
    },
    async link(a, ifA, b, ifB) {
      const r = await run('ip', ['-n', full(a), 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', full(b)]);
      if (r.code !== 0) throw new Error(`veth ${a}/${ifA} - ${b}/${ifB}: ${r.stderr}`);
      await world.ns(a).must('ip', ['link', 'set', ifA, 'up']);
      await world.ns(b).must('ip', ['link', 'set', ifB, 'up']);
    },
    async remove() {
      await Promise.all(children.map((c) => stopChild(c, 'SIGTERM', 5000)));
      for (const ns of made) await run('ip', ['netns', 'del', ns]);
    },
  };
  try {
    for (const n of names) {
      const r = await run('ip', ['netns', 'add', full(n)]);
      if (r.code !== 0) throw new Error(`ip netns add ${full(n)} failed (root is needed): ${r.stderr}`);
      made.push(full(n));
      await world.ns(n).must('ip', ['link', 'set', 'lo', 'up']);
    }
  } catch (error) {
    await world.remove();
    throw error;
  }
  return world;
}
