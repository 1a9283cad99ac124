/**
 * The field's peer-wire libraries (bittorrent-protocol frames the BitTorrent
 * wire, ut_metadata speaks BEP 9 over it). Only the crawl demo's seeder uses
 * them (the fetcher speaks the few messages it needs itself, peer-wire.ts), so
 * they are optional peer dependencies, imported on first use: a DHT or
 * crawler user installs neither, and the demo without them says what to install.
 */
import type Wire from 'bittorrent-protocol';
import type utMetadata from 'ut_metadata';
import { MissingDependencyError, isNotInstalled } from '../../util/optional-dependency.ts';

export interface WireLibraries {
  Wire: typeof Wire;
  utMetadata: typeof utMetadata;
}

let loading: Promise<WireLibraries> | undefined;

/** Both libraries, imported once; rejects with a MissingDependencyError naming the absent ones. */
export function loadWireLibraries(): Promise<WireLibraries> {
  if (loading === undefined) {
    loading = importBoth();
    loading.catch(() => {}); // whoever asked sees the rejection; an unasked one must not crash the process
  }
  return loading;
}

async function importBoth(): Promise<WireLibraries> {
  const [wire, metadata] = await Promise.allSettled([import('bittorrent-protocol'), import('ut_metadata')]);
  const missing: string[] = [];
  if (wire.status === 'rejected') {
    if (!isNotInstalled(wire.reason, 'bittorrent-protocol')) throw wire.reason;
    missing.push('bittorrent-protocol');
  }
  if (metadata.status === 'rejected') {
    if (!isNotInstalled(metadata.reason, 'ut_metadata')) throw metadata.reason;
    missing.push('ut_metadata');
  }
  if (wire.status === 'rejected' || metadata.status === 'rejected') {
    throw new MissingDependencyError("The crawl demo's seeder", missing);
  }
  return { Wire: wire.value.default, utMetadata: metadata.value.default };
}
