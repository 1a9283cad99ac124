/** The search index over a crawl database, started for `btdht serve`, `btdht crawl --serve` and the crawl demo. */
import type { ListenAddress } from '../web/listen.ts';
import { openIndexReader } from '../web/index/open-reader.ts';
import type { IndexReader } from '../web/index/reader.ts';
import { IndexServer } from '../web/index/server.ts';

/** A running index: its server and the reader it owns. */
export interface RunningIndex {
  server: IndexServer;
  url: string;
  close(): Promise<void>;
}

/** Open the database read-only and serve it; IndexOpenError / ListenError say what was wrong. */
export async function startIndex(db: string, address: ListenAddress, options: { schema?: string; what?: string } = {}): Promise<RunningIndex> {
  const reader: IndexReader = await openIndexReader(db, options.schema !== undefined ? { schema: options.schema } : {});
  try {
    const server = await IndexServer.start(address, { reader }, options.what ?? '--listen');
    return {
      server,
      url: server.url,
      close: async () => {
        await server.close();
        await reader.close();
      },
    };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

