/**
 * docs/OPERATIONS.md and its files stay true: the options list is the option
 * table's (scripts/options-doc.ts); every metric the Grafana dashboard and the
 * alert examples query is one the node or the crawler exports; the systemd
 * unit's flags exist; the exit codes in the doc and the README are exit.ts's.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit.ts';
import { OPTIONS, flagOf, optionsFor } from '../../src/cli/option-table.ts';
import { withTable } from '../../scripts/options-doc.ts';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const doc = read('docs/OPERATIONS.md');

/** Every metric name registered under src/web/metrics. */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const folder = new URL('../../src/web/metrics/', import.meta.url);
  for (const file of readdirSync(folder)) {
    if (!file.endsWith('.ts')) continue;
    for (const match of readFileSync(new URL(file, folder), 'utf8').matchAll(/'(btdht_[a-z0-9_]+)'/g)) names.add(match[1]!);
  }
  return names;
}

describe('docs/OPERATIONS.md', () => {
  it('lists every option as the option table has it', () => {
    expect(doc).toBe(withTable(doc));
    for (const option of OPTIONS) expect(doc).toContain(`| \`${option.key}\` |`);
  });

  it('the Grafana dashboard and the alerts query only metrics that exist', () => {
    const exported = exportedMetrics();
    expect(exported.size).toBeGreaterThan(20);
    const dashboard = JSON.parse(read('docs/ops/grafana-dashboard.json')) as { panels: { targets: { expr: string }[] }[] };
    const queried = new Set<string>();
    for (const panel of dashboard.panels) for (const target of panel.targets) for (const match of target.expr.matchAll(/btdht_[a-z0-9_]+/g)) queried.add(match[0]);
    for (const match of doc.matchAll(/btdht_[a-z0-9_]+/g)) queried.add(match[0]);
    expect(queried.size).toBeGreaterThan(10);
    // A histogram is exported under its name; Prometheus adds _bucket, _sum and _count.
    for (const name of queried) expect(exported.has(name.replace(/_(bucket|sum|count)$/, '')), name).toBe(true);
  });

  it("the systemd units' flags exist, each for its command", () => {
    for (const command of ['node', 'crawl'] as const) {
      const unit = read(`docs/ops/btdht-${command}.service`);
      const exec = new RegExp(`^ExecStart=.*btdht ${command} (.*)$`, 'm').exec(unit)![1]!;
      const flags = new Set(['--config', ...optionsFor(command).map((option) => flagOf(option))]);
      for (const flag of exec.match(/--[a-z0-9-]+/g)!) expect(flags.has(flag), `${command}: ${flag}`).toBe(true);
      expect(unit).toMatch(new RegExp(`RestartPreventExitStatus=${EXIT.usage}`));
      expect(doc).toContain(`ops/btdht-${command}.service`);
    }
  });

  it('the exit codes in the doc and the README are those of exit.ts', () => {
    for (const text of [doc, read('README.md')]) {
      expect(text).toMatch(new RegExp(`\\| ${EXIT.usage} \\| bad usage`));
      expect(text).toMatch(new RegExp(`\\| ${EXIT.unreachable} \\| no node could be reached`));
      expect(text).toMatch(new RegExp(`\\| ${EXIT.notFound} \\| the DHT was reached but held nothing`));
    }
  });
});
