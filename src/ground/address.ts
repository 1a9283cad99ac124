/**
 * Addresses as every layer sees them: an address family, a UDP endpoint, and
 * IP literals read and written as bytes. No DNS anywhere: a host that came off
 * the wire is hostile, and a lookup per datagram would be both slow and a way
 * to make us query someone's server.
 */

/**
 * @example
 * import { DHT, type AddressFamily } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const families: AddressFamily[] = dht.addresses().map((endpoint) => endpoint.family); // [4, 6] on a dual-stack host
 */
export type AddressFamily = 4 | 6;

/**
 * A UDP endpoint. `host` is a numeric IP literal (no DNS at this layer).
 * @example
 * import { DHT, type Endpoint } from 'btdht';
 * const dht = new DHT({ host: '127.0.0.1', bootstrap: [] });
 * await dht.start();
 * const local: Endpoint = dht.address();
 * console.log(`listening on ${local.host}:${local.port} (IPv${local.family})`);
 */
export interface Endpoint {
  host: string;
  port: number;
  family: AddressFamily;
}

/** Write the 4 bytes of a dotted-quad IPv4 literal at `out[offset]`. False if `host` is not one. */
export function writeIPv4(host: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let digits = 0;
  let index = 0;
  for (let i = 0; i <= host.length; i++) {
    const code = i < host.length ? host.charCodeAt(i) : 46; // a final '.'
    if (code >= 48 && code <= 57) {
      part = part * 10 + (code - 48);
      if (++digits > 3 || part > 255) return false;
    } else if (code === 46) {
      if (digits === 0 || index > 3) return false;
      out[offset + index++] = part;
      part = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return index === 4;
}

/** Write the 16 bytes of an IPv6 literal (brackets and zone id allowed) at `out[offset]`. */
export function writeIPv6(host: string, out: Uint8Array, offset: number): boolean {
  let text = host;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups: number[] = [];
  const parseHalf = (half: string, last: boolean): number[] | undefined => {
    if (half === '') return [];
    const parts = half.split(':');
    const words: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (last && i === parts.length - 1 && part.includes('.')) {
        const v4 = new Uint8Array(4);
        if (!writeIPv4(part, v4, 0)) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      words.push(parseInt(part, 16));
    }
    return words;
  };
  const head = parseHalf(halves[0]!, halves.length === 1);
  if (!head) return false;
  if (halves.length === 2) {
    const tail = parseHalf(halves[1]!, true);
    if (!tail || head.length + tail.length > 7) return false;
    groups.push(...head);
    for (let i = head.length + tail.length; i < 8; i++) groups.push(0);
    groups.push(...tail);
  } else {
    if (head.length !== 8) return false;
    groups.push(...head);
  }
  for (let i = 0; i < 8; i++) {
    out[offset + 2 * i] = groups[i]! >> 8;
    out[offset + 2 * i + 1] = groups[i]! & 0xff;
  }
  return true;
}

const scratch = new Uint8Array(16);

/**
 * The family of a numeric IP literal — dotted quad, or IPv6 text with an
 * optional zone id (`fe80::1%eth0`) — or undefined for anything else: names,
 * and bracketed hosts (`[::1]` is 'host:port' syntax, not an address).
 */
export function ipFamily(host: string): AddressFamily | undefined {
  if (writeIPv4(host, scratch, 0)) return 4;
  if (host.includes(':') && !host.startsWith('[') && writeIPv6(host, scratch, 0)) return 6;
  return undefined;
}

/** Dotted quad of 4 bytes at `bytes[offset]`. */
export function readIPv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of 16 bytes at `bytes[offset]` (lower case, longest zero run as '::'). */
export function readIPv6(bytes: Uint8Array, offset: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1; // a single zero word is not compressed
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => words.slice(from, to).map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
