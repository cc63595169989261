/**
 * The relay lab of relay.e2e.ts and the relay benchmark: two homes behind NAT and a public network
 * (NatLab), coturn on the public network's service address, and a certificate for its rendezvous.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { removeDir, startHost, tempDir, type RunningHost } from './harness';
import { makeTestCertificate, opensslUnavailable, type TestCertificate } from '../support/tls-cert';
import { NatLab, natUnavailable, type Home } from './netns';
import { commandUnavailable } from '../support/required';
import { poll } from './peers';

export const SERVICE = NatLab.SERVICE_ADDRESS;
export const RENDEZVOUS = `wss://${SERVICE}:4443`;
export const TURN_PORT = 3478;
export const TURN_USER = 'ward-7';
export const TURN_PASSWORD = 'correct-horse-battery';

const coturnUnavailable = () => commandUnavailable('turnserver', ['--version'], 'coturn');

/** Why the lab cannot be built here, or null. */
export function relayLabUnavailable(): string | null {
  return natUnavailable() ?? opensslUnavailable() ?? coturnUnavailable();
}

export interface RelayLab {
  lab: NatLab;
  homes: [Home, Home];
  scratch: string;
  cert: TestCertificate;
  /** What coturn printed so far. */
  coturnLog: () => string;
  /** For hosts: trust the rendezvous's certificate. */
  env: Record<string, string>;
  /** For browsers: trust the rendezvous's certificate (its key only). */
  browserArgs: string[];
  /** `commonplace serve` on the public network, its signalling also a rendezvous over TLS on port 4443. */
  startAlwaysOn: (dataDir: string) => Promise<RunningHost>;
  /** Runs bin/commonplace.js on the public network. */
  cli: (...args: string[]) => string;
  destroy: () => Promise<void>;
}

export async function startRelayLab(prefix: string): Promise<RelayLab> {
  const scratch = await tempDir(`${prefix}-lab`);
  const lab = new NatLab(prefix);
  const processes: ChildProcess[] = [];
  const destroy = async () => {
    for (const child of processes) child.kill('SIGKILL');
    lab.destroy();
    await removeDir(scratch);
  };
  try {
    lab.start();
    const homes: [Home, Home] = [lab.addHome(), lab.addHome()];
    const cert = makeTestCertificate(scratch, [SERVICE]);
    let coturnLog = '';
    const coturn = spawn(
      'ip',
      // prettier-ignore
      ['netns', 'exec', lab.publicNs, 'turnserver', '-n', '--no-cli', '--no-tls', '--no-dtls', `--listening-ip=${SERVICE}`, `--relay-ip=${SERVICE}`, `--listening-port=${TURN_PORT}`,
        '--min-port=49152', '--max-port=49500', '--lt-cred-mech', '--fingerprint', '--realm=commonplace.test', `--user=${TURN_USER}:${TURN_PASSWORD}`,
        '--log-file=stdout', '--simple-log', '--verbose', '--no-software-attribute', `--pidfile=${join(scratch, 'turnserver.pid')}`, `--userdb=${join(scratch, 'turndb')}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    processes.push(coturn);
    coturn.stdout!.on('data', (d: Buffer) => (coturnLog += d.toString()));
    coturn.stderr!.on('data', (d: Buffer) => (coturnLog += d.toString()));
    const env = { NODE_EXTRA_CA_CERTS: cert.certPath };
    return {
      lab,
      homes,
      scratch,
      cert,
      coturnLog: () => coturnLog,
      env,
      browserArgs: [`--ignore-certificate-errors-spki-list=${cert.spki}`],
      startAlwaysOn: (dataDir) =>
        startHost(dataDir, 0, {
          netns: lab.publicNs,
          serve: true,
          args: ['--signaling-port', '0', '--signaling-cert', cert.certPath, '--signaling-key', cert.keyPath, '--signaling-tls-port', '4443'],
          env,
        }),
      cli: (...args) => execFileSync('ip', ['netns', 'exec', lab.publicNs, process.execPath, 'bin/commonplace.js', ...args], { encoding: 'utf8', env: { ...process.env, ...env } }),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** Fills the space's relays under "Connect to address" › "Beyond this network" and saves them, through the UI. */
export async function setRelays(page: Page, relays: { rendezvous: string; turn: string; username: string; password: string }): Promise<void> {
  await page.getByRole('button', { name: 'Connect to address' }).click();
  const form = page.getByRole('form', { name: 'Relays' });
  if (!(await form.isVisible())) await page.getByText('Beyond this network', { exact: true }).click();
  await form.getByRole('textbox', { name: 'Rendezvous' }).fill(relays.rendezvous);
  await form.getByRole('textbox', { name: 'TURN server' }).fill(relays.turn);
  await form.getByRole('textbox', { name: 'TURN username' }).fill(relays.username);
  await form.getByLabel('TURN password').fill(relays.password);
  await form.getByRole('button', { name: 'Save relays' }).click();
  await expect.poll(() => form.getByRole('alert').textContent(), poll).toMatch(/^Saved/);
  await page.getByRole('button', { name: 'Close' }).click();
}
