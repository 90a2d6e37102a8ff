#!/usr/bin/env node
// Routes `vmmeta serve` straight to the sidecar, and `vmmeta host` to the host-mode process, so the long-running
// processes load only what serving needs (no commander, zod or chalk); everything else goes to the full CLI.
// `npm run build` also bundles each entry (dist/bundle/, esbuild): one file per entry plus shared chunks loads
// ~150 ms faster than the ~200 modules of dist/src/ (docs/performance.md). A tsc-only build still runs unbundled.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/', import.meta.url);
const dist = existsSync(new URL('cli/main.js', bundle)) ? bundle : new URL('../dist/src/', import.meta.url);
if (!existsSync(new URL('cli/main.js', dist))) {
  console.error('vmmeta: not built yet (no dist/): run `npm ci && npm run build` in the vmmeta folder first');
  process.exit(1);
}
if (process.argv[2] === 'serve') {
  const { serveMain } = await import(new URL('sidecar/main.js', dist).href);
  await serveMain(process.argv.slice(3));
} else if (process.argv[2] === 'host') {
  const { hostMain } = await import(new URL('sidecar/host-main.js', dist).href);
  await hostMain(process.argv.slice(3));
} else {
  const { main } = await import(new URL('cli/main.js', dist).href);
  await main(process.argv);
}
