import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// @lexical/yjs is CommonJS and requires yjs; every import of yjs must reach the same single copy,
// or the editor binding's instanceof checks fail.
const yjs = fileURLToPath(new URL('./node_modules/yjs/dist/yjs.mjs', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  resolve: { alias: [{ find: /^yjs$/, replacement: yjs }], dedupe: ['yjs', 'lexical', 'react', 'react-dom'] },
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'chrome120',
    chunkSizeWarningLimit: 2000,
  },
});
