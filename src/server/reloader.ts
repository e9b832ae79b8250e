/**
 * Runs reloads one at a time; a request during a reload queues exactly one more (later requests fold into it).
 * A forced request (SIGUSR2) forces the reload that serves it, also when it folds into one already queued: the
 * operator's decision stands.
 */

export class Reloader {
  readonly #run: (force: boolean) => Promise<void>;
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  #force = false;

  constructor(run: (force: boolean) => Promise<void>) {
    this.#run = run;
  }

  /** request starts a reload, or queues one behind the running one; resolves when that reload has finished. */
  request(force = false): Promise<void> {
    if (force) this.#force = true;
    if (this.#running === null) {
      const forced = this.#force;
      this.#force = false;
      this.#running = this.#run(forced).finally(() => {
        this.#running = null;
      });
      return this.#running;
    }
    if (this.#queued === null) {
      this.#queued = this.#running.catch(() => undefined).then(() => {
        this.#queued = null;
        return this.request();
      });
    }
    return this.#queued;
  }

  /** settled resolves once no reload is running or queued. */
  async settled(): Promise<void> {
    while (this.#running !== null || this.#queued !== null) await (this.#queued ?? this.#running)?.catch(() => undefined);
  }
}
