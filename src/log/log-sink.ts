/**
 * The log's destination: one writer for the service log and the evidence lines, that batches the lines of an
 * event-loop turn into few writes, holds a bounded backlog while the disk or pipe fails, counts every line it has to
 * drop, reopens the file after rotation (SIGHUP, or a moved or deleted file found by its inode), and closes within a
 * deadline whatever the disk does. Logging never throws into the query path and never stops the server.
 */
import { closeSync, fstatSync, fsync, mkdirSync, openSync, stat, write, writeSync, close as closeFd } from 'node:fs';
import { dirname } from 'node:path';

/** What the sink tells its owner; the owner decides where it goes (the log itself, or stderr when the log fails). */
export type SinkEvent =
  /** Writing failed and lines are held (or, for a dead pipe, dropped) until it works again. */
  | { readonly kind: 'fault'; readonly code: string; readonly message: string; readonly permanent: boolean }
  /** Lines were dropped since the last summary; `logWorks` says whether the log itself can carry the summary. */
  | { readonly kind: 'dropped'; readonly count: number; readonly total: number; readonly reason: string; readonly sinceMs: number; readonly logWorks: boolean }
  /** Writing works again after a fault. */
  | { readonly kind: 'recovered'; readonly code: string; readonly faultMs: number }
  /** The file was opened again (after rotation). */
  | { readonly kind: 'reopened'; readonly reason: string }
  /** The file could not be opened again; the old descriptor stays in use. */
  | { readonly kind: 'reopen-failed'; readonly reason: string; readonly message: string };

export interface LogSinkOptions {
  /** Log file (appended to, directory created), or null for stdout. */
  readonly file: string | null;
  /** Most lines held in memory while writing lags or fails; lines beyond it are dropped and counted. */
  readonly maxBacklog: number;
  /** Most bytes one write carries (whole lines only, unless a single line is longer). */
  readonly maxWrite: number;
  /** Every this many ms the file's path is compared with the open file (inode), to follow a rotation. */
  readonly checkMs?: number;
  /** Dropped lines are summarised at most once per this many ms. */
  readonly summaryMs?: number;
  readonly onEvent: (ev: SinkEvent) => void;
}

/** A snapshot of the sink for /metrics and /readyz. */
export interface LogSinkStats {
  /** Lines handed to the kernel. */
  readonly written: number;
  /** Lines dropped (backlog full, dead destination, or still unwritten at the close deadline). */
  readonly dropped: number;
  /** Lines held in memory now. */
  readonly backlog: number;
  /** Times the file was opened again. */
  readonly reopened: number;
  /** null while writing works; else the error code of the failing write ('EPIPE', 'ENOSPC'...). */
  readonly fault: string | null;
  /** Whether the fault cannot heal (a closed pipe): everything logged from then on is dropped. */
  readonly failed: boolean;
  /** Date.now() of the last dropped line, or null. */
  readonly lastDropMs: number | null;
}

/** Retry of a failing write (full disk, I/O error): often enough to notice freed space, rare enough to cost nothing. */
const RETRY_MS = 1_000;
/** Retry while closing: the deadline is short, so use it. */
const CLOSING_RETRY_MS = 50;
/**
 * Under load a write of evidence lines follows the previous write by at least this long (unless a batch is half
 * full), so a busy second is a few hundred writes, not one per event-loop turn. Lines wait at most this long; when
 * idle, the first line goes at once, and a service line (any line through pino) never waits.
 */
const LINGER_MS = 4;
/** Retry of a write the pipe refused for now (EAGAIN). */
const AGAIN_MS = 10;
export const DEFAULT_CHECK_MS = 2_000;
export const DEFAULT_SUMMARY_MS = 5_000;

/** Errors after which a pipe or terminal never takes a byte again. */
const DEAD_DESTINATION = new Set(['EPIPE', 'ECONNRESET', 'EBADF', 'EINVAL']);

export class LogSink {
  readonly #opts: LogSinkOptions;
  #fd: number;
  #dev = -1;
  #ino = -1;
  /** Lines waiting for the next write. */
  #pending: string[] = [];
  #pendingChars = 0;
  /** The write handed to libuv (or waiting for a retry), and how many lines it holds. */
  #inflight: Buffer | null = null;
  #inflightLines = 0;
  #scheduled = false;
  #lingerTimer: NodeJS.Timeout | null = null;
  /** A line that must not linger waits in #pending. */
  #urgent = false;
  #lastWriteMs = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #reopenWanted: string | null = null;
  #checking = false;
  #closing = false;
  #closed = false;
  #drained: (() => void) | null = null;

  #written = 0;
  #dropped = 0;
  #droppedSinceSummary = 0;
  #summaryStart = Date.now();
  /** Drops the log itself has not recorded yet, and since when. */
  #unlogged = 0;
  #unloggedSince = 0;
  #lastDropMs: number | null = null;
  #lastDropReason = 'backlog full';
  #reopened = 0;
  #fault: string | null = null;
  #faultSince = 0;
  #failed = false;

  readonly #checkTimer: NodeJS.Timeout | null;
  readonly #summaryTimer: NodeJS.Timeout;

  readonly #kick = (): void => {
    this.#scheduled = false;
    this.#soon();
  };
  readonly #lingered = (): void => {
    this.#lingerTimer = null;
    if (this.#inflight === null) this.#next();
  };
  readonly #retry = (): void => {
    this.#retryTimer = null;
    this.#applyReopen();
    this.#send();
  };
  readonly #onWritten = (err: NodeJS.ErrnoException | null, n: number): void => this.#written_(err, n);

  /** Opens the destination synchronously, so a bad path fails at startup; throws the open error. */
  constructor(opts: LogSinkOptions) {
    this.#opts = opts;
    this.#fd = opts.file === null ? 1 : openAppend(opts.file);
    this.#remember();
    this.#checkTimer = opts.file === null ? null : setInterval(() => this.#check(), opts.checkMs ?? DEFAULT_CHECK_MS).unref();
    this.#summaryTimer = setInterval(() => this.#summarise(), opts.summaryMs ?? DEFAULT_SUMMARY_MS).unref();
  }

  /**
   * write takes one record: one or more whole lines ending in a newline. It never throws and never blocks; a line that
   * cannot be held (backlog full, dead destination, closed sink) is dropped and counted. `linger`: the line may wait
   * (up to LINGER_MS) for others to share its write (evidence lines under load); service lines do not wait.
   */
  write(text: string, linger = false): boolean {
    if (this.#closed || this.#failed || this.#pending.length + this.#inflightLines >= this.#opts.maxBacklog) {
      this.#drop(1, this.#closed ? 'closed' : this.#failed ? (this.#fault ?? 'failed') : 'backlog full');
      return true;
    }
    this.#pending.push(text);
    this.#pendingChars += text.length;
    if (!linger) {
      this.#urgent = true;
      if (this.#lingerTimer !== null) {
        clearTimeout(this.#lingerTimer);
        this.#lingerTimer = null;
      }
    }
    if (!this.#scheduled && this.#inflight === null && this.#lingerTimer === null) {
      // Lines of this turn go out together, in one write, once the turn's work is done.
      this.#scheduled = true;
      setImmediate(this.#kick);
    }
    return true;
  }

  /** reopen opens the file again at its path (after logrotate moved it); for stdout it does nothing. */
  reopen(reason = 'requested'): void {
    if (this.#opts.file === null || this.#closed) return;
    this.#reopenWanted = reason;
    if (this.#inflight === null) this.#applyReopen();
  }

  stats(): LogSinkStats {
    return {
      written: this.#written,
      dropped: this.#dropped,
      backlog: this.#pending.length + this.#inflightLines,
      reopened: this.#reopened,
      fault: this.#fault,
      failed: this.#failed,
      lastDropMs: this.#lastDropMs,
    };
  }

  /** Resolves once every line written so far has been handed to the kernel, or `timeoutMs` passed (then false). */
  flush(timeoutMs = 10_000): Promise<boolean> {
    if (this.#idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#drained = null;
        resolve(false);
      }, timeoutMs);
      const previous = this.#drained;
      this.#drained = () => {
        previous?.();
        clearTimeout(timer);
        resolve(true);
      };
      if (this.#inflight === null) this.#now();
    });
  }

  /**
   * flushSync writes the pending lines (not the write already in flight, which libuv owns) synchronously: for exit
   * paths that cannot await. One attempt per batch: a failing disk loses the rest (counted), it never loops.
   */
  flushSync(): void {
    if (this.#closed || this.#failed) return;
    let again = 0;
    while (this.#pending.length > 0) {
      const { buf, lines } = this.#take();
      let off = 0;
      try {
        while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
        this.#written += lines;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
        if (code === 'EAGAIN' && again++ < 100) {
          this.#pending.unshift(buf.subarray(off).toString());
          this.#pendingChars += buf.length - off;
          continue;
        }
        this.#drop(lines + this.#pending.length, code);
        this.#pending = [];
        this.#pendingChars = 0;
        return;
      }
    }
  }

  /**
   * close writes what it holds, fsyncs and closes the file (stdout stays open), giving up at `deadlineMs`: whatever
   * is still unwritten then is counted as dropped and reported on stderr. Later writes are dropped.
   */
  async close(deadlineMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    if (this.#checkTimer !== null) clearInterval(this.#checkTimer);
    clearInterval(this.#summaryTimer);
    const budget = Math.max(0, deadlineMs - Date.now());
    if (this.#retryTimer !== null) {
      // A fault is being waited out: retry at the closing pace.
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(this.#retry, CLOSING_RETRY_MS);
    }
    const done = await this.flush(budget);
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    if (!done) {
      const left = this.#pending.length + this.#inflightLines;
      this.#pending = [];
      this.#pendingChars = 0;
      // A write libuv still holds ends on the closed descriptor; its lines are counted here.
      this.#inflight = null;
      this.#inflightLines = 0;
      this.#drop(left, this.#fault === null ? 'close deadline' : `${this.#fault} at close deadline`);
    }
    this.#summarise(true);
    if (this.#opts.file !== null) {
      const fd = this.#fd;
      // fsync can wait on a sick disk too: bounded by what is left of the deadline.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()));
        fsync(fd, () => {
          clearTimeout(timer);
          closeFd(fd, () => resolve());
        });
      });
    }
  }

  /** Starts the next write now, or after the linger when the previous one was moments ago and the batch is small. */
  #soon(): void {
    if (this.#inflight !== null || this.#lingerTimer !== null) return;
    const since = Date.now() - this.#lastWriteMs;
    if (!this.#urgent && !this.#closing && since < LINGER_MS && this.#pendingChars < this.#opts.maxWrite / 2) {
      this.#lingerTimer = setTimeout(this.#lingered, LINGER_MS - since);
      return;
    }
    this.#next();
  }

  /** Starts the next write without lingering (flush, close). */
  #now(): void {
    if (this.#lingerTimer !== null) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = null;
    }
    this.#next();
  }

  #idle(): boolean {
    return this.#pending.length === 0 && this.#inflight === null;
  }

  #drop(n: number, reason: string): void {
    if (n <= 0) return;
    this.#dropped += n;
    this.#droppedSinceSummary += n;
    if (this.#unlogged === 0) this.#unloggedSince = Date.now();
    this.#unlogged += n;
    this.#lastDropMs = Date.now();
    this.#lastDropReason = reason;
  }

  /** Moves pending lines (up to maxWrite bytes, whole lines) into one buffer. */
  #take(): { buf: Buffer; lines: number } {
    const max = this.#opts.maxWrite;
    const all = this.#pending;
    let n = 0;
    let chars = 0;
    // Characters bound the batch; for non-ASCII text the bytes are more, which only a pipe shared by several threads
    // must not exceed (PIPE_BUF): byteLength is counted exactly there (maxWrite is small then).
    const exact = max <= 4096;
    while (n < all.length) {
      const len = exact ? Buffer.byteLength(all[n]!) : all[n]!.length;
      if (n > 0 && chars + len > max) break;
      chars += len;
      n++;
    }
    let text: string;
    if (n === all.length) {
      text = n === 1 ? all[0]! : all.join('');
      this.#pending = [];
      this.#pendingChars = 0;
    } else {
      const part = all.splice(0, n);
      text = part.join('');
      this.#pendingChars -= text.length;
    }
    return { buf: Buffer.from(text), lines: n };
  }

  /** Starts the next write, or settles a flush when nothing is left. */
  #next(): void {
    if (this.#pending.length === 0) {
      const drained = this.#drained;
      this.#drained = null;
      drained?.();
      return;
    }
    const { buf, lines } = this.#take();
    // Only once every line is in a write; what the bound left behind keeps its hurry.
    if (this.#pending.length === 0) this.#urgent = false;
    this.#inflight = buf;
    this.#inflightLines = lines;
    this.#lastWriteMs = Date.now();
    this.#send();
  }

  #send(): void {
    const buf = this.#inflight;
    if (buf === null) {
      this.#next();
      return;
    }
    write(this.#fd, buf, 0, buf.length, null, this.#onWritten);
  }

  #written_(err: NodeJS.ErrnoException | null, n: number): void {
    const buf = this.#inflight;
    if (buf === null) return;
    if (err !== null) {
      this.#onFault(err);
      return;
    }
    if (n < buf.length) {
      // A short write (the disk filled mid-buffer): the rest goes next, so the line stays whole.
      this.#inflight = buf.subarray(n);
      this.#send();
      return;
    }
    this.#written += this.#inflightLines;
    this.#inflight = null;
    this.#inflightLines = 0;
    if (this.#fault !== null) {
      const code = this.#fault;
      this.#fault = null;
      this.#opts.onEvent({ kind: 'recovered', code, faultMs: Date.now() - this.#faultSince });
      // The log works again: say now what it lost.
      this.#summarise();
    }
    this.#applyReopen();
    // A flush or close waits: write what is left at once; otherwise let the next lines gather.
    if (this.#drained !== null || this.#closing || this.#pending.length === 0) this.#now();
    else this.#soon();
  }

  #onFault(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'EIO';
    if (code === 'EAGAIN') {
      this.#retryTimer = setTimeout(this.#retry, AGAIN_MS);
      return;
    }
    const permanent = this.#opts.file === null && DEAD_DESTINATION.has(code);
    const first = this.#fault !== code;
    if (first) {
      this.#fault = code;
      this.#faultSince = Date.now();
      this.#opts.onEvent({ kind: 'fault', code, message: err.message, permanent });
    }
    if (permanent) {
      // Nobody reads this pipe any more: hold nothing, count everything.
      this.#failed = true;
      this.#drop(this.#inflightLines + this.#pending.length, code);
      this.#inflight = null;
      this.#inflightLines = 0;
      this.#pending = [];
      this.#pendingChars = 0;
      this.#summarise();
      const drained = this.#drained;
      this.#drained = null;
      drained?.();
      return;
    }
    this.#retryTimer = setTimeout(this.#retry, this.#closing ? CLOSING_RETRY_MS : RETRY_MS);
    if (!this.#closing) this.#retryTimer.unref();
  }

  /**
   * One summary per interval: on stderr while the log fails (the drops of that interval); in the log itself as soon
   * as it works again (every drop it has not recorded yet), so the evidence file says what it is missing.
   */
  #summarise(final = false): void {
    const logWorks = !final && this.#fault === null && !this.#failed && !this.#closed;
    if (logWorks && this.#unlogged > 0) {
      this.#opts.onEvent({ kind: 'dropped', count: this.#unlogged, total: this.#dropped, reason: this.#lastDropReason, sinceMs: this.#unloggedSince, logWorks });
      this.#unlogged = 0;
    } else if (!logWorks && this.#droppedSinceSummary > 0) {
      this.#opts.onEvent({ kind: 'dropped', count: this.#droppedSinceSummary, total: this.#dropped, reason: this.#lastDropReason, sinceMs: this.#summaryStart, logWorks });
    }
    this.#droppedSinceSummary = 0;
    this.#summaryStart = Date.now();
  }

  #remember(): void {
    try {
      const st = fstatSync(this.#fd);
      this.#dev = st.dev;
      this.#ino = st.ino;
    } catch {
      this.#dev = -1;
      this.#ino = -1;
    }
  }

  /** Compares the path with the open file: moved away (mv) or deleted (rm) means the next line goes to a new file. */
  #check(): void {
    const file = this.#opts.file;
    if (file === null || this.#checking || this.#closed) return;
    this.#checking = true;
    stat(file, (err, st) => {
      this.#checking = false;
      if (err !== null) {
        if (err.code === 'ENOENT') this.reopen('deleted');
        return;
      }
      if (st.ino !== this.#ino || st.dev !== this.#dev) this.reopen('moved');
    });
  }

  /** Swaps the descriptor when a reopen is wanted and no write holds the old one. */
  #applyReopen(): void {
    const reason = this.#reopenWanted;
    const file = this.#opts.file;
    if (reason === null || file === null || this.#closed) return;
    this.#reopenWanted = null;
    let fd: number;
    try {
      fd = openAppend(file);
    } catch (err) {
      this.#opts.onEvent({ kind: 'reopen-failed', reason, message: err instanceof Error ? err.message : String(err) });
      return;
    }
    const old = this.#fd;
    this.#fd = fd;
    this.#remember();
    this.#reopened++;
    try {
      closeSync(old);
    } catch {
      // The old file is gone either way.
    }
    this.#opts.onEvent({ kind: 'reopened', reason });
  }
}

/** Opens (creating directories and file as needed) a file for appending. */
function openAppend(file: string): number {
  mkdirSync(dirname(file), { recursive: true });
  // 0o640: the lines name client addresses, so other local users should not read them.
  return openSync(file, 'a', 0o640);
}
