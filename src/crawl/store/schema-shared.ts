/** What both databases' schemas share: how much of a torrent is indexed for search, and the refusal of a newer schema. */

/** Longest name and file-path text indexed for search (characters); the row keeps everything. */
export const INDEXED_NAME_CHARS = 4096;
export const INDEXED_PATHS_CHARS = 65_536;

/** A database written by a newer btdht: refused rather than guessed at. */
export class SchemaError extends Error {
  override name = 'SchemaError';
}
