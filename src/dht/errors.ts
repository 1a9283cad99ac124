/** Errors the node's public methods reject with. */

/** The remote node answered with a KRPC error (BEP 5: 201 generic, 202 server, 203 protocol, 204 method unknown). */
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

/** No answer in time (or no answer possible: too many queries outstanding, node stopped, garbled answer). */
export class QueryFailedError extends Error {
  override readonly name = 'QueryFailedError';
  constructor(
    readonly reason: 'timeout' | 'busy' | 'closed' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}
