import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import type { Clock } from '../../src/model/clock.js';
import { ApiClient } from './http.js';
import { configFromText, paperConfigText, type PaperConfigOptions, type YamlEdit } from './repo.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** A log destination that throws every line away (tests never look at log text). */
export function discardLogs(): DestinationStream {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  }) as unknown as DestinationStream;
}

export interface TestDaemon {
  readonly daemon: Daemon;
  readonly api: ApiClient;
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly token: string;
  /** Stop the daemon (idempotent) and remove its temporary directory. */
  stop(): Promise<void>;
}

/**
 * An in-process daemon on config/paper.yaml with the API on 127.0.0.1 and a free port, the token given
 * through the env option, logs discarded and its data directory in a fresh temporary directory. Its strategies
 * are API-only unless `options.workers` (see PaperConfigOptions): the test's orders are the only ones.
 */
export async function startTestDaemon(
  edits: readonly YamlEdit[] = [], token = TEST_TOKEN, options: PaperConfigOptions & { readonly clock?: Clock } = {},
): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-api-'));
  const text = paperConfigText([
    [['daemon', 'api', 'host'], '127.0.0.1'],
    [['daemon', 'api', 'port'], 0],
    [['daemon', 'dataDir'], dir],
    [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    ...edits,
  ], { workers: options.workers ?? false });
  const config = configFromText(text);
  const daemon = createDaemon(config, { env: { SWITCHYARD_API_TOKEN: token }, logDestination: discardLogs(), baseDir: dir, ...(options.clock === undefined ? {} : { clock: options.clock }) });
  const { port } = await daemon.start();
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    daemon,
    api: new ApiClient(baseUrl, token),
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/v1/stream`,
    token,
    stop: async () => {
      await daemon.stop('test finished');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
