/**
 * Static files served from the installed package, never from a CDN (the pages
 * work offline): uPlot's script and stylesheet, read from the resolved module
 * once and kept. Shared by the dashboard and the search index's pages.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

export interface Asset {
  body: Uint8Array;
  contentType: string;
}

/** URL path → file of a package. */
const PACKAGE_ASSETS: Record<string, { module: string; contentType: string }> = {
  '/assets/uplot.min.js': { module: 'uplot/dist/uPlot.iife.min.js', contentType: 'text/javascript; charset=utf-8' },
  '/assets/uplot.min.css': { module: 'uplot/dist/uPlot.min.css', contentType: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Promise<Asset>>();

/** The asset served at `path`, or undefined for a path that is not one. */
export function packageAsset(path: string): Promise<Asset> | undefined {
  const entry = PACKAGE_ASSETS[path];
  if (!entry) return undefined;
  let asset = cache.get(path);
  if (!asset) {
    const file = createRequire(import.meta.url).resolve(entry.module);
    asset = readFile(file).then((body) => ({ body, contentType: entry.contentType }));
    // A failed read is retried next time rather than cached.
    asset.catch(() => cache.delete(path));
    cache.set(path, asset);
  }
  return asset;
}
