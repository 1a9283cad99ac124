/**
 * An output buffer for the encoders: one preallocated Uint8Array reused across
 * calls (grown by doubling when a message needs more), integers and lengths
 * written as ASCII digits in place. `finish()` returns a right-sized copy.
 */

const INITIAL_SIZE = 4096;
/** After an unusually large encode, drop back to a small buffer rather than pin the memory. */
const KEEP_AT_MOST = 1 << 20;

const utf8 = new TextEncoder();

export class BencodeWriter {
  buf = new Uint8Array(INITIAL_SIZE);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far, as a fresh array. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    if (this.buf.length > KEEP_AT_MOST) this.buf = new Uint8Array(INITIAL_SIZE);
    this.pos = 0;
    return out;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** Bytes copied verbatim (pre-encoded keys and the like). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A non-negative safe integer as ASCII digits. */
  digits(n: number): void {
    this.ensure(16);
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 0x30 + n;
      return;
    }
    let width = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) width++;
    let p = this.pos + width;
    this.pos = p;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[--p] = 0x30 + (n - q * 10);
      n = q;
    }
    buf[--p] = 0x30 + n;
  }

  /** `i<n>e` for an integral number (TypeError otherwise). */
  integer(n: number): void {
    if (!Number.isInteger(n)) throw new TypeError(`cannot bencode the non-integer number ${n}`);
    if (!Number.isSafeInteger(n)) {
      this.bigint(BigInt(n));
      return;
    }
    this.ensure(19);
    this.buf[this.pos++] = 0x69; // i
    if (n < 0) {
      this.buf[this.pos++] = 0x2d; // -
      n = -n;
    }
    this.digits(n);
    this.buf[this.pos++] = 0x65; // e
  }

  bigint(n: bigint): void {
    const text = n.toString();
    this.ensure(text.length + 2);
    const buf = this.buf;
    buf[this.pos++] = 0x69;
    for (let i = 0; i < text.length; i++) buf[this.pos++] = text.charCodeAt(i);
    buf[this.pos++] = 0x65;
  }

  /** `<len>:<bytes>`. */
  bytes(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n + 12);
    this.digits(n);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x3a;
    if (n <= 32) {
      // Ids, tokens and compact peers are short: a loop beats set()'s call overhead.
      for (let i = 0; i < n; i++) buf[p++] = bytes[i]!;
    } else {
      buf.set(bytes, p);
      p += n;
    }
    this.pos = p;
  }

  /** A JS string as its UTF-8 bytes (lone surrogates become U+FFFD, as TextEncoder does). */
  utf8String(s: string): void {
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.latin1Bytes(s);
      return;
    }
    const size = utf8Length(s);
    this.ensure(size + 12);
    this.digits(size);
    this.buf[this.pos++] = 0x3a;
    const { written } = utf8.encodeInto(s, this.buf.subarray(this.pos));
    this.pos += written;
  }

  /** A string of char codes 0–255 as one byte each; TypeError for a wider char. */
  latin1String(s: string, what: string): void {
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0xff) throw new TypeError(`${what} ${JSON.stringify(s)} has a char above U+00FF`);
    }
    this.latin1Bytes(s);
  }

  /** Caller has checked that every char is at most 0xFF. */
  private latin1Bytes(s: string): void {
    const n = s.length;
    this.ensure(n + 12);
    this.digits(n);
    const buf = this.buf;
    buf[this.pos++] = 0x3a;
    for (let i = 0; i < n; i++) buf[this.pos++] = s.charCodeAt(i);
  }
}

/** UTF-8 length of a JS string, counting a lone surrogate as U+FFFD (3 bytes). */
function utf8Length(s: string): number {
  let size = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        size += 4;
        i++;
      } else {
        size += 3;
      }
    } else size += 3;
  }
  return size;
}

/** The writer both encoders share (encoding never re-enters). */
export const writer = new BencodeWriter();
