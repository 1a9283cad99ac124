/** Errors the node's public methods reject with. */

/**
 * The remote node answered with a KRPC error (BEP 5: 201 generic, 202 server, 203 protocol, 204 method unknown).
 * @example
 * import { DHT, KrpcRemoteError } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * try {
 *   await dht.query('127.0.0.1:6881', 'my_method', { target: dht.id });
 * } catch (error) {
 *   if (error instanceof KrpcRemoteError && error.code === 204) console.log(error.from, 'does not know my_method');
 *   else throw error;
 * }
 */
export class KrpcRemoteError extends Error {
  override readonly name = 'KrpcRemoteError';
  constructor(
    readonly code: number,
    readonly remoteMessage: string,
    readonly from: string,
  ) {
    super(`${from} answered KRPC error ${code}: ${remoteMessage}`);
  }
}

/**
 * No answer in time (or no answer possible: too many queries outstanding, node stopped, garbled answer).
 * @example
 * import { DHT, QueryFailedError } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const alive = await dht.ping('127.0.0.1:6881').then(
 *   () => true,
 *   (error: unknown) => {
 *     if (error instanceof QueryFailedError) return false; // error.reason: 'timeout', 'busy', 'closed' or 'invalid'
 *     throw error;
 *   },
 * );
 */
export class QueryFailedError extends Error {
  override readonly name = 'QueryFailedError';
  constructor(
    readonly reason: 'timeout' | 'busy' | 'closed' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}
