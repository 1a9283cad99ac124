#!/usr/bin/env node
// The `btdht` command: the compiled CLI (dist/ ships in the package; in a checkout, `npm run build`).
import { main } from '../dist/bin/main.js';

main(process.argv).catch((error) => {
  console.error(`btdht: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
