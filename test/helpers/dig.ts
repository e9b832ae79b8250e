/** Runs dig, kdig and delv against a loopback server and reads the parts of their output the integration tests check. */
import { execFile } from 'node:child_process';
import { requireTool } from './paths.js';

export interface ToolRun {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; dig exits 9 when no server answered, kdig non-zero on any failure. */
  readonly code: number;
}

/** Where to send the query: a loopback address and port. */
export interface Target {
  readonly host?: string;
  readonly port: number;
}

/** Hard bound on a tool run, above any +timeout the tests pass. */
const RUN_LIMIT_MS = 20_000;

function run(file: string, args: readonly string[]): Promise<ToolRun> {
  return new Promise((resolveRun) => {
    execFile(file, args, { timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
      let code = 0;
      if (error !== null) code = typeof error.code === 'number' ? error.code : -1;
      resolveRun({ stdout, stderr, code });
    });
  });
}

/**
 * Runs `dig @host -p port +tries=1 +timeout=2 ...args`; later args win, so a test can pass its own +timeout.
 * Does not throw on a non-zero exit: timeouts are results some tests expect.
 */
export function dig(target: Target, args: readonly string[]): Promise<ToolRun> {
  const host = target.host ?? '127.0.0.1';
  return run(requireTool('dig'), [`@${host}`, '-p', String(target.port), '+tries=1', '+timeout=2', ...args]);
}

/** Runs `kdig @host -p port +retry=0 +time=2 ...args` (Knot's spelling of the same bounds). */
export function kdig(target: Target, args: readonly string[]): Promise<ToolRun> {
  const host = target.host ?? '127.0.0.1';
  return run(requireTool('kdig'), [`@${host}`, '-p', String(target.port), '+retry=0', '+time=2', ...args]);
}

export interface DigAnswer {
  /** RCODE name as printed (NOERROR, NXDOMAIN, ...), or null when no reply was printed. */
  readonly status: string | null;
  readonly id: number | null;
  /** Header flags, lower-case (qr, aa, tc, rd, ra, ad, cd). */
  readonly flags: readonly string[];
  readonly counts: { readonly query: number; readonly answer: number; readonly authority: number; readonly additional: number } | null;
  /** Question lines without the leading ';' (kdig's ';; ' too), whitespace collapsed. */
  readonly question: readonly string[];
  /** Record lines of each section, whitespace collapsed to single spaces. */
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  /** The reply carried an OPT record. */
  readonly hasOpt: boolean;
  readonly ede: { readonly code: number; readonly name: string; readonly text: string } | null;
  /** Bytes received, from dig's MSG SIZE or kdig's "Received N B". */
  readonly msgSize: number | null;
  /** The raw output, for failure messages. */
  readonly text: string;
}

type SectionName = 'question' | 'answer' | 'authority' | 'additional';

const collapse = (line: string): string => line.trim().replace(/\s+/g, ' ');

/** Parses dig or kdig output (one reply; for several, the first). */
export function parseDig(text: string): DigAnswer {
  const lines = text.split('\n');
  let status: string | null = null;
  let id: number | null = null;
  let flags: string[] = [];
  let counts: DigAnswer['counts'] = null;
  const question: string[] = [];
  const sections: Record<'answer' | 'authority' | 'additional', string[]> = { answer: [], authority: [], additional: [] };
  let hasOpt = false;
  let ede: DigAnswer['ede'] = null;
  let msgSize: number | null = null;
  let section = null as SectionName | null;
  let replies = 0;

  for (const raw of lines) {
    const line = raw.trimEnd();
    const header = /->>HEADER<<- opcode: \w+[,;] status: (\w+)[,;] id: (\d+)/.exec(line);
    if (header !== null) {
      replies++;
      if (replies > 1) break;
      status = header[1] ?? null;
      id = Number(header[2]);
      continue;
    }
    // dig: ";; flags: qr rd ra; QUERY: 1, ANSWER: 0, ..."; kdig: ";; Flags: qr rd ra; QUERY: 1; ANSWER: 0; ..."
    const flagLine = /^;; [Ff]lags:([^;]*); QUERY: (\d+)[,;] ANSWER: (\d+)[,;] AUTHORITY: (\d+)[,;] ADDITIONAL: (\d+)/.exec(line);
    if (flagLine !== null) {
      flags = (flagLine[1] ?? '').trim().split(/\s+/).filter((f) => f !== '');
      counts = {
        query: Number(flagLine[2]),
        answer: Number(flagLine[3]),
        authority: Number(flagLine[4]),
        additional: Number(flagLine[5]),
      };
      continue;
    }
    if (/^;; (OPT|EDNS) PSEUDOSECTION:/.test(line)) {
      hasOpt = true;
      section = null;
      continue;
    }
    // dig: "; EDE: 15 (Blocked): (text)"; kdig: ";; EDE: 15 (Blocked): 'text'"
    const edeLine = /^;;? EDE: (\d+)(?: \(([^)]*)\))?(?:: (.*))?$/.exec(line);
    if (edeLine !== null) {
      let edeText = (edeLine[3] ?? '').trim();
      if ((edeText.startsWith('(') && edeText.endsWith(')')) || (edeText.startsWith("'") && edeText.endsWith("'"))) {
        edeText = edeText.slice(1, -1);
      }
      ede = { code: Number(edeLine[1]), name: edeLine[2] ?? '', text: edeText };
      continue;
    }
    const sectionLine = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (sectionLine !== null) {
      section = (sectionLine[1] ?? '').toLowerCase() as SectionName;
      continue;
    }
    const size = /^;; MSG SIZE\s+rcvd: (\d+)/.exec(line) ?? /^;; Received (\d+) B/.exec(line);
    if (size !== null) {
      msgSize = Number(size[1]);
      section = null;
      continue;
    }
    if (line === '') {
      section = null;
      continue;
    }
    if (section === 'question') {
      question.push(collapse(line.replace(/^;+\s*/, '')));
    } else if (section !== null && !line.startsWith(';')) {
      sections[section].push(collapse(line));
    }
  }
  return {
    status,
    id,
    flags,
    counts,
    question,
    answer: sections.answer,
    authority: sections.authority,
    additional: sections.additional,
    hasOpt,
    ede,
    msgSize,
    text,
  };
}

/** Record data fields of answer lines of one type: `rdata(a, 'A')` → ['192.0.2.10']. */
export function rdata(answer: DigAnswer, type: string): string[] {
  return answer.answer
    .map((line) => line.split(' '))
    .filter((fields) => fields[3] === type)
    .map((fields) => fields.slice(4).join(' '));
}

/** dig and kdig say this when nothing came back. */
export function isNoReply(run: ToolRun): boolean {
  const all = run.stdout + run.stderr;
  return /timed out|no servers could be reached|connection refused|failed to query server/i.test(all) && !/->>HEADER<<-/.test(all);
}

/**
 * Runs BIND's validator, `delv @host -p port -a anchorFile +root ...args`: it validates every answer itself from
 * the trust anchors in `anchorFile` (a `trust-anchors { ... };` clause), asking the server only as a stub.
 * It exits 0 whatever it concluded, so callers read its output: '; fully validated', '; negative response,
 * unsigned answer', or ';; resolution failed: broken trust chain' on stderr.
 */
export function delv(target: Target, anchorFile: string, args: readonly string[]): Promise<ToolRun> {
  const host = target.host ?? '127.0.0.1';
  return run(requireTool('delv'), [`@${host}`, '-p', String(target.port), '-a', anchorFile, '+root', ...args]);
}
