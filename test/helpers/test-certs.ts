/** A throwaway CA and server certificates made with openssl at test time, for the DoT and DoH upstream tests. */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './paths.js';

export interface TestCa {
  /** PEM file of the CA certificate. */
  readonly caFile: string;
  readonly caPem: string;
  /** Makes a server key and certificate for `name` (as subjectAltName), signed by the CA (or self-signed). */
  issue(name: string, opts?: { selfSigned?: boolean }): { keyFile: string; certFile: string; spkiPin: string };
}

/** Creates a CA in `dir`. */
export function makeTestCa(dir: string): TestCa {
  const openssl = requireTool('openssl');
  const run = (args: string[]): void => {
    execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=hradba test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 0;
  return {
    caFile,
    caPem: readFileSync(caFile, 'utf8'),
    issue(name, opts = {}) {
      serial++;
      const keyFile = join(dir, `server${serial}.key`);
      const certFile = join(dir, `server${serial}.pem`);
      const ext = join(dir, `server${serial}.ext`);
      writeFileSync(ext, `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
      if (opts.selfSigned === true) {
        run(['req', '-x509', ...ec, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`,
          '-addext', `subjectAltName=DNS:${name}`]);
      } else {
        const csr = join(dir, `server${serial}.csr`);
        run(['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`]);
        run(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial', String(1000 + serial),
          '-out', certFile, '-days', '2', '-extfile', ext]);
      }
      const cert = new X509Certificate(readFileSync(certFile));
      const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
      return { keyFile, certFile, spkiPin: createHash('sha256').update(spki).digest('base64') };
    },
  };
}
