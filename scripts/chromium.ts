/**
 * Debian's chromium driven by puppeteer-core (nothing downloads a browser):
 * headless, no sandbox (CI runs as root), no network of its own (no updates,
 * no sync, no QUIC), in a fresh profile removed at close. Used by the
 * dashboard's browser test and by scripts/dashboard-screenshot.ts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export const CHROMIUM = process.env['BTDHT_CHROMIUM'] ?? '/usr/bin/chromium';

/** Is the browser installed here (CI installs Debian's `chromium`)? */
export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'btdht-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    defaultViewport: viewport,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
