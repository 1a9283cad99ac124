/**
 * The KRPC keys and method names the decoder knows, matched by length and
 * little-endian words (a key is at most 12 bytes, a method name 17).
 */

// Field ids (error `field`), shared with the host's name list.
export const F_T: i32 = 1;
export const F_Y: i32 = 2;
export const F_Q: i32 = 3;
export const F_A: i32 = 4;
export const F_R: i32 = 5;
export const F_E: i32 = 6;
export const F_V: i32 = 7;
export const F_IP: i32 = 8;
export const F_RO: i32 = 9;
export const F_ID: i32 = 10;
export const F_TARGET: i32 = 11;
export const F_INFO_HASH: i32 = 12;
export const F_TOKEN: i32 = 13;
export const F_PORT: i32 = 14;
export const F_IMPLIED_PORT: i32 = 15;
export const F_WANT: i32 = 16;
export const F_NODES: i32 = 17;
export const F_NODES6: i32 = 18;
export const F_VALUES: i32 = 19;

// Method ids, so the host can hand out interned strings for common queries.
const M_PING: i32 = 1;
const M_FIND_NODE: i32 = 2;
const M_GET_PEERS: i32 = 3;
const M_ANNOUNCE_PEER: i32 = 4;
const M_GET: i32 = 5;
const M_PUT: i32 = 6;
const M_SAMPLE_INFOHASHES: i32 = 7;

/** Up to 8 bytes at p as a little-endian word, zero past `len`. */
// @ts-ignore: decorator
@inline function word(p: usize, len: i32): u64 {
  const w = load<u64>(p);
  return len >= 8 ? w : w & ((<u64>1 << (<u64>len << 3)) - 1);
}

export function topField(p: usize, len: i32): i32 {
  if (len == 1) {
    const c = load<u8>(p);
    if (c == 0x61) return F_A;
    if (c == 0x65) return F_E;
    if (c == 0x71) return F_Q;
    if (c == 0x72) return F_R;
    if (c == 0x74) return F_T;
    if (c == 0x76) return F_V;
    if (c == 0x79) return F_Y;
  } else if (len == 2) {
    const w = load<u16>(p);
    if (w == 0x7069) return F_IP;
    if (w == 0x6f72) return F_RO;
  }
  return 0;
}

export function bodyField(p: usize, len: i32): i32 {
  const w = word(p, len);
  switch (len) {
    case 2:
      if (w == 0x6469) return F_ID;
      break;
    case 4:
      if (w == 0x74726f70) return F_PORT;
      if (w == 0x746e6177) return F_WANT;
      break;
    case 5:
      if (w == 0x6e656b6f74) return F_TOKEN;
      if (w == 0x7365646f6e) return F_NODES;
      break;
    case 6:
      if (w == 0x746567726174) return F_TARGET;
      if (w == 0x367365646f6e) return F_NODES6;
      if (w == 0x7365756c6176) return F_VALUES;
      break;
    case 9:
      if (w == 0x7361685f6f666e69 && load<u8>(p + 8) == 0x68) return F_INFO_HASH;
      break;
    case 12:
      if (w == 0x5f6465696c706d69 && load<u32>(p + 8) == 0x74726f70) return F_IMPLIED_PORT;
      break;
  }
  return 0;
}

export function methodId(p: usize, len: i32): i32 {
  const w = word(p, len);
  switch (len) {
    case 3:
      if (w == 0x746567) return M_GET;
      if (w == 0x747570) return M_PUT;
      break;
    case 4:
      if (w == 0x676e6970) return M_PING;
      break;
    case 9: {
      const last = load<u8>(p + 8);
      if (w == 0x646f6e5f646e6966 && last == 0x65) return M_FIND_NODE;
      if (w == 0x726565705f746567 && last == 0x73) return M_GET_PEERS;
      break;
    }
    case 13:
      if (w == 0x65636e756f6e6e61 && word(p + 8, 5) == 0x726565705f) return M_ANNOUNCE_PEER;
      break;
    case 17:
      if (w == 0x695f656c706d6173 && load<u64>(p + 8) == 0x65687361686f666e && load<u8>(p + 16) == 0x73) {
        return M_SAMPLE_INFOHASHES;
      }
      break;
  }
  return 0;
}
