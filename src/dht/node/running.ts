/** The parts of a listening node, as dht/node/assemble.ts builds them and the public face reads them. */
import type { Core } from '../../core/types.ts';
import type { Bep42Policy } from '../bep42/trust.ts';
import type { DestinationBudget } from '../destination-budget.ts';
import type { Items } from '../items/install.ts';
import type { SourceLimiter } from '../rate-limit.ts';
import type { Sample } from '../sample/install.ts';
import type { Scrape } from '../scrape/install.ts';
import type { Stack } from '../stack.ts';
import type { TokenManager } from '../tokens.ts';
import type { Traversals } from './traversals.ts';

/** The parts that exist once listening. */
export interface Running {
  core: Core;
  /** One per address family (BEP 32), the primary first: IPv4 when the node runs it. */
  stacks: Stack[];
  /** stacks[0]: our own lookups, BEP 42 id, `address()`. */
  primary: Stack;
  limiter: SourceLimiter | undefined;
  budget: DestinationBudget | undefined;
  bep42: Bep42Policy;
  /** Write tokens for get_peers/announce_peer and BEP 44 get/put, either family: one scheme. */
  tokens: TokenManager;
  /** BEP 44 items, BEP 33 scrapes, BEP 51 samples. */
  items: Items;
  scrape: Scrape;
  sample: Sample;
  traversals: Traversals;
  /** Routing-table upkeep and peer expiry every MAINTENANCE_INTERVAL_MS (with option `maintenance`). */
  maintenance: { start(): void; close(): void };
}
