/** Reading a config file: YAML syntax first, then the schema; every problem found is thrown together, each with its line. */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { HradbaError, type Located } from '../errors.js';
import { buildConfig } from './schema.js';
import type { Config } from './types.js';

function configError(file: string, problems: readonly Located[]): HradbaError {
  const n = problems.length;
  return new HradbaError('HRADBA_ERR_CONFIG', `${file}: ${n} problem${n === 1 ? '' : 's'}`, { problems });
}

function readReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return err instanceof Error ? err.message : String(err);
}

// Unquoted '[::1]:5353' reads as a flow list followed by junk; the YAML message alone does not say so.
const UNQUOTED_BRACKETS = /^\s*(?:-\s*)?(?:[\w.]+:\s*)?\[[0-9A-Fa-f:.]*\]:\d/;

function syntaxProblems(text: string, file: string, lc: LineCounter, errors: readonly { pos: [number, number]; code: string; message: string }[]): Located[] {
  const lines = text.split('\n');
  return errors.map((e) => {
    const line = Math.max(1, lc.linePos(e.pos[0]).line);
    let message = e.code === 'MULTIPLE_DOCS' ? 'the file holds more than one YAML document (a second ---); hradba reads one' : e.message;
    if (UNQUOTED_BRACKETS.test(lines[line - 1] ?? '')) message += ` (quote bracketed addresses: "[::1]:5353")`;
    return { file, line, message: `YAML syntax: ${message}` };
  });
}

/** Parses config text; relative paths resolve against file's directory. Throws HRADBA_ERR_CONFIG listing every problem. */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  // prettyErrors off: messages stay one line; the line number comes from the LineCounter.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  // Warnings (an unknown !tag, for instance) count as problems: a security config should mean exactly what it says.
  const syntax = syntaxProblems(text, file, lineCounter, [...doc.errors, ...doc.warnings]);
  // Schema messages about a half-parsed document would only add noise, so syntax problems come alone.
  if (syntax.length > 0) throw configError(file, syntax);
  const result = buildConfig({ doc, lineCounter, text, file });
  if (!result.ok) throw configError(file, result.problems);
  return result.config;
}

/** Reads and parses a config file; an unreadable file is a HRADBA_ERR_CONFIG problem too. */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw configError(file, [{ file, line: 0, message: `cannot read config: ${readReason(err)}` }]);
  }
  return parseConfig(text, file);
}
