/** The certificate check of DoT and DoH upstreams: the configured name (RFC 7858 strict profile) and an optional public key pin. */
import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Upstream } from '../config/types.js';
import type { TlsOptions } from './transport.js';

/** Checks `cert` against the upstream's name, then its pin; returns the error that ends the handshake, or undefined. */
export function checkUpstreamCertificate(upstream: Upstream, cert: PeerCertificate): Error | undefined {
  // Checked against the configured name, never the IP we connect to: the name is what the agency trusts.
  const err = checkServerIdentity(upstream.tlsName ?? '', cert);
  if (err !== undefined) return err;
  if (upstream.spkiPin !== null) {
    // The DER SubjectPublicKeyInfo, as in RFC 7469 pins (`cert.pubkey` is only the raw key for EC certificates).
    const spki = new X509Certificate(cert.raw).publicKey.export({ type: 'spki', format: 'der' });
    const pin = createHash('sha256').update(spki).digest('base64');
    if (pin !== upstream.spkiPin) return new Error(`public key pin mismatch for ${upstream.tlsName ?? ''} (got ${pin})`);
  }
  return undefined;
}

/** Opens a TLS connection to the upstream's address, verifying its certificate against its name (and pin). */
export function connectTls(upstream: Upstream, alpn: string[], tls: TlsOptions): TLSSocket {
  return tlsConnect({
    host: upstream.host,
    port: upstream.port,
    servername: upstream.tlsName ?? undefined,
    ALPNProtocols: alpn,
    rejectUnauthorized: true,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    checkServerIdentity: (_host, cert) => checkUpstreamCertificate(upstream, cert),
  });
}
