/**
 * PackedStrings (src/bus/packed-strings.ts): a list of strings as one MessagePack array, as the daemon's scripts take
 * their batches. Decoded by Redis's own cmsgpack (the shared server on 127.0.0.1:6379; EVAL of a script that writes
 * nothing): what the script sees is exactly the list, byte for byte, whatever the strings hold and however long.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { PackedStrings } from '../../src/bus/packed-strings.js';
import { SHARED_REDIS_URL } from '../helpers/redis-server.js';

/** The unpacked list back as one string per value (hex, so any byte survives the reply). */
const ECHO = `
local v = cmsgpack.unpack(ARGV[1])
local out = {}
for i = 1, #v do
  out[i] = string.gsub(v[i], '.', function(c) return string.format('%02x', string.byte(c)) end)
end
return out
`;

let c: ReturnType<typeof createClient>;
beforeAll(async () => {
  c = createClient({ url: SHARED_REDIS_URL });
  await c.connect();
});
afterAll(async () => {
  await c?.quit();
});

async function throughRedis(list: readonly string[], p = new PackedStrings(64)): Promise<string[]> {
  p.begin();
  for (const s of list) p.push(s);
  expect(p.count).toBe(list.length);
  const hex = (await c.sendCommand(['EVAL', ECHO, '0', p.finish()])) as string[];
  return hex.map((h) => Buffer.from(h, 'hex').toString('utf8'));
}

describe('PackedStrings', () => {
  it('gives the script every string as it was, at every header size and with non-ASCII text', async () => {
    const list = [
      '', 'o', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(48), 'y'.repeat(49), 'z'.repeat(85), 'z'.repeat(86), 'é'.repeat(40),
      'w'.repeat(255), 'w'.repeat(256), 'v'.repeat(21_845), 'v'.repeat(21_846), 'u'.repeat(65_535), 'u'.repeat(70_000),
      '{"price":"1.5","note":"über ✓ 😀"}', '\u0000\r\n', 'a\ud800b', // a lone surrogate becomes U+FFFD, as Buffer.from does
    ];
    const back = await throughRedis(list);
    expect(back).toEqual(list.map((s) => Buffer.from(s, 'utf8').toString('utf8')));
  });

  it('gives the script bytes pushed as they are, at every header size, among strings', async () => {
    const texts = ['', '{"a":1}', 'é'.repeat(100), 'w'.repeat(255), 'w'.repeat(256), 'u'.repeat(65_535), 'u'.repeat(65_536), 'v'.repeat(70_000)];
    const p = new PackedStrings(64);
    p.begin();
    for (const t of texts) {
      p.push('s');
      p.pushBytes(Buffer.from(t, 'utf8'));
    }
    expect(p.count).toBe(2 * texts.length);
    const hex = (await c.sendCommand(['EVAL', ECHO, '0', p.finish()])) as string[];
    expect(hex.map((h) => Buffer.from(h, 'hex').toString('utf8'))).toEqual(texts.flatMap((t) => ['s', t]));
  });

  it('an empty list is an empty table', async () => {
    expect(await throughRedis([])).toEqual([]);
  });

  it('is reusable: begin() forgets the last list, and the buffer grows as needed', async () => {
    const p = new PackedStrings(64);
    expect(await throughRedis(['a'.repeat(1000), 'b'], p)).toEqual(['a'.repeat(1000), 'b']);
    expect(await throughRedis(['c'], p)).toEqual(['c']);
  });

  it('any list of strings comes back the same (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', maxLength: 120 }), { maxLength: 40 }), async (list) => {
      expect(await throughRedis(list)).toEqual(list);
    }), { numRuns: 60 });
  });
});
