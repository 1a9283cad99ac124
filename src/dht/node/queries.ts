/**
 * One query to one node, by whichever of our sockets reaches its family, and
 * its outcome as a response or a typed error: what `ping`, `addNode`, `query`
 * and the extensions' host share.
 */
import type { BencodeDict } from '../../ground/bencode.ts';
import type { Endpoint } from '../../ground/address.ts';
import type { KrpcResponse, QueryArgs } from '../../ground/messages.ts';
import { KrpcRemoteError, QueryFailedError } from '../errors.ts';
import type { PingResult } from '../events.ts';
import type { QueryOutcome } from '../transactions.ts';
import type { FamilyBase } from '../stack.ts';
import { stackOf } from '../stack.ts';

/** The stack that can reach `to`, or a clear error naming the missing family. */
export function stackTo<S extends Pick<FamilyBase, 'family' | 'transactions'>>(stacks: readonly S[], to: Endpoint, what: string): S {
  const stack = stackOf(stacks, to.family);
  if (!stack) throw new Error(`${what}: ${to.host} is an IPv${to.family} address and this node has no IPv${to.family} socket (options ipv4 / ipv6)`);
  return stack;
}

/** Send `method` to `to` and wait: the response, or QueryFailedError / KrpcRemoteError. */
export async function queryNode(stacks: readonly Pick<FamilyBase, 'family' | 'transactions'>[], to: Endpoint, method: string, args: QueryArgs = {}, extra?: BencodeDict): Promise<KrpcResponse> {
  const outcome = await stackTo(stacks, to, 'query').transactions.query(to, method, args, extra ? { extra } : {});
  return expectResponse(outcome, to, method);
}

/** Offer `to` to the routing table: a ping (it enters the table if it answers). True when it answered. */
export async function offerNode(stacks: readonly Pick<FamilyBase, 'family' | 'transactions'>[], to: Endpoint): Promise<boolean> {
  const outcome = await stackTo(stacks, to, 'addNode').transactions.query(to, 'ping', {});
  return outcome.kind === 'response';
}

/** Ping `to`: its id and the round trip. */
export async function pingNode(stacks: readonly Pick<FamilyBase, 'family' | 'transactions'>[], to: Endpoint): Promise<PingResult> {
  const outcome = await stackTo(stacks, to, 'ping').transactions.query(to, 'ping', {});
  const response = expectResponse(outcome, to, 'ping');
  const id = response.r.id;
  if (!id || id.length !== 20) throw new QueryFailedError('invalid', `ping: ${to.host}:${to.port} answered without a 20-byte id`);
  return { id: id.slice(), host: to.host, port: to.port, rtt: outcome.kind === 'response' ? outcome.rtt : 0 };
}

/** A query's outcome as its response, or the error that says why there is none. */
export function expectResponse(outcome: QueryOutcome, to: Endpoint, method: string): KrpcResponse {
  const where = `${to.host}:${to.port}`;
  switch (outcome.kind) {
    case 'response':
      return outcome.response;
    case 'error':
      throw new KrpcRemoteError(outcome.code, outcome.message, where);
    case 'timeout':
      throw new QueryFailedError('timeout', `${method} to ${where}: no answer in time`);
    case 'busy':
      throw new QueryFailedError('busy', `${method} to ${where}: too many queries outstanding`);
    case 'closed':
      throw new QueryFailedError('closed', `${method} to ${where}: the node stopped`);
    case 'invalid':
      throw new QueryFailedError('invalid', `${method} to ${where}: garbled answer (${outcome.reason})`);
  }
}
