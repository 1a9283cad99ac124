/**
 * Where a node starts: bootstrap entries are split into numeric addresses
 * (ordinary nodes: they may enter the routing table) and host names (routers:
 * resolved by DNS, asked, never put in the table, as BEP 5 asks). DNS goes
 * through an injectable resolver; a name that does not resolve in time is
 * skipped with a warning. Never throws.
 */
import type { Clock } from '../ground/clock.ts';
import type { AddressFamily, Endpoint } from '../ground/address.ts';
import type { HostPort } from '../util/endpoint.ts';
import { toEndpoint } from '../util/endpoint.ts';
import { ipFamily } from '../ground/address.ts';
import { DNS_TIMEOUT_MS } from './constants.ts';
import type { Resolver } from './options.ts';

export interface BootstrapAddresses {
  /** Numeric entries: ordinary nodes. */
  nodes: Endpoint[];
  /** Resolved names: routers. */
  routers: Endpoint[];
}

/** The default resolver: node:dns/promises (Node and Deno both provide it), loaded only when a name needs it. */
export const systemResolver: Resolver = async (host) => {
  const dns = await import('node:dns/promises');
  const addresses = await dns.lookup(host, { all: true });
  return addresses.map((entry) => entry.address);
};

/** Split bootstrap entries into numeric addresses of `family` (usable at once) and names (need DNS). */
export function splitBootstrap(entries: readonly HostPort[], family: AddressFamily): { nodes: Endpoint[]; names: HostPort[] } {
  const nodes: Endpoint[] = [];
  const names: HostPort[] = [];
  for (const entry of entries) {
    const endpoint = toEndpoint(entry);
    if (!endpoint) names.push(entry);
    else if (endpoint.family === family) nodes.push(endpoint);
  }
  return { nodes, names };
}

/** Resolve router names for a node of `family`, in parallel, each bounded by DNS_TIMEOUT_MS; failures warn and are skipped. */
export async function resolveRouters(
  names: readonly HostPort[],
  family: AddressFamily,
  resolve: Resolver,
  clock: Clock,
  onWarning: (error: Error) => void,
): Promise<Endpoint[]> {
  const resolved = await Promise.all(
    names.map(async (entry): Promise<Endpoint[]> => {
      try {
        const hosts = await withTimeout(resolve(entry.host), DNS_TIMEOUT_MS, clock, `DNS lookup of ${entry.host} timed out`);
        const endpoints: Endpoint[] = [];
        for (const host of hosts) {
          if (ipFamily(host) === family) endpoints.push({ host, port: entry.port, family });
        }
        if (endpoints.length === 0) onWarning(new Error(`bootstrap router ${entry.host} has no IPv${family} address`));
        return endpoints;
      } catch (error) {
        onWarning(new Error(`bootstrap router ${entry.host}:${entry.port} skipped: ${error instanceof Error ? error.message : String(error)}`));
        return [];
      }
    }),
  );
  return resolved.flat();
}

/** Both steps: the numeric nodes and the resolved routers. */
export async function resolveBootstrap(
  entries: readonly HostPort[],
  family: AddressFamily,
  resolve: Resolver,
  clock: Clock,
  onWarning: (error: Error) => void,
): Promise<BootstrapAddresses> {
  const { nodes, names } = splitBootstrap(entries, family);
  return { nodes, routers: await resolveRouters(names, family, resolve, clock, onWarning) };
}

function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimer(() => reject(new Error(message)), ms);
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
