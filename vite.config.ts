import { defineConfig } from 'vite';

/** The admin console (console/): built into dist/console, served by ticketd at /console. */
export default defineConfig({
  root: 'console',
  base: '/console/',
  build: { outDir: '../dist/console', emptyOutDir: true, sourcemap: true },
  logLevel: 'warn',
});
