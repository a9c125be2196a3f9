/**
 * For the CLI tests: the daemon commands' io with stdout and stderr captured line by line, and a configuration file
 * the commands read (the daemon's address comes from --url or the file; the token from the environment or a file).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/daemon-client.js';
import { paperConfigText } from '../helpers/repo.js';

export interface Captured {
  readonly io: CliIo;
  readonly out: string[];
  readonly err: string[];
  /** stdout as one text. */
  stdout(): string;
}

export function captureIo(config: string, env: NodeJS.ProcessEnv, extra: Partial<CliIo> = {}): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (l) => out.push(l), err: (l) => err.push(l), env, defaultConfig: config, ...extra },
    out,
    err,
    stdout: () => out.join('\n'),
  };
}

/** A paper configuration in `dir` with the API at 127.0.0.1:`port` and the token file `tokenFile`; returns its path. */
export function writeCliConfig(dir: string, port: number, tokenFile: string): string {
  const file = join(dir, 'switchyard.yaml');
  writeFileSync(file, paperConfigText([
    [['daemon', 'api', 'host'], '127.0.0.1'],
    [['daemon', 'api', 'port'], port],
    [['daemon', 'dataDir'], dir],
    [['daemon', 'api', 'tokenFile'], tokenFile],
  ], { workers: false }));
  return file;
}
