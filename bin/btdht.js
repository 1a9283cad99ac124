#!/usr/bin/env node
// The `btdht` command: the compiled CLI (npm install builds dist/).
import { main } from '../dist/cli/main.js';

main(process.argv).catch((error) => {
  console.error(`btdht: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
