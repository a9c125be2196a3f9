/** The data directory's instance id: made once, the same for every later run from it, another for another directory. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { daemonInstanceId } from '../../src/compose/instance-id.js';
import { SwitchyardError } from '../../src/model/errors.js';

const root = mkdtempSync(join(tmpdir(), 'switchyard-instance-id-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('daemonInstanceId', () => {
  it('is made once in the data directory (made too), kept across runs, and differs between directories', () => {
    const a = join(root, 'a', 'data');
    const id = daemonInstanceId(a);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(readFileSync(join(a, 'instance-id'), 'utf8').trim()).toBe(id);
    expect(statSync(join(a, 'instance-id')).mode & 0o777).toBe(0o600);
    expect(daemonInstanceId(a)).toBe(id);
    expect(daemonInstanceId(join(root, 'b'))).not.toBe(id);
  });

  it('makes a new id in place of an empty file (its creation cut short by a crash), and leaves no temporary file', () => {
    const d = join(root, 'd');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'instance-id'), '', { mode: 0o600 });
    const id = daemonInstanceId(d);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(readFileSync(join(d, 'instance-id'), 'utf8')).toBe(`${id}\n`);
    expect(daemonInstanceId(d)).toBe(id);
    expect(readdirSync(d)).toEqual(['instance-id']);
  });

  it('refuses a file that does not hold an id, naming it', () => {
    const c = join(root, 'c');
    daemonInstanceId(c);
    writeFileSync(join(c, 'instance-id'), 'not an id\n');
    expect(() => daemonInstanceId(c)).toThrow(SwitchyardError);
    expect(() => daemonInstanceId(c)).toThrow(/instance-id does not hold an instance id/);
  });
});
