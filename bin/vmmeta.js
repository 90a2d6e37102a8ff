#!/usr/bin/env node
// Routes `vmmeta serve` straight to the sidecar so each per-VM process loads only what serving needs
// (no commander, zod or chalk); everything else goes to the full CLI.
if (process.argv[2] === 'serve') {
  const { serveMain } = await import('../dist/src/sidecar/main.js');
  await serveMain(process.argv.slice(3));
} else {
  const { main } = await import('../dist/src/cli/main.js');
  await main(process.argv);
}
