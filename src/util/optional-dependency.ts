/**
 * Packages only some users need (the crawl's storage drivers, the metadata
 * peers' wire libraries) are optional peer dependencies: `npm install btdht`
 * leaves them out, and they are imported on first use. A missing one becomes
 * an error that says what to install, rather than a resolver's stack trace.
 */

/**
 * Thrown when a feature needs a package that is not installed.
 * @example
 * import { MissingDependencyError, openCrawlStore } from 'btdht/crawl';
 * try {
 *   await openCrawlStore('postgres://localhost/crawl');
 * } catch (error) {
 *   if (!(error instanceof MissingDependencyError)) throw error;
 *   console.error(error.message); // says to run `npm install pg`
 *   error.packages; // ['pg']
 * }
 */
export class MissingDependencyError extends Error {
  readonly code = 'ERR_BTDHT_MISSING_DEPENDENCY';
  /** The packages to install, e.g. `['better-sqlite3']`. */
  readonly packages: readonly string[];

  constructor(feature: string, packages: readonly string[], detail?: string) {
    super(`${feature} needs ${packages.join(' and ')}, which is not installed: run \`npm install ${packages.join(' ')}\`${detail === undefined ? '' : ` (${detail})`}`);
    this.name = 'MissingDependencyError';
    this.packages = packages;
  }
}

/**
 * Did `error` come from resolving `name` (the package is absent), rather
 * than from inside a package that is there? Node and Bun say
 * ERR_MODULE_NOT_FOUND, Deno says so in words; all name the package.
 */
export function isNotInstalled(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const message = error.message;
  const named = message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(`npm:${name}`);
  if (!named) return false;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  return /cannot find|could not find|not found|not a dependency|unable to (?:load|resolve)|failed to resolve/i.test(message);
}

/**
 * Import an optional package: `load` is the literal `import('name')` (so
 * bundlers and type checkers see it); a missing package becomes a
 * MissingDependencyError naming `feature`.
 */
export async function importOptional<T>(feature: string, name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isNotInstalled(error, name)) throw new MissingDependencyError(feature, [name]);
    throw error;
  }
}
