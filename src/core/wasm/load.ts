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
    throw new Error(`cannot read ${url.href} (build it with \`npm run build:wasm\`)`, { cause });
  }
}
