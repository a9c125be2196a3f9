#!/usr/bin/env node
/**
 * Publishes prediction signals for order enhancers to the Redis stream {prefix}signals:{symbol} (see
 * src/bus/protocol.ts and config/enhancers/prediction.ts), printing each entry it added as one JSON line.
 *
 *   node scripts/publish-signals.mjs --symbol BTC-USDT --confidence 0.9 --direction up --risk 0.2 \
 *     [--prefix switchyard:] [--url redis://127.0.0.1:6379] [--every 1000 --count N] [--maxlen 10000]
 *
 * --every MS publishes again every MS milliseconds, --count N times in all (default 1; with --every and no --count,
 * until interrupted). Each entry carries ts (now, epoch ms). The stream is trimmed to about --maxlen entries.
 * Credentials come from the environment only: SWITCHYARD_REDIS_USERNAME, SWITCHYARD_REDIS_PASSWORD
 * (SWITCHYARD_REDIS_TLS=1 or a rediss:// URL for TLS).
 */
import { parseArgs } from 'node:util';
import { createClient } from 'redis';

const { values } = parseArgs({
  options: {
    symbol: { type: 'string' },
    confidence: { type: 'string' },
    direction: { type: 'string' },
    risk: { type: 'string' },
    prefix: { type: 'string', default: 'switchyard:' },
    url: { type: 'string', default: 'redis://127.0.0.1:6379' },
    every: { type: 'string' },
    count: { type: 'string' },
    maxlen: { type: 'string', default: '10000' },
    help: { type: 'boolean', default: false },
  },
});

function usage(message) {
  if (message) console.error(`publish-signals: ${message}`);
  console.error('usage: node scripts/publish-signals.mjs --symbol SYM [--confidence 0..1] [--direction up|down] [--risk 0..1] [--prefix P] [--url redis://host:port] [--every MS] [--count N]');
  process.exit(message ? 2 : 0);
}

if (values.help) usage();
if (!values.symbol) usage('--symbol is required');
for (const name of ['confidence', 'risk']) {
  const v = values[name];
  if (v !== undefined && !(Number(v) >= 0 && Number(v) <= 1)) usage(`--${name} must be a number from 0 to 1`);
}
if (values.confidence === undefined && values.risk === undefined) usage('give --confidence and/or --risk');
if (values.direction !== undefined && !['up', 'down'].includes(values.direction)) usage('--direction must be up or down');
const every = values.every === undefined ? undefined : Number(values.every);
if (every !== undefined && !(Number.isInteger(every) && every > 0)) usage('--every must be a positive whole number of ms');
const count = values.count === undefined ? (every === undefined ? 1 : Infinity) : Number(values.count);
if (!(count === Infinity || (Number.isInteger(count) && count > 0))) usage('--count must be a positive whole number');
const maxlen = Number(values.maxlen);

const env = process.env;
const tls = values.url.startsWith('rediss:') || env.SWITCHYARD_REDIS_TLS === '1' || env.SWITCHYARD_REDIS_TLS === 'true';
const client = createClient({
  url: values.url,
  ...(env.SWITCHYARD_REDIS_USERNAME ? { username: env.SWITCHYARD_REDIS_USERNAME } : {}),
  ...(env.SWITCHYARD_REDIS_PASSWORD ? { password: env.SWITCHYARD_REDIS_PASSWORD } : {}),
  socket: { connectTimeout: 2000, reconnectStrategy: false, ...(tls ? { tls: true } : {}) },
});
client.on('error', () => undefined);
const key = `${values.prefix}signals:${values.symbol}`;

async function publishOne() {
  const fields = { ts: String(Date.now()) };
  if (values.confidence !== undefined) fields.confidence = values.confidence;
  if (values.direction !== undefined) fields.direction = values.direction;
  if (values.risk !== undefined) fields.risk = values.risk;
  const id = await client.xAdd(key, '*', fields, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxlen } });
  console.log(JSON.stringify({ stream: key, id, ...fields }));
}

try {
  await client.connect();
  let stopped = false;
  process.once('SIGINT', () => { stopped = true; });
  process.once('SIGTERM', () => { stopped = true; });
  for (let i = 0; i < count && !stopped; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, every));
    if (stopped) break;
    await publishOne();
  }
} catch (err) {
  console.error(`publish-signals: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  if (client.isOpen) await client.close();
}
