/**
 * Debug lines for lookups: each lookup gets an id (`L<n>` per node), and its
 * start, every query it sends with the outcome, and its end carry that id, so
 * `grep lookup=L17` shows one lookup whole. With the logger's debug level off
 * the traversal runs unwrapped: nothing is counted, formatted or allocated.
 */
import { formatHostPort } from '../util/endpoint.ts';
import { toHex } from '../util/hex.ts';
import type { LogEvent, Logger } from './log.ts';
import type { TraversalOptions, TraversalResult, TraversalStrategy } from './traversal.ts';

export class LookupLog {
  readonly #log: Logger;
  #next = 0;

  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * Wrap one lookup's options (its queries are logged) and give the callback
   * that logs its end; the options unchanged when debug is off.
   */
  wrap(options: TraversalOptions, strategy: TraversalStrategy): { options: TraversalOptions; end?: (result: TraversalResult) => void } {
    const debug = this.#log.debug;
    if (!debug) return { options };
    const lookup = `L${++this.#next}`;
    const started = performance.now();
    debug('lookup.start', { lookup, method: strategy.method, target: toHex(options.target), family: options.family, seeds: options.seeds.length + (options.addresses?.length ?? 0) });
    const query = options.query;
    return {
      options: {
        ...options,
        query: async (to, method, args, nodeId) => {
          const outcome = await query(to, method, args, nodeId);
          logQuery(debug, lookup, formatHostPort(to), method, outcome);
          return outcome;
        },
      },
      end: (result) =>
        debug('lookup.end', {
          lookup,
          method: strategy.method,
          queried: result.queried,
          answered: result.answered,
          failed: result.failed,
          closest: result.closest.length,
          aborted: result.aborted || undefined,
          ms: Math.round(performance.now() - started),
        }),
    };
  }
}

function logQuery(debug: LogEvent, lookup: string, to: string, method: string, outcome: Awaited<ReturnType<TraversalOptions['query']>>): void {
  switch (outcome.kind) {
    case 'response':
      debug('lookup.answer', { lookup, to, method, ms: Math.round(outcome.rtt) });
      return;
    case 'error':
      debug('lookup.error', { lookup, to, method, code: outcome.code, message: outcome.message });
      return;
    case 'invalid':
      debug('lookup.invalid', { lookup, to, method, reason: outcome.reason });
      return;
    default:
      debug(`lookup.${outcome.kind}`, { lookup, to, method });
  }
}
