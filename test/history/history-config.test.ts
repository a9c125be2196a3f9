/**
 * `daemon.history` in the configuration: defaults, the PostgreSQL section, and credentials only from the environment
 * (a password is an env reference; a url with a password in it is refused, so the url can be logged).
 */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { historyStoreFromConfig } from '../../src/history/store-from-config.js';
import { paperConfigText, type YamlEdit } from '../helpers/repo.js';

function load(edits: readonly YamlEdit[], env: Record<string, string> = {}) {
  return parseConfigText(paperConfigText(edits), 'history.yaml', env);
}

describe('daemon.history configuration', () => {
  it('defaults to the file store under the data directory', () => {
    const r = load([[['daemon', 'dataDir'], '/var/lib/sy']]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.daemon.history).toEqual({
      enabled: true, store: 'file', file: { path: '/var/lib/sy/history', segmentBytes: 64 * 1024 * 1024 }, pageSizeMax: 1000, bufferRows: 65536, batchRows: 5000, threadNice: 15,
    });
    expect(historyStoreFromConfig(r.config.daemon.history, '/').kind).toBe('file');
  });

  it('postgres: url or parts from the environment; the password only as an env reference', () => {
    const ok = load([
      [['daemon', 'history', 'store'], 'postgres'],
      [['daemon', 'history', 'postgres'], { url: '${PG_URL}', password: '${PG_PASSWORD}', tablePrefix: 'desk1_' }],
    ], { PG_URL: 'postgres://trader@db.internal:5432/history', PG_PASSWORD: 's3cret' });
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    const store = historyStoreFromConfig(ok.config.daemon.history, '/');
    expect({ kind: store.kind, where: store.where }).toEqual({ kind: 'postgres', where: 'postgres://db.internal:5432/history' });
    const problems = (edits: readonly YamlEdit[], env: Record<string, string> = {}): string[] => {
      const r = load(edits, env);
      return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
    };
    // a literal password, a password inside the url (from the environment or not), no postgres section, a bad prefix
    expect(problems([[['daemon', 'history', 'postgres'], { host: '127.0.0.1', password: 'hunter2' }]]).join('\n')).toMatch(/literal secret/);
    expect(problems([[['daemon', 'history', 'store'], 'postgres'], [['daemon', 'history', 'postgres'], { url: '${PG_URL}' }]],
      { PG_URL: 'postgres://trader:hunter2@db/history' }).join('\n')).toMatch(/daemon\.history\.postgres\.url: a password in the url/);
    expect(problems([[['daemon', 'history', 'store'], 'postgres']]).join('\n')).toMatch(/daemon\.history\.postgres: store: postgres needs a postgres section/);
    expect(problems([[['daemon', 'history', 'postgres'], { host: 'x', tablePrefix: 'drop table;' }]]).join('\n')).toMatch(/tablePrefix/);
    expect(problems([[['daemon', 'history', 'pageSizeMax'], 0]]).join('\n')).toMatch(/pageSizeMax/);
    expect(problems([[['daemon', 'history', 'bogus'], 1]]).join('\n')).toMatch(/bogus/);
  });
});
