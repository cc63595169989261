/**
 * `npm run web`: starts the local web host. Prints one line with its URL once ready; on SIGINT or
 * SIGTERM it writes everything to disk and exits 0.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HeadlessSync } from '../services/headless-sync';
import { DEFAULT_ATTACHMENT_LIMIT_BYTES } from '../../shared/attachments/attachment';
import { DataDirBusyError, defaultDataDir, withoutToken } from '../services/data-dir';
import { startHostRuntime, type HostRuntime } from '../services/host-runtime';
import { DEFAULT_SIGNALING_PORT } from '../services/lan-sync';
import type { SignalingTls } from '../services/signaling-server';
import { logger } from '../services/logger';
import { isValidToken, startWebHost } from './web-host';
import { errorMessage } from '../../shared/errors';

/** The documented default port; when it is taken, a free one is used. */
export const DEFAULT_PORT = 4317;

/** The documented default port of signalling over TLS (a rendezvous), when certificate files are given. */
export const DEFAULT_SIGNALING_TLS_PORT = 4443;

const USAGE = `usage: npm run web -- [--port N] [--data-dir DIR] [--signaling-port N] [--no-lan] [--attachment-limit-mb N]
                      [--signaling-cert FILE --signaling-key FILE [--signaling-tls-port N]] [--host ADDR --allow-remote]

  Prints the address to open, with a token that changes at every start (the page and its
  connection to this host need it). COMMONPLACE_TOKEN=... in the environment keeps one token
  across starts instead (at least 32 letters, digits, - or _).

  --port N         port to serve on (default ${DEFAULT_PORT}, or a free port if that one is taken)
  --data-dir DIR   where notes are stored (default: ${defaultDataDir()})
  --signaling-port N  port of the peer-to-peer signalling server (default ${DEFAULT_SIGNALING_PORT}, or a free
                   port if that one is taken; 0 for any free port)
  --no-lan         no LAN sync: signalling on 127.0.0.1 only and no mDNS (peers on this machine still sync)
  --signaling-cert FILE, --signaling-key FILE
                   PEM certificate chain and key: signalling also listens over TLS on every interface, as
                   a rendezvous (wss://) for members beyond the LAN
  --signaling-tls-port N  its port (default ${DEFAULT_SIGNALING_TLS_PORT})
  --attachment-limit-mb N  largest file a note may attach, in MB (default 100)
  --host ADDR      address to listen on (default 127.0.0.1)
  --allow-remote   allow a --host beyond loopback (anyone who reaches it can read your notes)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        'allow-remote': { type: 'boolean', default: false },
        'signaling-port': { type: 'string' },
        'no-lan': { type: 'boolean', default: false },
        'attachment-limit-mb': { type: 'string' },
        'signaling-cert': { type: 'string' },
        'signaling-key': { type: 'string' },
        'signaling-tls-port': { type: 'string' },
        // `commonplace serve`: this host syncs its spaces itself, with no window.
        serve: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(errorMessage(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not ${values.port}`);
  const signalingPort = values['signaling-port'] === undefined ? DEFAULT_SIGNALING_PORT : Number(values['signaling-port']);
  if (!Number.isInteger(signalingPort) || signalingPort < 0 || signalingPort > 65535) fail(`--signaling-port must be a port number, not ${values['signaling-port']}`);
  if (values.serve && values['allow-remote']) fail('serve never listens beyond loopback (but for peer signalling): --allow-remote is refused');
  const limitMb = values['attachment-limit-mb'] === undefined ? DEFAULT_ATTACHMENT_LIMIT_BYTES / 1024 / 1024 : Number(values['attachment-limit-mb']);
  if (!Number.isInteger(limitMb) || limitMb < 1 || limitMb > 2048) fail(`--attachment-limit-mb must be a whole number of MB from 1 to 2048, not ${values['attachment-limit-mb']}`);
  let tls: SignalingTls | undefined;
  if (values['signaling-cert'] !== undefined || values['signaling-key'] !== undefined || values['signaling-tls-port'] !== undefined) {
    if (values['signaling-cert'] === undefined || values['signaling-key'] === undefined) fail('--signaling-cert and --signaling-key go together');
    const tlsPort = values['signaling-tls-port'] === undefined ? DEFAULT_SIGNALING_TLS_PORT : Number(values['signaling-tls-port']);
    if (!Number.isInteger(tlsPort) || tlsPort < 1 || tlsPort > 65535) fail(`--signaling-tls-port must be a port number, not ${values['signaling-tls-port']}`);
    try {
      const [certPath, keyPath] = [values['signaling-cert'], values['signaling-key']];
      const read = () => ({ cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') });
      tls = { ...read(), port: tlsPort, reload: read };
    } catch (error) {
      fail(`cannot read the signalling certificate or key: ${errorMessage(error)}`);
    }
  }
  const token = process.env.COMMONPLACE_TOKEN || undefined;
  if (token !== undefined && !isValidToken(token)) fail('COMMONPLACE_TOKEN must be at least 32 letters, digits, - or _');
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  const here = dirname(fileURLToPath(import.meta.url));
  const rendererDir = join(here, '..', 'renderer');
  const version = (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

  // Pages of web hosts on loopback are let in anyway; with --allow-remote the page may have another origin.
  let servedOrigins: readonly string[] = [];
  let runtime: HostRuntime;
  try {
    runtime = await startHostRuntime({
      dataDir,
      host: 'web',
      version,
      lockHolder: 'web host',
      syncRequired: true,
      // An always-on host serves a page too, but mostly nobody has it open.
      windowsExpected: !values.serve,
      attachmentLimit: limitMb * 1024 * 1024,
      lan: { port: signalingPort, lan: !values['no-lan'], fallbackToFreePort: values['signaling-port'] === undefined, allowOrigin: (origin) => servedOrigins.includes(origin), tls },
    });
  } catch (error) {
    if (error instanceof DataDirBusyError) process.stderr.write(`Commonplace: ${error.message}. Stop it first, or pass another --data-dir.\n`);
    else process.stderr.write(`Commonplace: ${errorMessage(error)}\n`);
    process.exit(1);
  }
  const { service } = runtime;
  const sync = runtime.sync!;
  let host;
  try {
    host = await startWebHost({
      service,
      rendererDir,
      port,
      fallbackToFreePort: values.port === undefined,
      host: values.host,
      allowRemote: values['allow-remote'],
      token,
    });
  } catch (error) {
    await runtime.stop();
    process.stderr.write(`Commonplace: ${errorMessage(error)}\n`);
    process.exit(1);
  }
  // The lock is readable by this user only: the command line finds the address and its token there.
  runtime.updateLock({ url: host.url });
  servedOrigins = host.origins();
  const headless = values.serve ? new HeadlessSync(service) : null;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: saving and stopping`);
    try {
      headless?.close();
      await host.close();
      await runtime.stop();
      process.exit(0);
    } catch (error) {
      logger.error(`could not stop cleanly: ${String(error)}`);
      process.exit(1);
    }
  };
  // Before the spaces are joined: a stop while they open still saves what is queued.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  try {
    await headless?.start();
  } catch (error) {
    process.stderr.write(`Commonplace: this machine cannot sync by itself (the WebRTC binding for Node did not load: ${errorMessage(error)}).\n`);
    await host.close();
    await runtime.stop();
    process.exit(1);
  }
  const signalling = sync.info().addresses[0]?.split(':').pop();
  if (headless) {
    // A service's log may be read by others: the page's token stays in the lock (this user's only).
    process.stdout.write(`Commonplace is running at ${withoutToken(host.url)} (notes in ${dataDir}; peer signalling on port ${signalling}; the page's address with its token is in ${join(dataDir, 'host.lock')})\n`);
    process.stdout.write(`Commonplace syncs its spaces itself, with no window (${headless.syncing().length} shared now; spaces joined later are picked up)\n`);
  } else process.stdout.write(`Commonplace is running at ${host.url} (notes in ${dataDir}; peer signalling on port ${signalling})\n`);
}

await main();
