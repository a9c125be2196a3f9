/**
 * fuzz:api — hostile and malformed input against the real paper daemon (see bench/lib/api-fuzz.ts for what is
 * sent and counted).
 *
 *   npm run fuzz:api        (= npm run build && node dist/bench/fuzz-api.js)
 *   options: --requests N (default 1000000) --concurrency N (default 32) --ws N (default 4) --seed N (default 1)
 *
 * Progress lines first; the last line is one JSON object:
 *   {"fuzz":"api","requests":…,"crashes":0,"status_5xx":0,"accepted_invalid":0}
 * Exits 1 when the daemon crashed, answered a 5xx, accepted something invalid, or was not healthy at the end.
 */
import { runApiFuzz } from './lib/api-fuzz.js';
import { benchArgs, whole } from './lib/args.js';

const USAGE = `Usage: npm run fuzz:api [-- --requests N --concurrency N --ws N --seed N]
                        (= npm run build && node dist/bench/fuzz-api.js)
  --requests N      requests in all, a positive whole number (default 1000000)
  --concurrency N   lanes, a positive whole number (default 32)
  --ws N            WebSocket connections, a positive whole number (default 4)
  --seed N          a positive whole number (default 1)
Progress lines first; the last line is one JSON object:
  {"fuzz":"api","requests":…,"crashes":0,"status_5xx":0,"accepted_invalid":0}
Exits 1 when the daemon crashed, answered a 5xx, accepted something invalid, or was not healthy at the end.`;

const args = benchArgs({
  script: 'fuzz:api',
  usage: USAGE,
  options: {
    requests: whole(1, Infinity, { default: 1_000_000 }),
    concurrency: whole(1, Infinity, { default: 32 }),
    ws: whole(1, Infinity, { default: 4 }),
    seed: whole(1, Infinity, { default: 1 }),
  },
});
const requests = args.requests;
const concurrency = args.concurrency;
const wsClients = args.ws;
const seed = args.seed;

console.log(`fuzz:api — node ${process.version}, ${requests} requests, ${concurrency} lanes, ${wsClients} WebSocket connections, seed ${seed}`);
const r = await runApiFuzz({ requests, concurrency, wsClients, seed, progress: (line) => console.log(line) });
console.log(
  `by kind: HTTP ${r.byKind.http}, malformed ${r.byKind.raw}, upgrades ${r.byKind.upgrade}, WebSocket messages ${r.byKind.ws}; ` +
    `answers ${JSON.stringify(r.byStatus)}; no answer ${r.noAnswer}; valid orders accepted ${r.acceptedValid}`,
);
console.log(`daemon healthy at the end: ${r.healthyAtEnd}; exit after SIGTERM ${JSON.stringify(r.exit)}; ${r.seconds} s`);
for (const s of r.samples) console.log(`SAMPLE: ${s}`);
console.log(JSON.stringify({ fuzz: 'api', requests: r.requests, crashes: r.crashes, status_5xx: r.status_5xx, accepted_invalid: r.accepted_invalid }));
process.exitCode = r.crashes === 0 && r.status_5xx === 0 && r.accepted_invalid === 0 && r.healthyAtEnd ? 0 : 1;
