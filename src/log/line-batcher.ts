/**
 * Collects the log lines of one event-loop turn and hands them to the destination as one string. Under load a turn
 * answers many queries; passing each line on alone cost the serving thread more than building it (the destination
 * measures and concatenates its pending text on every write). Lines wait at most until the end of the current turn.
 */

/** Where batches go: a sonic-boom destination, or anything with the same write. */
export interface LineSink {
  write(text: string): boolean;
}

export class LineBatcher {
  readonly #sink: LineSink;
  readonly #maxBytes: number;
  #lines: string[] = [];
  #bytes = 0;
  #scheduled = false;
  readonly #flushSoon = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /**
   * `maxBytes` bounds one batch: a batch is passed on before a line would take it past the bound, so every write
   * holds whole lines, never more than `maxBytes` bytes unless one line alone is longer.
   */
  constructor(sink: LineSink, maxBytes: number) {
    this.#sink = sink;
    this.#maxBytes = maxBytes;
  }

  /** write takes one or more whole lines (pino's calling convention: a string ending in a newline). */
  write(line: string): boolean {
    // Byte length, not string length: the bound is on what reaches the kernel (non-ASCII names are a few bytes per character).
    const bytes = Buffer.byteLength(line);
    if (this.#bytes + bytes > this.#maxBytes && this.#lines.length > 0) this.flush();
    this.#lines.push(line);
    this.#bytes += bytes;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
    return true;
  }

  /** flush passes every pending line on now. */
  flush(): void {
    if (this.#lines.length === 0) return;
    const text = this.#lines.length === 1 ? (this.#lines[0] ?? '') : this.#lines.join('');
    this.#lines = [];
    this.#bytes = 0;
    this.#sink.write(text);
  }
}
