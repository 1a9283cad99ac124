/**
 * One registry for a program's metrics (the node's, and the crawler's when it
 * crawls), updated once per read: as Prometheus text for `/metrics`, and as a
 * flat snapshot for the dashboard (series key → value, the same series).
 */
import { Registry } from 'prom-client';
import { Instruments } from './instruments.ts';
import { DhtMetrics, type DhtSource } from './dht-metrics.ts';
import { CrawlMetrics, type CrawlSource, type StoreSource } from './crawl-metrics.ts';

/** What the dashboard receives: every series but histogram buckets, by key `name{label="value",...}` (labels sorted). */
export interface MetricsSnapshot {
  /** ms since the epoch. */
  t: number;
  values: Record<string, number>;
}

export class MetricsHub {
  readonly registry = new Registry();
  readonly #instruments = new Instruments(this.registry);
  #dht: DhtMetrics | undefined;
  #crawl: CrawlMetrics | undefined;

  /** Measure a node. */
  addNode(source: DhtSource): this {
    if (this.#dht) throw new Error('MetricsHub: a node is measured already');
    this.#dht = new DhtMetrics(this.#instruments, source);
    return this;
  }

  /** Measure a crawler and its store. */
  addCrawler(source: CrawlSource, store?: StoreSource, options?: { storeEveryMs?: number }): this {
    if (this.#crawl) throw new Error('MetricsHub: a crawler is measured already');
    this.#crawl = new CrawlMetrics(this.#instruments, source, store, options);
    return this;
  }

  /** Does it measure a crawler (the dashboard shows its part)? */
  get crawling(): boolean {
    return this.#crawl !== undefined;
  }

  async #update(): Promise<void> {
    this.#dht?.update();
    await this.#crawl?.update();
  }

  /** Prometheus text exposition format 0.0.4. */
  async text(): Promise<string> {
    await this.#update();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async snapshot(): Promise<MetricsSnapshot> {
    await this.#update();
    const values: Record<string, number> = {};
    for (const metric of await this.registry.getMetricsAsJSON()) {
      for (const value of metric.values) {
        const name = (value as { metricName?: string }).metricName ?? metric.name;
        if (name.endsWith('_bucket')) continue;
        values[seriesKey(name, value.labels)] = value.value;
      }
    }
    return { t: Date.now(), values };
  }

  /** Stop listening to the measured objects. */
  close(): void {
    this.#dht?.close();
    this.#crawl?.close();
  }
}

/** `name{a="x",b="y"}` with labels sorted by name: one key per series, as Prometheus identifies it. */
export function seriesKey(name: string, labels: Readonly<Record<string, string | number | undefined>>): string {
  const keys = Object.keys(labels)
    .filter((key) => labels[key] !== undefined)
    .sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((key) => `${key}=${JSON.stringify(String(labels[key]))}`).join(',')}}`;
}
