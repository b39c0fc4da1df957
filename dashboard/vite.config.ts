/**
 * The dashboard build: `vite build dashboard` (npm run build:dashboard) → dashboard/dist, served by the
 * platform at `/`. No React plugin: Vite 8 compiles TSX itself (oxc, automatic JSX runtime); all we give
 * up is fast refresh in `vite dev`.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    // `npm run dev:dashboard` beside `npm run dev`: the API stays on the platform's port.
    proxy: { '/api': 'http://127.0.0.1:3012', '/health': 'http://127.0.0.1:3012' },
  },
});
