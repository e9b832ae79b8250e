/** DNS over HTTPS (RFC 8484) to one upstream: one HTTP/2 session, each query a POST of application/dns-message with ID 0. */
import { connect as h2connect, constants as h2, type ClientHttp2Session } from 'node:http2';
import type { Upstream } from '../config/types.js';
import { isAnswerTo } from './reply-match.js';
import { connectTls } from './tls-check.js';
import type { TlsOptions, Transport, TransportExchange } from './transport.js';

const MEDIA_TYPE = 'application/dns-message';
/** Largest DNS message; a longer body is not a DNS answer. */
const MAX_BODY = 65535;

/** Creates the transport for an https:// upstream; the session opens on first use and reopens after it ends. */
export function createDohTransport(upstream: Upstream, tls: TlsOptions = {}): Transport {
  let session: ClientHttp2Session | null = null;
  let inFlight = 0;
  let closed = false;
  let lastError: string | null = null;
  const authority = `https://${upstream.tlsName ?? upstream.host}:${upstream.port}`;

  const open = (): ClientHttp2Session => {
    // The TLS connection goes to the configured address; the name is for SNI, the certificate and :authority only.
    const s = h2connect(authority, { createConnection: () => connectTls(upstream, ['h2'], tls) });
    const forget = (): void => {
      if (session === s) session = null;
    };
    s.on('error', (err: Error) => {
      lastError = err.message;
      forget();
    });
    s.on('close', forget);
    s.on('goaway', forget);
    s.unref();
    return s;
  };

  return {
    upstream,
    get inFlight() {
      return inFlight;
    },
    get lastError() {
      return lastError;
    },

    exchange(query: Buffer, questionEnd: number, deadlineMs: number): TransportExchange {
      if (closed) return { promise: Promise.resolve(null), cancel: () => {} };
      if (session === null || session.closed || session.destroyed) session = open();
      // RFC 8484 §4.1: ID 0, so identical queries are identical requests (HTTP caches); TLS protects the exchange.
      const body = Buffer.from(query);
      body.writeUInt16BE(0, 0);
      inFlight++;
      let done = false;
      let finish!: (reply: Buffer | null) => void;
      const promise = new Promise<Buffer | null>((resolve) => {
        finish = (reply) => {
          if (done) return;
          done = true;
          inFlight--;
          clearTimeout(timer);
          if (!req.destroyed) req.close(h2.NGHTTP2_CANCEL);
          resolve(reply);
        };
      });
      const req = session.request({
        [h2.HTTP2_HEADER_METHOD]: 'POST',
        [h2.HTTP2_HEADER_PATH]: upstream.path ?? '/dns-query',
        [h2.HTTP2_HEADER_CONTENT_TYPE]: MEDIA_TYPE,
        [h2.HTTP2_HEADER_ACCEPT]: MEDIA_TYPE,
        [h2.HTTP2_HEADER_CONTENT_LENGTH]: body.length,
      });
      const timer = setTimeout(() => finish(null), deadlineMs);
      let ok = false;
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('response', (headers) => {
        const type = String(headers[h2.HTTP2_HEADER_CONTENT_TYPE] ?? '').split(';')[0]!.trim().toLowerCase();
        ok = Number(headers[h2.HTTP2_HEADER_STATUS]) === 200 && type === MEDIA_TYPE;
        if (!ok) {
          lastError = `HTTP status ${String(headers[h2.HTTP2_HEADER_STATUS])}, content-type '${type}'`;
          finish(null);
        }
      });
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) return finish(null);
        chunks.push(chunk);
      });
      req.on('end', () => {
        const reply = Buffer.concat(chunks, size);
        finish(ok && isAnswerTo(reply, 0, body, questionEnd) ? reply : null);
      });
      req.on('error', () => finish(null));
      req.on('close', () => finish(null));
      req.end(body);
      return { promise, cancel: () => finish(null) };
    },

    close(): Promise<void> {
      closed = true;
      const s = session;
      session = null;
      if (s === null) return Promise.resolve();
      return new Promise((resolve) => {
        s.close(() => resolve());
        s.destroy();
      });
    },
  };
}
