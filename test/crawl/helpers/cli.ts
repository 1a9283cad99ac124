/** The `btdht` command from the sources, for tests that run it as a child process (`node --import tsx`). */
import { main } from '../../../src/cli/main.ts';

main(process.argv).catch((error: unknown) => {
  console.error(`btdht: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
