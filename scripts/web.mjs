#!/usr/bin/env node
// `npm run web`: builds the app if the sources changed since the last build, then starts the web host.
import { buildAll, isBuildCurrent } from './build.mjs';

if (!isBuildCurrent()) {
  process.stderr.write('Commonplace: building the app (first run or sources changed)...\n');
  await buildAll({ quiet: true });
}
await import('../dist/web/host.mjs');
