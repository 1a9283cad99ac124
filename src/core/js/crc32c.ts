/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as BEP 42 uses to tie
 * node ids to IP addresses. Table-driven, one byte per step: its inputs are
 * 4 or 8 bytes long.
 */

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** CRC32C of `bytes` (init and final xor 0xFFFFFFFF), as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
