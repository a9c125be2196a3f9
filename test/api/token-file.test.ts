import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveApiToken } from '../../src/daemon.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';

/*
 * A token file other local users can read hands them the API: the daemon warns at start (createDaemon logs the
 * `exposedMode` resolveApiToken reports; tests never read log text, so the decision is checked here).
 */
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function withTokenFile(mode: number): { config: ReturnType<typeof configFromText>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-token-'));
  dirs.push(dir);
  const file = join(dir, 'api-token');
  writeFileSync(file, 'token-from-file-0123456789abcdef\n');
  chmodSync(file, mode);
  const config = configFromText(paperConfigText([[['daemon', 'api', 'tokenFile'], file], [['daemon', 'dataDir'], dir]]));
  return { config, dir };
}

describe('token file permissions', () => {
  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    it(`reports a token file of mode ${mode.toString(8)} as readable by others`, () => {
      const { config, dir } = withTokenFile(mode);
      const r = resolveApiToken(config, {}, dir);
      expect(r).toMatchObject({ token: 'token-from-file-0123456789abcdef', generated: false, exposedMode: mode });
    });
  }

  it('reports nothing for a file of mode 0600, nor for a token from the environment', () => {
    const { config, dir } = withTokenFile(0o600);
    expect(resolveApiToken(config, {}, dir).exposedMode).toBeUndefined();
    const exposed = withTokenFile(0o644);
    expect(resolveApiToken(exposed.config, { SWITCHYARD_API_TOKEN: 'env-token-0123456789abcdef' }, exposed.dir).exposedMode).toBeUndefined();
  });
});
