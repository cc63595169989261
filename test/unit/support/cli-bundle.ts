/** The command line bundled the way scripts/build.mjs bundles it, so a test runs the current source. */
import { build } from 'esbuild';
import { join } from 'node:path';

export async function bundleCli(outfile: string): Promise<void> {
  await build({
    entryPoints: [join(process.cwd(), 'main/cli/commonplace.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    alias: { yjs: join(process.cwd(), 'node_modules/yjs/dist/yjs.mjs') },
    external: ['bufferutil', 'utf-8-validate'],
    banner: { js: "import { createRequire as __cpRequire } from 'node:module'; const require = __cpRequire(import.meta.url);" },
  });
}
