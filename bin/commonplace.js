#!/usr/bin/env node
// The `commonplace` command: runs the bundled CLI, building it first when it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'commonplace.mjs');
if (!existsSync(cli)) {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.status !== 0 || !existsSync(cli)) {
    console.error('Commonplace: could not build the command-line tool (npm run build).');
    process.exit(1);
  }
}
// `serve` is the web host that syncs by itself (it takes the web host's flags), built again when the sources changed, as `npm run web` does.
if (process.argv[2] === 'serve') {
  const { isBuildCurrent } = await import(pathToFileURL(join(root, 'scripts', 'build.mjs')).href);
  if (!isBuildCurrent()) {
    process.stderr.write('Commonplace: building the app (first run or sources changed)...\n');
    // In a process of its own: a build's memory (several hundred MB) would otherwise stay with the host for as long as it runs.
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) {
      console.error('Commonplace: could not build the app (npm run build).');
      process.exit(1);
    }
  }
  process.argv.splice(2, 1, '--serve');
  await import(pathToFileURL(join(root, 'dist', 'web', 'host.mjs')).href);
} else await import(pathToFileURL(cli).href);
