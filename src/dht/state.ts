/**
 * Saved state (BEP 5: "The routing table should be saved between invocations"):
 * our id and the routing table's nodes, as JSON
 *
 *   { "version": 1, "id": "<40 hex>", "saved": <ms since 1970>, "nodes": [{ "id": "<40 hex>", "address": "host:port" }] }
 *
 * written atomically: `<file>.tmp` in the same folder, fsync, rename over the
 * old one, fsync the folder, so a crash (even SIGKILL mid-write) leaves either
 * the old state or the new, never half. The temp name is fixed so a killed
 * save leaves at most one stray file, which the next save overwrites; one
 * node's saves must not overlap (StateSaver chains them).
 *
 * A file is never overwritten unless it is ours: `openStateFile` refuses a file
 * that does not begin as our serializer writes, and moves a damaged one of ours
 * aside. node:fs/promises works on Node and Deno.
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
  /** When it was saved (ms since 1970); absent in files of older versions. */
  saved?: number;
}

interface StateJson {
  version: number;
  id: string;
  saved?: number;
  nodes: { id: string; address: string }[];
}

/** How every state file of ours begins, whitespace aside (the serializer's first bytes). */
const SIGNATURE = `{"version":${STATE_VERSION},"id":"`;

/** The JSON text of a state. */
export function serializeState(state: SavedState): string {
  const json: StateJson = {
    version: STATE_VERSION,
    id: toHex(state.id),
    ...(state.saved !== undefined ? { saved: state.saved } : {}),
    nodes: state.nodes.map((node) => ({ id: toHex(node.id), address: formatHostPort(node.endpoint) })),
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

/** Whether a file's text is (or was, before damage) one of our state files: it begins as ours do, or is cut short inside that beginning. */
export function looksLikeOurState(text: string): boolean {
  // JSON whitespace between tokens is free: compare the first bytes without it.
  const head = text.slice(0, 256).replace(/[ \t\r\n]/g, '').slice(0, SIGNATURE.length);
  return head.length === SIGNATURE.length ? head === SIGNATURE : SIGNATURE.startsWith(head);
}

/** Parse state JSON; throws Error naming what is wrong. Bad node entries are skipped. */
export function parseState(text: string): SavedState {
  const json = JSON.parse(text) as Partial<StateJson> | null;
  if (typeof json !== 'object' || json === null) throw new Error('state is not a JSON object');
  if (json.version !== STATE_VERSION) throw new Error(`state version ${String(json.version)} is not ${STATE_VERSION}`);
  const id = toId(json.id, 'state id');
  const saved = typeof json.saved === 'number' && Number.isFinite(json.saved) ? json.saved : undefined;
  const nodes: SavedNode[] = [];
  for (const entry of Array.isArray(json.nodes) ? json.nodes : []) {
    try {
      const endpoint = toEndpoint(parseHostPort(String(entry.address), 'state node address'));
      if (endpoint) nodes.push({ id: toId(entry.id, 'state node id'), endpoint });
    } catch {
      // One bad entry does not spoil the rest.
    }
  }
  return saved === undefined ? { id, nodes } : { id, nodes, saved };
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

/** Write the state file atomically (temp file + fsync + rename + folder fsync). Calls for one file must not overlap. */
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
  await syncFolder(file);
}

/** Make a rename in the file's folder durable (a power cut after it keeps the new name). Not every platform can open a folder: then nothing is done. */
async function syncFolder(file: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  let folder: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    folder = await fs.open(dirname(file), 'r');
    await folder.sync();
  } catch {
    // Windows cannot open a folder; the rename still happened.
  } finally {
    await folder?.close().catch(() => undefined);
  }
}

/** The state file cannot be used: start() fails before binding anything, and the file is left as it was. */
export class StateFileError extends Error {
  override name = 'StateFileError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** What `openStateFile` found. */
export interface OpenedState {
  /** The saved state; undefined when there was none (or a damaged one, moved aside). */
  state: SavedState | undefined;
  /** Where a damaged state of ours was moved, and why it could not be read. */
  movedAside?: { to: string; reason: string };
}

/**
 * Check a state file before a node uses it: its folder must exist and be
 * writable; a file there must be ours. Loads it; a damaged state of ours is
 * renamed to `<file>.corrupt-<UTC time>` (never deleted). Throws
 * StateFileError naming the file and the reason otherwise.
 */
export async function openStateFile(file: string, now: Date = new Date()): Promise<OpenedState> {
  const text = await checkStateFile(file);
  if (text === undefined) return { state: undefined };
  try {
    return { state: parseState(text) };
  } catch (error) {
    const to = await moveAside(file, now);
    return { state: undefined, movedAside: { to, reason: error instanceof Error ? error.message : String(error) } };
  }
}

/**
 * The checks of `openStateFile` that change nothing: the folder exists and is
 * writable, and a file there is ours (maybe damaged). Resolves with the file's
 * text (undefined when there is none yet); throws StateFileError. A program
 * runs it before binding anything, so a bad path fails at once.
 */
export async function checkStateFile(file: string): Promise<string | undefined> {
  const fs = await import('node:fs/promises');
  const { dirname, resolve } = await import('node:path');
  const folder = dirname(resolve(file));
  const code = (error: unknown): string | undefined => (error as { code?: string }).code;
  try {
    if (!(await fs.stat(folder)).isDirectory()) throw new StateFileError(file, `state file ${file}: ${folder} is not a folder`);
    await fs.access(folder, (await import('node:fs')).constants.W_OK);
  } catch (error) {
    if (error instanceof StateFileError) throw error;
    const why = code(error) === 'ENOENT' || code(error) === 'ENOTDIR' ? 'does not exist' : code(error) === 'EACCES' || code(error) === 'EPERM' || code(error) === 'EROFS' ? 'is not writable' : `cannot be used (${(error as Error).message})`;
    throw new StateFileError(file, `state file ${file}: its folder ${folder} ${why}`);
  }
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    const why = code(error) === 'EISDIR' ? 'is a folder' : `cannot be read (${(error as Error).message})`;
    throw new StateFileError(file, `state file ${file} ${why}`);
  }
  if (!looksLikeOurState(text)) {
    throw new StateFileError(file, `${file} is not a btdht state file (it does not begin with {"version": ${STATE_VERSION}, "id": ...}); it was left untouched: give the state another path`);
  }
  return text;
}

/** Rename a damaged state to `<file>.corrupt-<time>` (with a counter if that name is taken); returns the new name. */
async function moveAside(file: string, now: Date): Promise<string> {
  const fs = await import('node:fs/promises');
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const taken = (path: string): Promise<boolean> => fs.stat(path).then(() => true, () => false);
  for (let n = 0; n <= 100; n++) {
    const to = `${file}.corrupt-${stamp}${n === 0 ? '' : `-${n}`}`;
    try {
      let linked = false;
      try {
        // link + unlink: unlike rename, never replaces an existing file.
        await fs.link(file, to);
        linked = true;
      } catch (error) {
        if ((error as { code?: string }).code === 'EEXIST' || (await taken(to))) continue;
        // No hard links on this file system: rename to the name just seen free.
      }
      if (linked) await fs.unlink(file);
      else await fs.rename(file, to);
      return to;
    } catch (error) {
      throw new StateFileError(file, `state file ${file} is damaged and could not be moved aside to ${to}: ${(error as Error).message}`);
    }
  }
  throw new StateFileError(file, `state file ${file} is damaged and could not be moved aside: ${file}.corrupt-${stamp} and 100 more names are taken`);
}
