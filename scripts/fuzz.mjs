#!/usr/bin/env node
// Long convergence fuzz: `npm run fuzz -- --seconds 600 [--start-seed N] [--live] [--production]` loops over
// new seeds until the time is up; a failure prints its seed. Replay one: `npm run fuzz -- --seed N [--trace]`.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const value = (name) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const env = { ...process.env };
const seed = value('--seed');
if (seed !== undefined) {
  env.FUZZ_SEED = seed;
  if (args.includes('--trace')) env.FUZZ_TRACE = '1';
  if (args.includes('--check-every-step')) env.FUZZ_CHECK = '1';
} else {
  const seconds = Number(value('--seconds') ?? 60);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    console.error('usage: npm run fuzz -- --seconds N [--start-seed N] [--live] | --seed N [--trace]');
    process.exit(2);
  }
  env.FUZZ_SECONDS = String(seconds);
  const start = value('--start-seed');
  if (start !== undefined) env.FUZZ_START_SEED = start;
}
if (args.includes('--live')) env.FUZZ_LIVE = '1';
// Lexical's production build (what the app ships) instead of its development build with extra checks.
if (args.includes('--production')) env.NODE_ENV = 'production';
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', '--project', 'unit', 'test/unit/convergence-fuzz.test.ts'], { cwd: root, env, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
