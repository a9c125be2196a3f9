/**
 * `npm run local` (scripts/local.mjs): with none of the LOCAL_* variables set, it starts the fake Binance and OKX and
 * a daemon wired to them, prints where the API and the page are, /health shows both venues up, and a Ctrl-C (SIGINT)
 * stops the daemon and both fakes (their ports stop answering) with exit code 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/daemon-process.js';
import { pollUntil } from '../helpers/poll.js';
import { REPO_ROOT } from '../helpers/repo.js';

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

describe('npm run local', () => {
  it('starts the fake venues and the daemon wired to them, prints the addresses, stops everything on SIGINT', async () => {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-local-'));
    const env: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_API_PORT: '0', SWITCHYARD_DATA_DIR: dir };
    for (const k of Object.keys(env)) if (k.startsWith('LOCAL_') || k.startsWith('FAKE_') || k === 'SWITCHYARD_API_TOKEN') delete env[k];
    const child = spawn(process.execPath, ['scripts/local.mjs', '--json'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    // stdout as it came, cut into whole lines when read: a chunk may end in the middle of a line, and the script's
    // lines may come in several chunks (under load, the api line was seen before the page line had arrived)
    let stdout = '';
    const lines = (): string[] => stdout.split('\n').slice(0, -1);
    const err: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    try {
      // its last line says how to stop it: everything before it is out
      const out = await pollUntil(lines, (ls) => ls.includes('switchyard local: Ctrl-C stops the daemon, then the fake venues'), { timeoutMs: 90_000, intervalMs: 50 });
      const api = out.map((l) => /^switchyard local: api (http:\/\/127\.0\.0\.1:\d+)$/.exec(l)?.[1]).find((x) => x !== undefined);
      expect(api).toBeDefined();
      expect(out).toContain(`switchyard local: page ${api}/`);
      const fakes = out.map((l) => /fake Binance on (http:\/\/[0-9.:]+), fake OKX on (http:\/\/[0-9.:]+)/.exec(l)).find((m) => m !== null && m !== undefined)!;
      expect(fakes).toBeDefined();
      // the token is where the script says, and is never printed
      expect(out.some((l) => l.includes(join(dir, 'api-token')))).toBe(true);
      const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
      expect([...lines(), ...err].filter((l) => l.includes(token))).toEqual([]);
      const health = await pollUntil(async () => (await fetch(`${api!}/health`)).json() as Promise<any>,
        (h) => h.venues?.length === 2 && h.venues.every((v: any) => v.available === true), { timeoutMs: 30_000, intervalMs: 100 });
      expect(health.venues.map((v: any) => v.name).sort()).toEqual(['local-binance', 'local-okx']);
      // an authenticated call works with the token from the file
      expect((await fetch(`${api!}/v1/orders`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      // the exchange adapters' operator metrics: breaker state, rate-limit pools, requests in flight
      const metrics = await (await fetch(`${api!}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      for (const venue of ['local-binance', 'local-okx']) {
        expect(metrics).toContain(`switchyard_venue_circuit_breaker{venue="${venue}",state="closed"} 1`);
        expect(metrics).toContain(`switchyard_venue_circuit_breaker{venue="${venue}",state="open"} 0`);
        expect(metrics).toMatch(new RegExp(`switchyard_venue_rate_limit_remaining\\{venue="${venue}",pool="[^"]+"\\} \\d+`));
        expect(metrics).toMatch(new RegExp(`switchyard_venue_requests_in_flight\\{venue="${venue}"\\} \\d+`));
      }

      child.kill('SIGINT');
      const exit = await Promise.race([exited, new Promise<never>((_r, rej) => setTimeout(() => rej(new Error('npm run local did not stop within 30 s')), 30_000))]);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(await answers(`${api!}/health`)).toBe(false);
      expect(await answers(fakes[1]!)).toBe(false);
      expect(await answers(fakes[2]!)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL'); // its exit handler kills the children it started
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
