/**
 * A real daemon (dist/src/cli.js) on config/remote.yaml for the Redis bus end-to-end tests (test/e2e/redis-*.test.ts,
 * test/e2e/remote-strategy.test.ts): the shipped config with its data directory, token file and API port moved into
 * a temporary directory and its Redis key prefix made unique (the shared Redis on 127.0.0.1:6379), and the API
 * client for it (token read from the token file the daemon writes). `listOrders` pages GET /v1/orders to the end.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { childEnv, DaemonProcess } from './daemon-process.js';
import { ApiClient } from './http.js';
import { repoPath, type YamlEdit } from './repo.js';

/** The text of config/remote.yaml with the test's directory, port 0, log level warn and key prefix, then `edits` (a value of undefined deletes the key). */
export function remoteConfigText(dir: string, keyPrefix: string, edits: readonly YamlEdit[] = []): string {
  const doc = parseDocument(readFileSync(repoPath('config/remote.yaml'), 'utf8'));
  doc.setIn(['daemon', 'api', 'port'], 0);
  doc.setIn(['daemon', 'api', 'tokenFile'], join(dir, 'api-token'));
  doc.setIn(['daemon', 'dataDir'], join(dir, 'data'));
  doc.setIn(['daemon', 'log', 'level'], 'warn');
  doc.setIn(['daemon', 'redis', 'keyPrefix'], keyPrefix);
  for (const [path, value] of edits) {
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, value);
  }
  return doc.toString();
}

/** Starts the daemon on `file` and waits for its API (the token file exists by then). */
export async function startRemoteDaemon(file: string, dir: string, timeoutMs = 20_000): Promise<{ daemon: DaemonProcess; api: ApiClient }> {
  const daemon = DaemonProcess.start(file, childEnv());
  try {
    const { host, port } = await daemon.listening(timeoutMs);
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    return { daemon, api: new ApiClient(`http://${host}:${port}`, token) };
  } catch (e) {
    await daemon.kill();
    throw e;
  }
}

/** Every order GET /v1/orders lists for `query` (e.g. strategy=remote-demo), page after page (nextCursor). */
export async function listOrders(api: ApiClient, query: string, maxPages = 100): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const r = await api.get(`/v1/orders?${query}&limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`);
    if (r.status !== 200) throw new Error(`GET /v1/orders?${query}: ${r.status} ${r.text}`);
    out.push(...(r.body.orders as any[]));
    cursor = r.body.nextCursor as string | null;
    if (cursor === null) return out;
  }
  throw new Error(`GET /v1/orders?${query}: more than ${maxPages} pages`);
}
