/**
 * The metric names a running paper daemon exports (from its /metrics HELP lines), and the README's Metrics table:
 * shared by the metrics-list test and the Grafana dashboard check.
 */
import { readFileSync } from 'node:fs';
import { startTestDaemon } from '../helpers/daemon.js';

/** Metric family names in a Prometheus text exposition (one per # HELP line). */
export function familyNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# HELP (\S+) /.exec(line);
    if (m !== null) names.add(m[1]!);
  }
  return names;
}

/** Starts a paper daemon, scrapes /metrics once, stops it: the metric families it exports. */
export async function scrapePaperDaemon(): Promise<Set<string>> {
  const d = await startTestDaemon();
  try {
    return familyNames(await d.api.metrics());
  } finally {
    await d.stop();
  }
}

export interface ReadmeMetric {
  readonly name: string;
  readonly type: string;
  readonly labels: string[];
  /** 'always', or the feature it needs ('redis events', 'enhancers', ...). */
  readonly when: string;
}

/** The rows of the README's "## Metrics" table (names in backticks in the first column). */
export function readmeMetrics(readme = readFileSync('README.md', 'utf8')): ReadmeMetric[] {
  const start = readme.indexOf('\n## Metrics\n');
  if (start < 0) throw new Error('README has no "## Metrics" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const rows: ReadmeMetric[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !cells[1]!.startsWith('`')) continue;
    for (const m of cells[1]!.matchAll(/`([^`]+)`/g)) {
      rows.push({ name: m[1]!, type: cells[2]!, labels: cells[3]!.split(',').map((l) => l.trim()).filter((l) => l !== ''), when: cells[4]! });
    }
  }
  return rows;
}
