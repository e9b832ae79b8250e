/** One query over a fresh TCP connection (RFC 1035 §4.2.2 length framing), used after a truncated UDP answer. */
import { connect, type Socket } from 'node:net';
import { isAnswerTo } from './reply-match.js';
import type { UpstreamTarget } from './upstream-target.js';

/** Why a TCP exchange ended without an answer. */
export type TcpFailure = 'tcp-error' | 'tcp-mismatch';

/** A running exchange; the caller bounds its time and calls cancel() when that runs out. */
export interface TcpExchange {
  /** Drops the connection; `done` is not called after this. */
  cancel(): void;
}

/**
 * Sends `query` (its first two bytes replaced by `id`) to `target` over TCP and calls `done` once: with the reply when
 * it passes the same checks as over UDP, else with the failure. Has no timer of its own: the caller's attempt
 * timer decides when to give up.
 */
export function startTcpExchange(
  target: UpstreamTarget,
  query: Buffer,
  questionEnd: number,
  id: number,
  done: (reply: Buffer | null, failure: TcpFailure | null) => void,
): TcpExchange {
  const framed = Buffer.allocUnsafe(query.length + 2);
  framed.writeUInt16BE(query.length, 0);
  query.copy(framed, 2);
  framed.writeUInt16BE(id, 2);

  let finished = false;
  let lengthBytes = 0;
  let length = 0;
  let reply: Buffer | null = null;
  let filled = 0;

  const socket: Socket = connect({ host: target.address, port: target.port, family: target.family, noDelay: true });

  const finish = (answer: Buffer | null, failure: TcpFailure | null): void => {
    if (finished) return;
    finished = true;
    socket.destroy();
    done(answer, failure);
  };

  socket.on('data', (chunk: Buffer) => {
    let at = 0;
    // Read the 2-byte length (it may arrive split), then copy the body into a buffer of exactly that size.
    while (lengthBytes < 2 && at < chunk.length) {
      length = (length << 8) | chunk[at++]!;
      lengthBytes++;
    }
    if (lengthBytes < 2) return;
    if (reply === null) {
      if (length < 12) return finish(null, 'tcp-mismatch');
      reply = Buffer.allocUnsafe(length);
    }
    filled += chunk.copy(reply, filled, at, Math.min(chunk.length, at + length - filled));
    if (filled < length) return;
    // The first message on our own connection must be the answer; anything else means a broken upstream.
    const matches = isAnswerTo(reply, id, query, questionEnd);
    finish(matches ? reply : null, matches ? null : 'tcp-mismatch');
  });
  socket.on('error', () => finish(null, 'tcp-error'));
  socket.on('close', () => finish(null, 'tcp-error'));
  socket.write(framed);

  return {
    cancel(): void {
      finished = true;
      socket.destroy();
    },
  };
}
