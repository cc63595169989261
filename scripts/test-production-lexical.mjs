#!/usr/bin/env node
// Part of `npm run test:unit`: the convergence fuzz's fixed seeds and the stale-selection reproduction,
// again under Lexical's production build (what the app ships), which lacks the development build's checks.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const files = ['test/unit/convergence-fuzz.test.ts', 'test/unit/lexical-stale-selection.test.ts'];
const child = spawn(process.execPath, [vitest, 'run', '--project', 'unit', ...files], { cwd: root, env: { ...process.env, NODE_ENV: 'production' }, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
