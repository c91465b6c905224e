// Throw-away certificates for TLS labs, generated at check time (no private key is ever
// committed): a test CA and one leaf certificate per host name, ECDSA P-256 (fast to sign
// and to verify, so handshakes stay cheap on a 2-core machine), valid for two days.
// Made with the openssl command (OpenSSL 3: `req -x509 -CA`): Node can parse certificates but
// cannot issue them.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { which } from '../netns/exec.js';

const run = promisify(execFile);

export interface TestPki {
  /** the CA certificate, PEM: what probes trust */
  caPem: string;
  /** where <name>.crt and <name>.key are (the CA's key is elsewhere) */
  certDir: string;
  /** the leaf certificates, PEM, by host name */
  leafPem: Record<string, string>;
}

export class OpensslMissingError extends Error {
  constructor() {
    super('the openssl command (OpenSSL 3) is needed to generate test certificates: install it (apt-get install openssl)');
  }
}

/**
 * Writes `<certDir>/<name>.crt` and `<name>.key` (PKCS#8) for each name, signed by a fresh CA
 * whose files go to `<root>/ca`. `certDir` defaults to `<root>/certs`.
 */
export async function generateTestPki(root: string, names: string[], opts: { certDir?: string; days?: number } = {}): Promise<TestPki> {
  const openssl = which('openssl');
  if (!openssl) throw new OpensslMissingError();
  const caDir = join(root, 'ca');
  const certDir = opts.certDir ?? join(root, 'certs');
  mkdirSync(caDir, { recursive: true, mode: 0o700 });
  mkdirSync(certDir, { recursive: true, mode: 0o755 });
  const days = String(opts.days ?? 2);
  const genkey = (out: string) => run(openssl, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
  const caKey = join(caDir, 'ca.key');
  const caCrt = join(caDir, 'ca.crt');
  await genkey(caKey);
  await run(openssl, ['req', '-x509', '-new', '-key', caKey, '-subj', '/CN=Go HA Labs test CA', '-days', days, '-out', caCrt]);
  const leafPem: Record<string, string> = {};
  await Promise.all(
    names.map(async (name) => {
      if (!/^[a-z0-9.-]+$/.test(name)) throw new Error(`not a host name: ${JSON.stringify(name)}`);
      const key = join(certDir, `${name}.key`);
      const crt = join(certDir, `${name}.crt`);
      await genkey(key);
      await run(openssl, [
        'req', '-x509', '-new', '-key', key, '-CA', caCrt, '-CAkey', caKey,
        '-subj', `/CN=${name}`,
        '-addext', `subjectAltName=DNS:${name}`,
        '-addext', 'basicConstraints=critical,CA:FALSE',
        '-addext', 'extendedKeyUsage=serverAuth',
        '-days', days, '-out', crt,
      ]);
      leafPem[name] = readFileSync(crt, 'utf8');
    }),
  );
  return { caPem: readFileSync(caCrt, 'utf8'), certDir, leafPem };
}
