/**
 * Scripts go by SHA1 (EVALSHA); a Redis that does not have the script (never loaded, flushed, restarted) gets the
 * text once (EVAL) and has it again from then on. Against a private redis-server, so SCRIPT FLUSH touches no one else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { LuaScript } from '../../src/bus/lua-script.js';
import { PrivateRedis } from '../helpers/redis-server.js';

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

describe('LuaScript', () => {
  it('sends the text only when Redis does not have the script, and the same answer either way', async () => {
    const c = createClient({ url: redis.url });
    await c.connect();
    try {
      const sent: string[] = [];
      const client = { sendCommand: (args: string[]) => { sent.push(args[0]!); return c.sendCommand(args); } };
      const script = new LuaScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
      const call = (by: number): Promise<unknown> => {
        const args = script.call(1);
        args.push('lua-script-test', String(by));
        return script.run(client, args);
      };
      expect(await call(2)).toBe(2); // unknown to this Redis: EVALSHA refused, then EVAL
      expect(sent).toEqual(['EVALSHA', 'EVAL']);
      sent.length = 0;
      expect(await call(3)).toBe(5); // cached by the EVAL: EVALSHA alone
      expect(sent).toEqual(['EVALSHA']);
      sent.length = 0;
      await c.sendCommand(['SCRIPT', 'FLUSH']);
      expect(await call(4)).toBe(9);
      expect(sent).toEqual(['EVALSHA', 'EVAL']);
      // another error is the caller's, not retried
      await c.set('lua-script-text', 'x');
      const bad = new LuaScript("return redis.call('INCRBY', KEYS[1], 1)");
      const args = bad.call(1);
      args.push('lua-script-text');
      sent.length = 0;
      await expect(bad.run(client, args)).rejects.toThrow();
      expect(sent.filter((x) => x === 'EVAL')).toHaveLength(1); // the NOSCRIPT fallback, then its own error
    } finally {
      await c.close();
    }
  });
});
