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
  const { buildAll, isBuildCurrent } = await import(pathToFileURL(join(root, 'scripts', 'build.mjs')).href);
  if (!isBuildCurrent()) {
    process.stderr.write('Commonplace: building the app (first run or sources changed)...\n');
    await buildAll({ quiet: true });
  }
  process.argv.splice(2, 1, '--serve');
  await import(pathToFileURL(join(root, 'dist', 'web', 'host.mjs')).href);
} else await import(pathToFileURL(cli).href);
