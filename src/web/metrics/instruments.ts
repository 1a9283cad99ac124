/**
 * prom-client instruments read from the node's own totals. The node counts
 * with plain integer increments (src/dht/stats.ts); at each scrape the
 * counters here are set to those totals, once, from one `stats()` snapshot.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export type Labels = Record<string, string | number>;

/** The instruments of one registry, named and typed in one place. */
export class Instruments {
  readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Totals {
    if (!name.endsWith('_total')) throw new Error(`metric ${name}: a counter's name ends in _total`);
    return new Totals(new Counter({ name, help, labelNames, registers: [this.registry] }));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Levels {
    return new Levels(new Gauge({ name, help, labelNames, registers: [this.registry] }));
  }

  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }
}

/** A counter set to totals kept elsewhere (they only grow, so it stays a counter). */
export class Totals {
  readonly #counter: Counter;

  constructor(counter: Counter) {
    this.#counter = counter;
  }

  /** One unlabelled total. */
  set(value: number): void {
    this.#counter.reset();
    this.#counter.inc(value);
  }

  /** Totals by the values of one label, e.g. queries by `method`; `total` and `skip`ped keys left out. */
  setBy(label: string, counts: Readonly<Record<string, number>>, base: Labels = {}, skip?: (key: string) => boolean): void {
    for (const [key, value] of Object.entries(counts)) {
      if (key === 'total' || skip?.(key)) continue;
      this.#counter.inc({ ...base, [label]: key }, value);
    }
  }

  /** One labelled total (after `reset()` in the same update). */
  add(labels: Labels, value: number): void {
    this.#counter.inc(labels, value);
  }

  reset(): void {
    this.#counter.reset();
  }
}

/** A gauge whose label sets may come and go between updates (buckets split, families bind). */
export class Levels {
  readonly #gauge: Gauge;

  constructor(gauge: Gauge) {
    this.#gauge = gauge;
  }

  set(value: number, labels?: Labels): void {
    if (labels) this.#gauge.set(labels, value);
    else this.#gauge.set(value);
  }

  reset(): void {
    this.#gauge.reset();
  }
}
