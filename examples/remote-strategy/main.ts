/**
 * Example remote strategy process: runs a strategy module written for the daemon's worker host, unchanged, in a
 * process of its own that talks to the daemon over Redis (src/bus/remote-strategy.ts). By default the module is
 * config/strategies/market-maker.ts — the very file config/paper.yaml runs as a worker — loaded the way the daemon
 * loads it (TypeScript transpiled into a cache directory).
 *
 *   switchyard start -c config/remote.yaml                        # the daemon, with strategy remote-demo (source: redis)
 *   node dist/examples/remote-strategy/main.js --strategy remote-demo
 *
 * Options: --strategy ID (required), --url redis://host:port (default redis://127.0.0.1:6379), --prefix P (default
 * switchyard:), --module PATH (default config/strategies/market-maker.ts, relative to the working directory),
 * --cache DIR (default .switchyard/remote-strategies-cache). Credentials: SWITCHYARD_REDIS_USERNAME, _PASSWORD, _TLS,
 * _CA_FILE. Stops on SIGINT / SIGTERM (the strategy's stop() runs: the market maker cancels its quotes).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runRemoteStrategy } from '../../src/bus/remote-strategy.js';
import { prepareStrategyModule } from '../../src/strategy/module-loader.js';
import type { StrategyModule } from '../../src/strategy/sdk.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      strategy: { type: 'string' },
      url: { type: 'string', default: 'redis://127.0.0.1:6379' },
      prefix: { type: 'string', default: 'switchyard:' },
      module: { type: 'string', default: 'config/strategies/market-maker.ts' },
      cache: { type: 'string', default: '.switchyard/remote-strategies-cache' },
    },
  });
  if (values.strategy === undefined) {
    console.error('usage: node dist/examples/remote-strategy/main.js --strategy ID [--url redis://host:6379] [--prefix P] [--module PATH]');
    process.exitCode = 2;
    return;
  }
  const url = await prepareStrategyModule(values.module, resolve(values.cache));
  const mod = (await import(url)) as { default?: StrategyModule };
  if (mod.default === undefined) throw new Error(`${values.module} has no default export`);
  const run = await runRemoteStrategy(mod.default, { url: values.url, keyPrefix: values.prefix, strategy: values.strategy });
  run.ctx.log.info('remote strategy running', { module: values.module, client: run.client.client });
  await run.stopped;
  run.ctx.log.info('remote strategy stopped', { ...run.stats });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
