/** Runs one-shot hradba commands (check, explain, report, --help, --version) and captures their output and exit code. */
import { spawn } from 'node:child_process';
import { NODE_BIN, REPO_ROOT, requireBuiltCli } from './paths.js';

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/cli/main.js ...args`, optionally feeding `input` on stdin; killed after `timeoutMs`. */
export function runCli(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const cli = requireBuiltCli();
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(NODE_BIN, [cli, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      rejectRun(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {
      // the command may exit without reading stdin
    });
    child.stdin.end(opts.input ?? '');
  });
}
