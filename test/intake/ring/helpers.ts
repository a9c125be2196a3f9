import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { transpileModuleGraph } from '../../../src/strategy/module-loader.js';

/** Transpiles a TypeScript worker fixture (and what it imports) into a temporary folder. */
export class WorkerFixtures {
  private readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-ring-test-'));

  async start(fixture: URL, workerData: unknown): Promise<Worker> {
    const js = await transpileModuleGraph(new URL(fixture).pathname, this.dir);
    return new Worker(pathToFileURL(js), { workerData });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves with the worker's exit code. */
export function exited(w: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', resolve);
  });
}
