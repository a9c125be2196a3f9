export { loadConfigFile, parseConfigText, checkConfigFile, type LoadResult } from './load.js';
export { formatConfigErrors, formatConfigError, formatPath, type ConfigError, type ConfigPath } from './errors.js';
export { SECRET_KEY_NAMES, isSecretKey, substituteEnv, type Env } from './env.js';
export { redactConfig } from './redact.js';
export * from './schema.js';
