/** CRC32C (Castagnoli, reflected 0x82F63B78), slicing-by-8 over tables built at start. */

const TABLES: usize = memory.data(8 * 256 * 4, 16);

function buildTables(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    store<u32>(TABLES + (<usize>n << 2), c);
  }
  for (let n: usize = 0; n < 256; n++) {
    let c = load<u32>(TABLES + (n << 2));
    for (let t: usize = 1; t < 8; t++) {
      c = (c >>> 8) ^ load<u32>(TABLES + (<usize>(c & 0xff) << 2));
      store<u32>(TABLES + (t << 10) + (n << 2), c);
    }
  }
}
buildTables();

// @ts-ignore: decorator
@inline function entry(table: usize, byte: u32): u32 {
  return load<u32>(TABLES + (table << 10) + (<usize>byte << 2));
}

/** CRC32C of `len` bytes at `input`. */
export function crc32c(input: usize, len: i32): u32 {
  let crc: u32 = 0xffffffff;
  let p = input;
  const end = input + <usize>len;
  while (end - p >= 8) {
    const lo = load<u32>(p) ^ crc;
    const hi = load<u32>(p, 4);
    crc =
      entry(7, lo & 0xff) ^
      entry(6, (lo >>> 8) & 0xff) ^
      entry(5, (lo >>> 16) & 0xff) ^
      entry(4, lo >>> 24) ^
      entry(3, hi & 0xff) ^
      entry(2, (hi >>> 8) & 0xff) ^
      entry(1, (hi >>> 16) & 0xff) ^
      entry(0, hi >>> 24);
    p += 8;
  }
  while (p < end) {
    crc = (crc >>> 8) ^ entry(0, (crc ^ load<u8>(p)) & 0xff);
    p++;
  }
  return ~crc;
}
