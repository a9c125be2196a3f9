/**
 * bench:redis at a tiny size (the full run is `npm run bench:redis`): the real daemon process and Redis on 127.0.0.1,
 * 2,000 commands once. What is checked is the shape of its JSON line and that its figures are the ratios they are
 * said to be, never a speed: every command acknowledged, the share is commands_per_s / raw_xadd_per_s, Redis's own CPU
 * per raw entry and per daemon command are read (Redis runs on this machine) and the ceiling share is computed from
 * them, and the run leaves no key of its own behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/daemon-process.js';
import { REPO_ROOT, repoPath } from '../helpers/repo.js';
import { PrivateRedis } from '../helpers/redis-server.js';

const URL_ = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** dist/bench/redis.js must be a build of the current bench/redis.ts. */
function ensureBenchBuilt(): void {
  ensureBuilt();
  const out = repoPath('dist/bench/redis.js');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(repoPath('bench/redis.ts')).mtimeMs) return;
  spawnSync(process.execPath, [repoPath('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT, timeout: 120_000 });
}

async function benchKeys(): Promise<number> {
  const c = createClient({ url: URL_ });
  c.on('error', () => undefined);
  await c.connect();
  let n = 0;
  for await (const keys of c.scanIterator({ MATCH: 'sybench:*', COUNT: 1000 })) n += keys.length;
  await c.close();
  return n;
}

describe('bench:redis (tiny size)', () => {
  it('prints one JSON line whose figures are what they say: the share, Redis CPU per entry and per command, the ceiling, the daemon\'s and the client\'s CPU per command', async () => {
    ensureBenchBuilt();
    const before = await benchKeys();
    const r = spawnSync(process.execPath, [repoPath('dist/bench/redis.js'), '--commands', '2000', '--runs', '1'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 150_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const j = JSON.parse(lines[lines.length - 1]!) as Record<string, number | string | null>;
    expect(j.bench).toBe('redis');
    expect(j.commands).toBe(2000);
    expect(j.runs).toBe(1);
    expect(j.replies).toBe('ids');
    expect(j.errors).toBe(0);
    for (const k of ['commands_per_s', 'raw_xadd_per_s', 'rtt_p50_us', 'rtt_p99_us', 'reply_p50_us', 'reply_p99_us'] as const) {
      expect(typeof j[k], k).toBe('number');
      expect(j[k] as number, k).toBeGreaterThan(0);
    }
    expect(j.rtt_p99_us as number).toBeGreaterThanOrEqual(j.rtt_p50_us as number);
    expect(j.share_of_raw as number).toBeCloseTo((j.commands_per_s as number) / (j.raw_xadd_per_s as number), 2);
    // Redis runs here: its CPU is read (in 10 ms ticks, so a short phase may read 0)
    expect(typeof j.redis_cpu_us_per_raw_entry).toBe('number');
    expect(typeof j.redis_cpu_us_per_command).toBe('number');
    expect(j.redis_cpu_us_per_raw_entry as number).toBeGreaterThanOrEqual(0);
    const perCommand = j.redis_cpu_us_per_command as number;
    expect(perCommand).toBeGreaterThanOrEqual(0);
    if (perCommand > 0) {
      // from the printed (rounded) figures: per command to 0.1 µs, raw to 1/s, the share to 0.001
      const expected = 1e6 / perCommand / (j.raw_xadd_per_s as number);
      expect(Math.abs((j.redis_ceiling_share as number) - expected)).toBeLessThanOrEqual(expected * (0.05 / perCommand + 0.001) + 0.0005);
    }
    else expect(j.redis_ceiling_share).toBeNull();
    // the CPU per command over the daemon runs: the daemon's from /proc (10 ms ticks: may read 0), the client's own
    for (const k of ['daemon_cpu_us_per_command', 'daemon_main_cpu_us_per_command', 'client_cpu_us_per_command'] as const) {
      expect(typeof j[k], k).toBe('number');
      expect(j[k] as number, k).toBeGreaterThanOrEqual(0);
    }
    expect(j.client_cpu_us_per_command as number).toBeGreaterThan(0);
    // all the daemon's threads, at least its main thread (the two read a moment apart: a tick either way)
    expect(j.daemon_cpu_us_per_command as number).toBeGreaterThanOrEqual((j.daemon_main_cpu_us_per_command as number) - 2 * 10_000 / 2000);
    // the bench deletes its keys (its daemon's streams and its raw runs')
    expect(await benchKeys()).toBe(before);
  }, 180_000);

  it('runs the daemon against the Redis REDIS_URL names, as the client and the raw runs', async () => {
    ensureBenchBuilt();
    const redis = await PrivateRedis.start();
    try {
      const r = spawnSync(process.execPath, [repoPath('dist/bench/redis.js'), '--commands', '100', '--runs', '1'],
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 150_000, env: { ...process.env, REDIS_URL: redis.url } });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      const j = JSON.parse(lines[lines.length - 1]!) as Record<string, number | string | null>;
      expect(j.commands).toBe(100);
      expect(j.errors).toBe(0);
      // the daemon's commands went through that Redis: its command stream was made there
      const c = createClient({ url: redis.url });
      c.on('error', () => undefined);
      await c.connect();
      try {
        const stats = await c.info('commandstats');
        expect(Number(/cmdstat_xreadgroup:calls=(\d+)/.exec(stats)?.[1] ?? 0)).toBeGreaterThan(0);
        expect(Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0)).toBeGreaterThan(0);
      } finally {
        await c.close();
      }
    } finally {
      await redis.stop();
    }
  }, 180_000);
});
