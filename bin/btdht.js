#!/usr/bin/env node
// The `btdht` command: the compiled CLI bundled into one CommonJS file (dist/
// ships in the package; in a checkout, `npm run build`; scripts/bundle-cli.ts
// says why).
import { createRequire } from 'node:module';

const { main } = createRequire(import.meta.url)('../dist/bin/btdht.cjs');

main(process.argv).catch((error) => {
  console.error(`btdht: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
