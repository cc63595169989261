#!/usr/bin/env node
// Builds what the hosts run: the renderer (Vite) and the Node/Electron entry points (esbuild).
// `--if-needed` skips the work when dist/ is newer than every source file.
import { build as esbuild } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampPath = join(root, 'dist', '.build-stamp');
const SOURCES = ['shared', 'main', 'renderer', 'scripts', 'package.json', 'package-lock.json', 'vite.config.ts'];

function newestSourceTime() {
  let newest = 0;
  const visit = (path) => {
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info) return;
    if (info.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name));
    } else {
      newest = Math.max(newest, info.mtimeMs);
    }
  };
  for (const source of SOURCES) visit(join(root, source));
  return newest;
}

export function isBuildCurrent() {
  const stamp = statSync(stampPath, { throwIfNoEntry: false });
  return Boolean(stamp) && existsSync(join(root, 'dist', 'renderer', 'index.html')) && stamp.mtimeMs >= newestSourceTime();
}

// @lexical/yjs is CommonJS and requires yjs's CommonJS build; one copy of yjs must serve everything.
const yjsFile = join(root, 'node_modules', 'yjs', 'dist', 'yjs.mjs');

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  alias: { yjs: yjsFile },
  // Native optional speed-ups of ws; it works without them.
  // @roamhq/wrtc loads its prebuilt binary at run time.
  external: ['bufferutil', 'utf-8-validate', 'electron', '@roamhq/wrtc'],
};

/** Entry points whose source exists (the CLI and the desktop shell may be absent in a partial checkout). */
function existingEntries(entries) {
  return Object.fromEntries(
    Object.entries(entries)
      .filter(([, file]) => existsSync(join(root, file)))
      .map(([name, file]) => [name, join(root, file)]),
  );
}

export async function buildAll({ quiet = false } = {}) {
  const started = Date.now();
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: join(root, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
  await Promise.all([
    esbuild({
      ...nodeCommon,
      entryPoints: existingEntries({ 'web/host': 'main/web/cli.ts', 'cli/commonplace': 'main/cli/commonplace.ts' }),
      outdir: join(root, 'dist'),
      format: 'esm',
      outExtension: { '.js': '.mjs' },
      banner: { js: "import { createRequire as __cpRequire } from 'node:module'; const require = __cpRequire(import.meta.url);" },
    }),
    esbuild({
      ...nodeCommon,
      entryPoints: existingEntries({ 'electron/main': 'main/electron/main.ts', 'electron/preload': 'main/electron/preload.ts' }),
      outdir: join(root, 'dist'),
      format: 'cjs',
      outExtension: { '.js': '.cjs' },
    }),
  ]);
  // The desktop app's tray icon (the packaged app holds dist/ only).
  mkdirSync(join(root, 'dist', 'electron'), { recursive: true });
  copyFileSync(join(root, 'build', 'icon.png'), join(root, 'dist', 'electron', 'tray.png'));
  writeFileSync(stampPath, new Date().toISOString());
  if (!quiet) console.log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifNeeded = process.argv.includes('--if-needed');
  if (!ifNeeded || !isBuildCurrent()) await buildAll();
}
