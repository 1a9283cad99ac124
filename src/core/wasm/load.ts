/**
 * Reading build/core.wasm next to the package, on Node, Deno or anything with
 * fetch. The URL is relative to this module: src/core/wasm/ and dist/core/wasm/
 * both sit three levels below the package root.
 */

interface DenoLike {
  readFile(path: URL): Promise<Uint8Array>;
}

export const CORE_WASM_URL = new URL('../../../build/core.wasm', import.meta.url);

export async function readCoreWasm(url: URL = CORE_WASM_URL): Promise<Uint8Array> {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  try {
    if (deno !== undefined) return await deno.readFile(url);
    if (url.protocol === 'file:' && typeof (globalThis as { process?: unknown }).process === 'object') {
      const { readFile } = await import('node:fs/promises');
      return new Uint8Array(await readFile(url));
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  } catch (cause) {
    throw new Error(`cannot read ${url.href}: ${why(cause, url)}`, { cause });
  }
}

// The real cause, in the reader's terms: a permission Deno was not given is
// not a missing build.
function why(cause: unknown, url: URL): string {
  const name = cause instanceof Error ? cause.name : '';
  const code = (cause as { code?: unknown } | null)?.code;
  if (name === 'NotCapable' || name === 'PermissionDenied' || code === 'ERR_ACCESS_DENIED') {
    const path = url.protocol === 'file:' ? decodeURIComponent(url.pathname) : url.href;
    return `permission denied: run Deno with --allow-read (at least --allow-read=${path}), or use the js backend (backend: 'js', no file to read)`;
  }
  if (name === 'NotFound' || code === 'ENOENT') return 'no such file (in a checkout, build it with `npm run build:wasm`)';
  return cause instanceof Error ? cause.message : String(cause);
}
