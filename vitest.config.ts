import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// @lexical/yjs ships CommonJS only, so under Node it loads yjs's CommonJS build; everything else must
// load that same copy, or the binding's instanceof checks fail and notes corrupt silently.
const yjsCommonJs = fileURLToPath(new URL('./node_modules/yjs/dist/yjs.mjs', import.meta.url));

export default defineConfig({
  resolve: { alias: [{ find: /^yjs$/, replacement: yjsCommonJs }] },
  test: {
    server: { deps: { inline: [/y-indexeddb/, /y-protocols/, /y-webrtc/, /@lexical\/yjs/] } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // Benchmarks that need browsers in network namespaces (npm run bench runs them; npm test does not).
        extends: true,
        test: {
          name: 'bench',
          include: ['bench/**/*.vitest.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
