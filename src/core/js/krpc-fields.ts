/**
 * The KRPC keys the decoder knows, as indices in bytewise key order (so walking
 * the indices in order is walking a valid dict in order).
 */

/** Top-level keys: a, e, ip, q, r, ro, t, v, y. */
export const TOP_A = 0;
export const TOP_E = 1;
export const TOP_IP = 2;
export const TOP_Q = 3;
export const TOP_R = 4;
export const TOP_RO = 5;
export const TOP_T = 6;
export const TOP_V = 7;
export const TOP_Y = 8;
export const TOP_NAMES = ['a', 'e', 'ip', 'q', 'r', 'ro', 't', 'v', 'y'] as const;

/** Query argument keys (`a`), in key order: id, implied_port, info_hash, port, target, token, want. */
export const ARG_ID = 0;
export const ARG_IMPLIED_PORT = 1;
export const ARG_INFO_HASH = 2;
export const ARG_PORT = 3;
export const ARG_TARGET = 4;
export const ARG_TOKEN = 5;
export const ARG_WANT = 6;
export const ARG_NAMES = ['id', 'implied_port', 'info_hash', 'port', 'target', 'token', 'want'] as const;

/** Response value keys (`r`), in key order: id, nodes, nodes6, token, values. */
export const VAL_ID = 0;
export const VAL_NODES = 1;
export const VAL_NODES6 = 2;
export const VAL_TOKEN = 3;
export const VAL_VALUES = 4;
export const VAL_NAMES = ['id', 'nodes', 'nodes6', 'token', 'values'] as const;

function matches(b: Uint8Array, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (b[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** Index of the top-level key `b[start..end)`, or -1. */
export function topKeyIndex(b: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 1) {
    switch (b[start]) {
      case 0x61: return TOP_A;
      case 0x65: return TOP_E;
      case 0x71: return TOP_Q;
      case 0x72: return TOP_R;
      case 0x74: return TOP_T;
      case 0x76: return TOP_V;
      case 0x79: return TOP_Y;
      default: return -1;
    }
  }
  if (n === 2) {
    if (b[start] === 0x69 && b[start + 1] === 0x70) return TOP_IP;
    if (b[start] === 0x72 && b[start + 1] === 0x6f) return TOP_RO;
  }
  return -1;
}

/** Index of a key of `a` (args) or `r` (values), or -1. */
export function bodyKeyIndex(b: Uint8Array, start: number, end: number, args: boolean): number {
  const n = end - start;
  if (n === 2) return b[start] === 0x69 && b[start + 1] === 0x64 ? (args ? ARG_ID : VAL_ID) : -1;
  if (args) {
    switch (n) {
      case 4:
        if (matches(b, start, 'port')) return ARG_PORT;
        return matches(b, start, 'want') ? ARG_WANT : -1;
      case 5: return matches(b, start, 'token') ? ARG_TOKEN : -1;
      case 6: return matches(b, start, 'target') ? ARG_TARGET : -1;
      case 9: return matches(b, start, 'info_hash') ? ARG_INFO_HASH : -1;
      case 12: return matches(b, start, 'implied_port') ? ARG_IMPLIED_PORT : -1;
      default: return -1;
    }
  }
  switch (n) {
    case 5:
      if (matches(b, start, 'nodes')) return VAL_NODES;
      return matches(b, start, 'token') ? VAL_TOKEN : -1;
    case 6:
      if (matches(b, start, 'nodes6')) return VAL_NODES6;
      return matches(b, start, 'values') ? VAL_VALUES : -1;
    default: return -1;
  }
}
