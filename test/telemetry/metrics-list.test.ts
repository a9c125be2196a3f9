/**
 * The README's Metrics table is the list of what the daemon exports: every metric listed as always there is exported
 * by a paper daemon, every switchyard_* metric it exports is listed, every conditional one is defined in the sources,
 * and the names other than switchyard_* are prom-client's default process metrics.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestDaemon } from '../helpers/daemon.js';
import { pollUntil } from '../helpers/poll.js';
import { familyNames, readmeMetrics, scrapePaperDaemon } from './exported-metrics.js';

function sourceText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out += sourceText(p);
    else if (name.endsWith('.ts')) out += readFileSync(p, 'utf8');
  }
  return out;
}

describe('README metrics list', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = await scrapePaperDaemon();
  }, 30_000);

  const listed = readmeMetrics();
  const names = new Set(listed.map((m) => m.name));

  it('lists each metric once, with a type for each switchyard metric', () => {
    expect(listed.length).toBe(names.size);
    for (const m of listed) if (m.name.startsWith('switchyard_')) expect(['counter', 'gauge', 'histogram'], m.name).toContain(m.type);
  });

  it('every metric listed as always there is exported by a paper daemon', () => {
    const missing = listed.filter((m) => m.when === 'always' && !m.name.endsWith('*') && !exported.has(m.name)).map((m) => m.name);
    expect(missing).toEqual([]);
  });

  it('every switchyard_* metric exported is listed', () => {
    const unlisted = [...exported].filter((n) => n.startsWith('switchyard_') && !names.has(n));
    expect(unlisted).toEqual([]);
  });

  it('the operator metrics of issue 16 are exported', () => {
    for (const n of ['switchyard_venue_circuit_breaker', 'switchyard_venue_rate_limit_remaining', 'switchyard_venue_requests_in_flight',
      'switchyard_market_book_age_seconds', 'switchyard_journal_fsync_seconds', 'switchyard_journal_lag_records',
      'switchyard_stream_clients', 'switchyard_stream_dropped_clients_total', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      expect(exported.has(n), n).toBe(true);
    }
  });

  it('the other exported names are the default process metrics the table names by prefix', () => {
    const prefixes = listed.filter((m) => m.name.endsWith('*')).map((m) => m.name.slice(0, -1));
    expect(prefixes.sort()).toEqual(['nodejs_', 'process_']);
    const other = [...exported].filter((n) => !n.startsWith('switchyard_') && !prefixes.some((p) => n.startsWith(p)));
    expect(other).toEqual([]);
  });

  it('every conditional metric is defined in the sources', () => {
    const src = sourceText('src');
    const undefinedOnes = listed.filter((m) => m.when !== 'always' && !src.includes(`'${m.name}'`)).map((m) => m.name);
    expect(undefinedOnes).toEqual([]);
  });

  it('detects an unlisted metric (control)', () => {
    const withExtra = familyNames('# HELP switchyard_not_in_readme x\n# TYPE switchyard_not_in_readme gauge\n');
    expect([...withExtra].filter((n) => !names.has(n))).toEqual(['switchyard_not_in_readme']);
  });
});

describe('metric values read from their owners', () => {
  it('event-stream clients, journal fsyncs and journal lag follow the daemon', async () => {
    const d = await startTestDaemon();
    const value = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    try {
      expect(value(await d.api.metrics(), 'switchyard_stream_clients')).toBe(0);
      const ws = new WebSocket(d.wsUrl, { headers: { authorization: `Bearer ${d.token}` } });
      try {
        await new Promise<void>((res, rej) => {
          ws.once('open', () => res());
          ws.once('error', rej);
        });
        await pollUntil(async () => value(await d.api.metrics(), 'switchyard_stream_clients'), (n) => n === 1, { timeoutMs: 5000 });
      } finally {
        ws.close();
      }
      await pollUntil(async () => value(await d.api.metrics(), 'switchyard_stream_clients'), (n) => n === 0, { timeoutMs: 5000 });
      // an order is journaled: the fsync histogram counts batches, the lag comes back to 0
      const r = await d.api.post('/v1/orders', { strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', price: '30000', quantity: '0.001' });
      expect(r.status).toBe(201);
      const text = await pollUntil(() => d.api.metrics(), (t) => value(t, 'switchyard_journal_fsync_seconds_count') > 0 && value(t, 'switchyard_journal_lag_records') === 0, { timeoutMs: 5000 });
      expect(value(text, 'switchyard_journal_fsync_seconds_sum')).toBeGreaterThan(0);
    } finally {
      await d.stop();
    }
  }, 30_000);
});
