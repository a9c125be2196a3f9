import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, repoPath } from './repo.js';

export const CLI = repoPath('dist/src/cli.js');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Make sure dist/ holds a build of the current sources: `npm test` builds first (pretest); a direct
 * `vitest run` may not have, so compile when dist/src/cli.js is missing or older than a source file.
 */
export function ensureBuilt(): void {
  const newest = Math.max(newestSourceMtime(repoPath('src')), newestSourceMtime(repoPath('adapters')));
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest) return;
  const tsc = repoPath('node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (!existsSync(CLI)) throw new Error(`build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** The environment for a child daemon: ours without any API token, so the token-file path is exercised. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.SWITCHYARD_API_TOKEN;
  return env;
}

/** Run the CLI to completion (check-config, version). */
export function runCli(args: readonly string[], timeoutMs = 15_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs, env: childEnv() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A daemon started as `node dist/src/cli.js start -c FILE`, its output collected line by line. */
export class DaemonProcess {
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(readonly child: ChildProcess) {
    const collect = (stream: NodeJS.ReadableStream | null, into: string[]): void => {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        into.push(...parts);
      });
      stream?.on('end', () => {
        if (rest.length > 0) into.push(rest);
      });
    };
    collect(child.stdout, this.stdoutLines);
    collect(child.stderr, this.stderrLines);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  static start(configFile: string, env: NodeJS.ProcessEnv = childEnv()): DaemonProcess {
    const child = spawn(process.execPath, [CLI, 'start', '-c', configFile], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new DaemonProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Wait for the `listening on http://HOST:PORT` line on stderr; fails early if the process exits. */
  async listening(timeoutMs = 15_000): Promise<{ host: string; port: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.stderrLines) {
        const m = /listening on http:\/\/([0-9.]+):(\d+)/.exec(line);
        if (m !== null) return { host: m[1]!, port: Number(m[2]) };
      }
      if (this.exitInfo !== undefined) {
        throw new Error(`daemon exited (${JSON.stringify(this.exitInfo)}) before listening:\n${this.stderrLines.join('\n')}`);
      }
      if (Date.now() >= deadline) throw new Error(`daemon not listening after ${timeoutMs} ms:\n${this.stderrLines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Resolves with the exit status, or rejects when the process is still running at the deadline. */
  waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`daemon ${this.pid} still running after ${timeoutMs} ms`)), timeoutMs);
      void this.exited.then((info) => {
        clearTimeout(timer);
        resolve(info);
      });
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(sig);
  }

  /** The stdout lines that are JSON objects (pino log records), parsed. */
  jsonLogs(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.stdoutLines) {
      try {
        const v: unknown = JSON.parse(line);
        if (typeof v === 'object' && v !== null) out.push(v as Record<string, unknown>);
      } catch {
        // not a JSON line
      }
    }
    return out;
  }

  /**
   * The first log record `match` accepts, waiting for it: the daemon's stdout reaches the test through a pipe, read
   * asynchronously, so a line logged before an HTTP answer may still be on its way when the answer is here.
   */
  async waitForLog(match: (record: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.jsonLogs().find(match);
      if (found !== undefined) return found;
      if (Date.now() >= deadline) throw new Error(`no such log line after ${timeoutMs} ms; last lines:\n${this.stdoutLines.slice(-20).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Last resort for a test that failed half-way: kill this process (only this one, by its pid). */
  async kill(): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
