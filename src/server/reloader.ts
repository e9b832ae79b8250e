/** Runs reloads one at a time; a request during a reload queues exactly one more (later requests fold into it). */

export class Reloader {
  readonly #run: () => Promise<void>;
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;

  constructor(run: () => Promise<void>) {
    this.#run = run;
  }

  /** request starts a reload, or queues one behind the running one; resolves when that reload has finished. */
  request(): Promise<void> {
    if (this.#running === null) {
      this.#running = this.#run().finally(() => {
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
