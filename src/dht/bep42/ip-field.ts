/**
 * BEP 42, the `ip` field: every answer tells the requester its address as we
 * see it (compact: IP + port), so it can vote on its external IP. Remembered
 * for the next answer: a busy client asks many times in a row.
 */
import type { Endpoint } from '../../ground/address.ts';
import { writeIPv4, writeIPv6 } from '../../ground/address.ts';

export class IpField {
  #lastHost = '';
  #lastPort = -1;
  #last: Uint8Array | undefined;
  /** Scratch compact addresses (IPv4, IPv6): the encoder copies them into the datagram. */
  readonly #compact4 = new Uint8Array(6);
  readonly #compact6 = new Uint8Array(18);

  /** The compact address of `to`, or undefined for a host that is no IP literal. A scratch view: encode it before the next call. */
  of(to: Endpoint): Uint8Array | undefined {
    if (to.host !== this.#lastHost || to.port !== this.#lastPort) {
      this.#lastHost = to.host;
      this.#lastPort = to.port;
      this.#last = writeCompactAddress(to.host, to.port, this.#compact4, this.#compact6);
    }
    return this.#last;
  }
}

/** `host`:`port` as compact peer info written into `out4` or `out6` (whichever fits), or undefined for a host that is no IP literal. */
function writeCompactAddress(host: string, port: number, out4: Uint8Array, out6: Uint8Array): Uint8Array | undefined {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  const out = writeIPv4(host, out4, 0) ? out4 : writeIPv6(host, out6, 0) ? out6 : undefined;
  if (!out) return undefined;
  out[out.length - 2] = port >> 8;
  out[out.length - 1] = port & 0xff;
  return out;
}
