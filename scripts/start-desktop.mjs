#!/usr/bin/env node
// `npm start`: runs the desktop shell. The Electron binary is not installed with the packages
// (its install script is disabled), so it is fetched here on first use; where it cannot be
// fetched, one line points at `npm run web`, which serves the same app to a browser.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll, isBuildCurrent } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const DOWNLOAD_TIMEOUT_MS = 120_000;
const UNAVAILABLE =
  'Commonplace: the desktop shell is unavailable here (the Electron binary could not be downloaded); `npm run web` runs the same app in your browser.';

/** The electron package's folder; resolving does not load it (loading it would start a download). */
function electronPackageDir() {
  try {
    return dirname(require.resolve('electron'));
  } catch {
    return null;
  }
}

/** The Electron executable, if it is on disk; mirrors how the electron package finds it. */
function electronBinary(packageDir) {
  const pathFile = join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = join(override, relative || 'electron');
    return existsSync(candidate) ? candidate : null;
  }
  if (!relative) return null;
  const candidate = join(packageDir, 'dist', relative);
  return existsSync(candidate) ? candidate : null;
}

/** Runs the electron package's own installer, quietly and for a bounded time. */
function tryDownload(packageDir) {
  const installer = join(packageDir, 'install.js');
  if (!existsSync(installer)) return;
  spawnSync(process.execPath, [installer], {
    cwd: packageDir,
    stdio: 'pipe',
    encoding: 'utf8',
    timeout: DOWNLOAD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
}

function findOrFetchElectron() {
  const packageDir = electronPackageDir();
  if (!packageDir) return null;
  const found = electronBinary(packageDir);
  if (found) return found;
  tryDownload(packageDir);
  return electronBinary(packageDir);
}

// The binary is checked before building, so an unavailable shell costs no build and prints one line.
const electron = findOrFetchElectron();
if (!electron) {
  console.log(UNAVAILABLE);
  process.exit(0);
}

if (!isBuildCurrent()) await buildAll();

const env = { ...process.env };
// Set, it would make the binary a plain Node.js instead of the app.
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(electron, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env, windowsHide: false });

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on('error', (error) => {
  console.error(`Commonplace: the desktop shell could not start: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});
