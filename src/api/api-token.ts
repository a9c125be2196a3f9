/** Where the API bearer token comes from: the environment, the configuration, or a token file (generated once). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { generateToken, writeTokenFile } from './auth.js';

/**
 * The API bearer token: $SWITCHYARD_API_TOKEN, else daemon.api.token (an env reference), else the token file;
 * when the file does not exist a new token is generated and written there (mode 0600).
 */
export function resolveApiToken(
  config: Config,
  env: NodeJS.ProcessEnv,
  baseDir: string,
): { token: string; generated: boolean; file: string; exposedMode?: number } {
  const file = resolve(baseDir, config.daemon.api.tokenFile);
  const fromEnv = env.SWITCHYARD_API_TOKEN;
  if (fromEnv !== undefined && fromEnv.length > 0) return { token: fromEnv, generated: false, file };
  if (config.daemon.api.token !== undefined) return { token: config.daemon.api.token, generated: false, file };
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    // A token other local users can read lets them trade: worth a warning at start (the daemon still starts).
    const mode = statSync(file).mode & 0o777;
    if (token.length > 0) return { token, generated: false, file, ...((mode & 0o077) !== 0 ? { exposedMode: mode } : {}) };
  }
  const token = generateToken();
  writeTokenFile(file, token);
  return { token, generated: true, file };
}
