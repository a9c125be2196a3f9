/**
 * Credentials of the remote strategy client (src/bus/client.ts) come from the environment only
 * (SWITCHYARD_REDIS_USERNAME / _PASSWORD, redis-connection.ts), as the daemon's: its schema refuses a Redis URL with a
 * user or password in it. A URL with a password in it (on a command line: `--url` of the example process, visible in
 * `ps` and shell history) must be refused, not used. A redis-server of the test's own with requirepass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardRedisClient } from '../../src/bus/client.js';
import { PrivateRedis } from '../helpers/redis-server.js';

const PASSWORD = 'test-s3cret';
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await PrivateRedis.start({ password: PASSWORD });
}, 20_000);

afterAll(async () => {
  await redis?.stop();
});

describe('SwitchyardRedisClient credentials', () => {
  it('refuses a URL with a password in it; takes the password from the environment', async () => {
    const withPassword = SwitchyardRedisClient.connect({ url: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`, strategy: 's1', env: {} });
    let made: SwitchyardRedisClient | undefined;
    const outcome = await withPassword.then((c) => {
      made = c;
      return 'connected with the URL\'s password';
    }, (e: unknown) => (e as { code?: string }).code ?? String(e));
    await made?.close();
    expect(outcome).toBe('INVALID_ARGUMENT');

    const fromEnv = await SwitchyardRedisClient.connect({ url: redis.url, strategy: 's1', env: { SWITCHYARD_REDIS_PASSWORD: PASSWORD } });
    await fromEnv.close();
  }, 20_000);
});
