/**
 * The deploy folder checked by the tools that read it: promtool (Prometheus config, the bearer token file wired),
 * docker-compose config (Debian's docker-compose; no image is pulled or built), systemd-analyze verify (the unit),
 * and the Grafana dashboard's queries against the metrics a running paper daemon exports. A check whose tool is not
 * installed is skipped with the reason printed (.ci/run installs them from Debian packages).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile } from '../../src/config/index.js';
import { repoPath } from '../helpers/repo.js';
import { scrapePaperDaemon } from '../telemetry/exported-metrics.js';
import { DAEMON_NODE_FLAGS } from '../../bench/lib/daemon-node-flags.js';

function which(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function run(cmd: string, args: string[], cwd = repoPath('.')): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1' } });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error !== undefined ? String(r.error) : ''}` };
}

/** it, or it.skip with the reason printed when `reason` is set. */
function itWhen(reason: string | undefined, name: string, fn: () => void | Promise<void>, timeout = 60_000): void {
  if (reason !== undefined) {
    process.stdout.write(`[deploy] skipped "${name}": ${reason}\n`);
    it.skip(`${name} (skipped: ${reason})`, fn);
  } else {
    it(name, fn, timeout);
  }
}

const PROMTOOL = which('promtool');
const COMPOSE = which('docker-compose');
const SYSTEMD_ANALYZE = which('systemd-analyze');

describe('deploy/prometheus.yml', () => {
  itWhen(PROMTOOL === undefined ? 'promtool is not installed (Debian package prometheus)' : undefined, 'passes promtool check config, the token file included', () => {
    const text = readFileSync(repoPath('deploy/prometheus.yml'), 'utf8');
    const doc = parseYaml(text) as { scrape_configs: { job_name: string; metrics_path: string; authorization: { type: string; credentials_file: string } }[] };
    const job = doc.scrape_configs.find((j) => j.job_name === 'switchyard')!;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/switchyard_token' });
    // syntax of the file as shipped
    const syntax = run(PROMTOOL!, ['check', 'config', '--syntax-only', 'deploy/prometheus.yml']);
    expect(syntax.status, syntax.out).toBe(0);
    // the full check reads the token file: the same file with its path pointing at a token file that exists here
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-promtool-'));
    try {
      const token = join(dir, 'switchyard_token');
      writeFileSync(token, 'a'.repeat(64), { mode: 0o600 });
      writeFileSync(join(dir, 'prometheus.yml'), text.replace('/run/secrets/switchyard_token', token));
      const full = run(PROMTOOL!, ['check', 'config', join(dir, 'prometheus.yml')]);
      expect(full.status, full.out).toBe(0);
      // control: without the token file the full check fails (the file is really read)
      rmSync(token);
      expect(run(PROMTOOL!, ['check', 'config', join(dir, 'prometheus.yml')]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/compose.yaml', () => {
  itWhen(COMPOSE === undefined ? 'docker-compose is not installed (Debian package docker-compose)' : undefined, 'passes docker-compose config, with the token secret and the data volumes wired', () => {
    const r = run(COMPOSE!, ['-f', 'deploy/compose.yaml', 'config']);
    expect(r.status, r.out).toBe(0);
    const resolved = parseYaml(r.out.slice(r.out.indexOf('services:') >= 0 ? 0 : 0)) as any;
    expect(Object.keys(resolved.services).sort()).toEqual(['grafana', 'prometheus', 'switchyard']);
    const sy = resolved.services.switchyard;
    expect(JSON.stringify(sy.secrets)).toContain('switchyard_token');
    expect(JSON.stringify(resolved.services.prometheus.secrets)).toContain('switchyard_token');
    expect(JSON.stringify(sy.volumes)).toContain('/var/lib/switchyard');
    expect(String(resolved.secrets.switchyard_token.file)).toMatch(/deploy\/switchyard-token$/);
    // the Grafana provisioning the compose file mounts exists
    for (const f of ['grafana/provisioning/datasources/prometheus.yaml', 'grafana/provisioning/dashboards/provider.yaml', 'grafana/switchyard.json']) {
      expect(existsSync(repoPath(`deploy/${f}`)), f).toBe(true);
    }
    // control: a broken file is refused
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-compose-'));
    try {
      writeFileSync(join(dir, 'compose.yaml'), 'services:\n  x:\n    ports: 7\n    nonsense_key: true\n');
      expect(run(COMPOSE!, ['-f', join(dir, 'compose.yaml'), 'config']).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the container config is valid, listens on 0.0.0.0 and keeps its data and token where compose mounts them', () => {
    const loaded = loadConfigFile(repoPath('deploy/config.yaml'), {});
    expect(loaded.ok, JSON.stringify(loaded.ok ? [] : loaded.errors)).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.config.daemon.api.host).toBe('0.0.0.0');
    expect(loaded.config.daemon.dataDir).toBe('/var/lib/switchyard');
    expect(loaded.config.daemon.api.tokenFile).toBe('/run/secrets/switchyard_token');
    const dockerfile = readFileSync(repoPath('deploy/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/chown node:node \/var\/lib\/switchyard/);
    expect(dockerfile).toMatch(/^USER node$/m);
    const ignore = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git', 'deploy/switchyard-token']) expect(ignore, p).toContain(p);
  });

  it('every launcher of the daemon (npm start, the image, the systemd unit) passes the daemon\'s node flags, as the benchmarks do', () => {
    expect(DAEMON_NODE_FLAGS.length).toBeGreaterThan(0);
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> };
    const start = /^node (.*) dist\/src\/cli\.js start /.exec(pkg.scripts.start!)?.[1]?.split(' ');
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(repoPath('deploy/Dockerfile'), 'utf8'))?.[1];
    const exec = /^ExecStart=\S+ (.*) \/opt\/switchyard\/dist\/src\/cli\.js /m.exec(readFileSync(repoPath('deploy/switchyard.service'), 'utf8'))?.[1]?.split(' ');
    expect(start).toEqual([...DAEMON_NODE_FLAGS]);
    expect(entry === undefined ? undefined : JSON.parse(entry)).toEqual(['node', ...DAEMON_NODE_FLAGS, 'dist/src/cli.js']);
    expect(exec).toEqual([...DAEMON_NODE_FLAGS]);
    // bench:stress runs the daemon's composition in its own process
    for (const f of DAEMON_NODE_FLAGS) expect(pkg.scripts['bench:stress']!.split(' ')).toContain(f);
  });

  it('Grafana provisioning: a Prometheus data source with the uid the dashboard uses, and a provider for its folder', () => {
    const ds = parseYaml(readFileSync(repoPath('deploy/grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as any;
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' });
    const provider = parseYaml(readFileSync(repoPath('deploy/grafana/provisioning/dashboards/provider.yaml'), 'utf8')) as any;
    expect(provider.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    const compose = readFileSync(repoPath('deploy/compose.yaml'), 'utf8');
    expect(compose).toContain('./grafana/switchyard.json:/var/lib/grafana/dashboards/switchyard.json');
    const dash = JSON.parse(readFileSync(repoPath('deploy/grafana/switchyard.json'), 'utf8')) as any;
    for (const p of dash.panels) for (const t of p.targets) expect(t.datasource?.uid ?? p.datasource?.uid, p.title).toBe('prometheus');
  });
});

describe('deploy/switchyard.service', () => {
  const unit = readFileSync(repoPath('deploy/switchyard.service'), 'utf8');
  const execStart = /^ExecStart=(\S+)/m.exec(unit)?.[1];
  const binaryMissing = (() => {
    if (execStart === undefined) return undefined;
    try {
      accessSync(execStart, constants.X_OK);
      return undefined;
    } catch {
      return `${execStart} (the unit's ExecStart binary) is not installed here: systemd-analyze verify requires it`;
    }
  })();

  it('runs as a documented user with a StateDirectory', () => {
    expect(unit).toMatch(/^User=switchyard$/m);
    expect(unit).toMatch(/^StateDirectory=switchyard$/m);
    expect(unit).toMatch(/useradd --system .* switchyard/);
  });

  itWhen(SYSTEMD_ANALYZE === undefined ? 'systemd-analyze is not installed (Debian package systemd)' : binaryMissing, 'passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-unit-'));
    try {
      const r = run(SYSTEMD_ANALYZE!, ['verify', repoPath('deploy/switchyard.service')]);
      expect(r.status, r.out).toBe(0);
      expect(r.out).not.toMatch(/switchyard\.service:/);
      // control: a unit with an unknown directive and a missing binary is reported
      copyFileSync(repoPath('deploy/switchyard.service'), join(dir, 'broken.service'));
      writeFileSync(join(dir, 'broken.service'), unit.replace('ExecStart=/usr/bin/node', 'ExecStart=/nonexistent/node').replace('[Service]', '[Service]\nNoSuchDirective=1'));
      const bad = run(SYSTEMD_ANALYZE!, ['verify', join(dir, 'broken.service')]);
      expect(bad.status !== 0 || /NoSuchDirective|nonexistent/.test(bad.out)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/grafana/switchyard.json', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = await scrapePaperDaemon();
  }, 30_000);

  /** Metric names in a PromQL expression: identifiers that are not functions, keywords or label names. */
  function metricNames(expr: string): string[] {
    const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without)\s*\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '');
    const out: string[] = [];
    for (const m of withoutLabels.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
      const id = m[0];
      const next = withoutLabels.slice(m.index! + id.length).trimStart();
      if (next.startsWith('(')) continue; // a function
      if (/^(by|without|on|ignoring|group_left|group_right|and|or|unless|bool|offset)$/.test(id)) continue;
      out.push(id.replace(/_(bucket|sum|count)$/, ''));
    }
    return out;
  }

  it('every metric a panel queries is one the daemon exports', () => {
    const dash = JSON.parse(readFileSync(repoPath('deploy/grafana/switchyard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const queried = new Set(dash.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))));
    expect(queried.size).toBeGreaterThan(10);
    const unknown = [...queried].filter((n) => !exported.has(n));
    expect(unknown).toEqual([]);
    // the operator metrics of issue 16 are on the dashboard
    for (const n of ['switchyard_venue_circuit_breaker', 'switchyard_venue_rate_limit_remaining', 'switchyard_venue_requests_in_flight',
      'switchyard_market_book_age_seconds', 'switchyard_journal_fsync_seconds', 'switchyard_journal_lag_records', 'switchyard_stream_clients',
      'switchyard_stream_dropped_clients_total', 'process_cpu_seconds_total']) {
      expect(queried.has(n), n).toBe(true);
    }
  });

  it('the query parser finds a metric the daemon does not export (control)', () => {
    const names = metricNames('histogram_quantile(0.99, sum by (le, venue) (rate(switchyard_no_such_seconds_bucket{venue="a"}[1m])))');
    expect(names).toEqual(['switchyard_no_such_seconds']);
    expect(exported.has(names[0]!)).toBe(false);
  });
});
