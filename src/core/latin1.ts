/**
 * Latin1 (one char per byte) conversions, as used for dict keys, KRPC method
 * names and `want` entries. Not TextDecoder('latin1'): WHATWG maps that label to
 * windows-1252, which changes bytes 0x80–0x9F.
 */

const CHUNK = 4096;

/** The bytes `bytes[start..end)` as a string of char codes 0–255. */
export function latin1Decode(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  let s = '';
  for (let i = start; i < end; i += CHUNK) {
    const stop = Math.min(end, i + CHUNK);
    s += String.fromCharCode.apply(null, bytes.subarray(i, stop) as unknown as number[]);
  }
  return s;
}

/** True if every char of `s` fits one byte. */
export function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}
