/**
 * Exit codes, the same for every command, so a script can tell "nothing
 * found" from "reached nobody" (README, docs/OPERATIONS.md):
 *
 *   0  success
 *   1  failure while running (e.g. the state could not be saved at stop)
 *   2  bad usage: a flag, config file, state file or address that cannot be used
 *   3  no node could be reached (bootstrap failed, nobody answered)
 *   4  the DHT was reached but held nothing (no peers, no item, no node stored it)
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unreachable: 3,
  notFound: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI prints as `btdht: <message>` and exits with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** Bad usage (exit 2): the message names the flag, key or file and what was wrong. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}
