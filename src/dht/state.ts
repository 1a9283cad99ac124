/**
 * Saved state (BEP 5: "The routing table should be saved between invocations"):
 * our id and the routing table's nodes, as JSON
 *
 *   { "version": 1, "id": "<40 hex>", "nodes": [{ "id": "<40 hex>", "address": "host:port" }] }
 *
 * written atomically: `<file>.tmp` in the same folder, fsync, then rename over
 * the old one, so a crash (even SIGKILL mid-write) leaves either the old state
 * or the new, never half. The temp name is fixed so a killed save leaves at
 * most one stray file, which the next save overwrites; one node's saves must
 * not overlap (the DHT chains them). node:fs/promises works on Node and Deno.
 */
import { STATE_VERSION } from './constants.ts';
import { toHex } from '../util/hex.ts';
import { toId } from '../util/id.ts';
import { formatHostPort, parseHostPort, toEndpoint } from '../util/endpoint.ts';
import type { Endpoint } from '../ground/address.ts';

export interface SavedNode {
  id: Uint8Array;
  endpoint: Endpoint;
}

export interface SavedState {
  id: Uint8Array;
  nodes: SavedNode[];
}

interface StateJson {
  version: number;
  id: string;
  nodes: { id: string; address: string }[];
}

/** The JSON text of a state. */
export function serializeState(state: SavedState): string {
  const json: StateJson = {
    version: STATE_VERSION,
    id: toHex(state.id),
    nodes: state.nodes.map((node) => ({ id: toHex(node.id), address: formatHostPort(node.endpoint) })),
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

/** Parse state JSON; throws Error naming what is wrong. Bad node entries are skipped. */
export function parseState(text: string): SavedState {
  const json = JSON.parse(text) as Partial<StateJson> | null;
  if (typeof json !== 'object' || json === null) throw new Error('state is not a JSON object');
  if (json.version !== STATE_VERSION) throw new Error(`state version ${String(json.version)} is not ${STATE_VERSION}`);
  const id = toId(json.id, 'state id');
  const nodes: SavedNode[] = [];
  for (const entry of Array.isArray(json.nodes) ? json.nodes : []) {
    try {
      const endpoint = toEndpoint(parseHostPort(String(entry.address), 'state node address'));
      if (endpoint) nodes.push({ id: toId(entry.id, 'state node id'), endpoint });
    } catch {
      // One bad entry does not spoil the rest.
    }
  }
  return { id, nodes };
}

/** Read the state file; undefined when it does not exist. Throws on unreadable or invalid content. */
export async function loadState(file: string): Promise<SavedState | undefined> {
  const fs = await import('node:fs/promises');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseState(text);
}

/** Write the state file atomically (temp file + fsync + rename). Calls for one file must not overlap. */
export async function saveState(file: string, state: SavedState): Promise<void> {
  const fs = await import('node:fs/promises');
  const temp = `${file}.tmp`;
  const handle = await fs.open(temp, 'w', 0o644);
  try {
    await handle.writeFile(serializeState(state), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
