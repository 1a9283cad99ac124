/**
 * Datagrams the kernel dropped for one UDP socket (its receive buffer was
 * full), from /proc/net/udp (Linux, IPv4): the drops no counter of the node
 * can see, since they never reach it.
 */
import { readFileSync } from 'node:fs';

export interface UdpSocketEntry {
  /** Dotted IPv4. */
  host: string;
  port: number;
  /** Bytes waiting in the receive queue. */
  rxQueue: number;
  drops: number;
}

/**
 * Rows of /proc/net/udp. The local address is the IPv4 address as a 32-bit
 * hex number in host byte order (little-endian here: 0100007F is 127.0.0.1),
 * then the port in hex; `drops` is the last column.
 */
export function parseProcNetUdp(text: string, littleEndian = true): UdpSocketEntry[] {
  const entries: UdpSocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13) continue;
    const local = /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$/.exec(fields[1]!);
    const queues = /^([0-9A-Fa-f]+):([0-9A-Fa-f]+)$/.exec(fields[4]!);
    const drops = Number(fields[fields.length - 1]);
    if (!local || !queues || !Number.isInteger(drops)) continue;
    const word = Number.parseInt(local[1]!, 16);
    const bytes = [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
    if (littleEndian) bytes.reverse();
    entries.push({ host: bytes.join('.'), port: Number.parseInt(local[2]!, 16), rxQueue: Number.parseInt(queues[2]!, 16), drops });
  }
  return entries;
}

/** The /proc/net/udp row of the IPv4 UDP socket bound to host:port, or undefined when it cannot tell. */
export function udpSocket(host: string, port: number): UdpSocketEntry | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/udp', 'latin1');
  } catch {
    return undefined;
  }
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return parseProcNetUdp(text, littleEndian).find((e) => e.port === port && (e.host === host || e.host === '0.0.0.0'));
}

/** Kernel drops of the IPv4 UDP socket bound to host:port, or undefined when /proc/net/udp cannot tell. */
export function udpSocketDrops(host: string, port: number): number | undefined {
  return udpSocket(host, port)?.drops;
}
