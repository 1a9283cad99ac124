/**
 * Loading a core backend. `wasm` is the default; `js` needs no WebAssembly.
 *
 * @example
 * import { loadCore } from 'btdht/core';
 * const core = await loadCore();
 * const bytes = core.encode({ t: 'aa', y: 'q', q: 'ping', a: { id: new Uint8Array(20) } });
 * core.decode(bytes);
 *
 * @module btdht/core
 */
import type { Backend, Core } from './types.ts';

export type { Backend, Core } from './types.ts';
export type { BencodeDict, BencodeInput, BencodeList, BencodeValue, DecodeErrorCode } from '../ground/bencode.ts';
export * from './bencode-types.ts';
export * from './routing-types.ts';
export * from './answer-types.ts';

const loaded = new Map<Backend, Promise<Core>>();

/**
 * Load (once per backend, then shared) the core for `backend`.
 * @example
 * import { loadCore } from 'btdht/core';
 * const core = await loadCore('wasm'); // or 'js'
 * core.sha1(new TextEncoder().encode('abc')); // 20 bytes
 */
export function loadCore(backend: Backend = 'wasm'): Promise<Core> {
  if (backend !== 'wasm' && backend !== 'js') {
    return Promise.reject(new TypeError(`unknown core backend ${JSON.stringify(backend)}: expected 'wasm' or 'js'`));
  }
  let core = loaded.get(backend);
  if (!core) {
    core = backend === 'js'
      ? import('./js/index.ts').then((m) => m.createJsCore())
      : import('./wasm/index.ts').then((m) => m.loadWasmCore());
    loaded.set(backend, core);
  }
  return core;
}
