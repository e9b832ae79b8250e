/** What a listener knows of a query's sender, and the contract between listeners and the query handler. */

export type Transport = 'udp' | 'tcp';

/** The raw socket peer of a query (the identified client comes later, from policy). */
export interface Remote {
  readonly address: string;
  readonly port: number;
  readonly transport: Transport;
}

/**
 * Answers one raw DNS message. Returns the raw answer, or null to send nothing.
 * Sinkhole and error answers come back synchronously; forwarded ones as a promise,
 * so the common blocked path costs no microtask.
 */
export type QueryHandler = (msg: Buffer, remote: Remote) => Buffer | null | Promise<Buffer | null>;

/** A bound listener; `close()` stops accepting and resolves once the socket is closed. */
export interface Listener {
  readonly description: string;
  /** The bound port (differs from the configured one when that was 0). */
  readonly port: number;
  close(): Promise<void>;
}
