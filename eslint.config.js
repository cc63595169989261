// Lint enforces where code may run: the folder says it, and a wrong import fails here, not in review.
// Import cycles are refused here too (import-x/no-cycle), besides test/unit/import-cycles.test.ts.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'zlib', 'stream', 'url', 'util', 'worker_threads', 'dgram', 'dns', 'tls'];

/** Forbids importing the named modules or folders from files in a folder. */
function boundary(files, { modules = [], folders = [], why }) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...(modules.length ? [{ group: modules, message: why }] : []),
            ...folders.map((folder) => ({ group: [`**/${folder}`, `**/${folder}/**`], message: why })),
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', '.tsbuild/**', 'test/fixtures/**'] },
  js.configs.recommended,
  // A cycle makes module order matter (a value read before its module ran is undefined).
  {
    files: ['main/**/*.ts', 'shared/**/*.ts', 'renderer/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  { files: ['renderer/**/*.{ts,tsx}'], plugins: { 'react-hooks': reactHooks }, rules: reactHooks.configs.recommended.rules, languageOptions: { globals: globals.browser } },
  { files: ['main/**/*.ts', 'scripts/**/*.mjs', 'test/**/*.ts', 'bench/**/*.{ts,mjs}', 'bin/**/*.js', '*.config.{js,ts}'], languageOptions: { globals: globals.node } },
  { files: ['scripts/**/*.mjs', 'bin/**/*.js', 'test/**/*.ts', 'bench/**/*.{ts,mjs}'], rules: { 'no-console': 'off' } },
  // bench/run.mjs passes functions to page.evaluate: they run in the browser.
  { files: ['bench/**/*.mjs'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  boundary(['shared/**/*.ts'], {
    modules: [...NODE_BUILTINS, 'electron', 'react', 'react-dom', 'react/*', 'ws', '@lexical/react/*', 'y-indexeddb', 'y-webrtc'],
    folders: ['main', 'renderer'],
    why: 'shared/ is pure TypeScript: no Node, no DOM, no Electron, no React.',
  }),
  // A space's peer (y-webrtc, document sync, attachments) runs in a page and in a headless host alike, given a WebRTC and a WebSocket.
  boundary(['shared/peer/**/*.ts'], {
    modules: [...NODE_BUILTINS, 'electron', 'react', 'react-dom', 'react/*', 'ws', '@lexical/react/*', 'y-indexeddb'],
    folders: ['main', 'renderer'],
    why: 'shared/peer/ runs in the page and in a headless host: y-webrtc, but no Node, no DOM of its own, no React.',
  }),
  {
    files: ['shared/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', 'window', 'document', 'localStorage', 'navigator', 'process', 'Buffer', 'require'] },
  },
  boundary(['renderer/**/*.{ts,tsx}'], {
    modules: [...NODE_BUILTINS, 'electron', 'ws', 'zod', '**/shared/host-schemas'],
    folders: ['main'],
    why: 'renderer/ runs in the browser: it reaches the host only through the HostApi, and loads no zod (hosts check inputs).',
  }),
  boundary(['main/services/**/*.ts'], {
    modules: ['electron', 'react', 'react-dom'],
    folders: ['renderer', 'electron', 'web'],
    why: 'main/services/ is plain Node shared by both hosts: it never imports electron or a host.',
  }),
  boundary(['main/web/**/*.ts', 'main/cli/**/*.ts'], {
    modules: ['electron', 'react', 'react-dom'],
    folders: ['renderer', 'electron'],
    why: 'the web host and the CLI run on plain Node, without Electron.',
  }),
  boundary(['main/electron/**/*.ts'], {
    modules: ['react', 'react-dom'],
    folders: ['renderer', 'web', 'cli'],
    why: 'main/electron/ composes services; it does not reach into the renderer or the web host.',
  }),
);
