/**
 * A self-signed certificate for a test's own rendezvous (wss://), made with the openssl command line
 * (Debian's openssl package; .ci/run installs it). Node trusts it through `ca` or NODE_EXTRA_CA_CERTS,
 * Chromium through --ignore-certificate-errors-spki-list with its key's fingerprint, which trusts this
 * one key and nothing else.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { commandUnavailable } from './required';
import { join } from 'node:path';

export interface TestCertificate {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
  /** base64 SHA-256 of the certificate's public key (SubjectPublicKeyInfo), as Chromium's flag wants it. */
  spki: string;
}

/** Why no certificate can be made here, or null. */
export function opensslUnavailable(): string | null {
  return commandUnavailable('openssl', ['version'], 'openssl');
}

/** A certificate for `ips` (and localhost), valid for a day, written into `dir`. */
export function makeTestCertificate(dir: string, ips: string[]): TestCertificate {
  const certPath = join(dir, 'rendezvous.crt');
  const keyPath = join(dir, 'rendezvous.key');
  const names = ['DNS:localhost', ...ips.map((ip) => `IP:${ip}`)].join(',');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=commonplace-test-rendezvous', '-addext', `subjectAltName=${names}`, '-keyout', keyPath, '-out', certPath], {
    stdio: 'ignore',
    timeout: 20_000,
  });
  const cert = readFileSync(certPath, 'utf8');
  const key = readFileSync(keyPath, 'utf8');
  const spkiDer = createPublicKey(cert).export({ type: 'spki', format: 'der' });
  return { certPath, keyPath, cert, key, spki: createHash('sha256').update(spkiDer).digest('base64') };
}
