#!/usr/bin/env node
// Runs the Markdown benchmarks standalone: bundles bench/markdown-bench.ts with esbuild (as
// scripts/build.mjs bundles the app), prints the figures and writes bench/results-markdown.json.
// Usage: node bench/markdown.bench.mjs [--runs N]   (from the repository root)
import { build } from 'esbuild';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles and loads the benchmark module; `runMarkdownBench` is what `npm run bench` calls. */
export async function loadMarkdownBench() {
  const dir = await mkdtemp(join(tmpdir(), 'cp-bench-build-'));
  const outfile = join(dir, 'markdown-bench.mjs');
  await build({
    entryPoints: [join(root, 'bench', 'markdown-bench.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    alias: { yjs: join(root, 'node_modules', 'yjs', 'dist', 'yjs.mjs') },
    external: ['bufferutil', 'utf-8-validate'],
    banner: { js: "import { createRequire as __cpRequire } from 'node:module'; const require = __cpRequire(import.meta.url);" },
  });
  const module = await import(pathToFileURL(outfile).href);
  await rm(dir, { recursive: true, force: true });
  return module;
}

export async function runMarkdownBench(options = {}) {
  const { runMarkdownBench: run } = await loadMarkdownBench();
  return run({ corpus: join(root, '..', 'shared', 'corpus', 'til'), ...options });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt === -1 ? 3 : Number(process.argv[runsAt + 1]);
  const results = await runMarkdownBench({ runs });
  for (const { name, unit, samples } of results) {
    const sorted = [...samples].sort((a, b) => a - b);
    console.log(`${name}: median ${sorted[Math.floor(sorted.length / 2)]} ${unit} (samples ${samples.join(', ')})`);
  }
  const json = JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2);
  await writeFile(join(root, 'bench', 'results-markdown.json'), `${json}\n`);
  console.log(json);
}
