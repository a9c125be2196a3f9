import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear (two levels deep). */
export const REDACTED_PATHS = [
  'apiKey', 'secret', 'passphrase', 'password', 'token', 'authorization',
  '*.apiKey', '*.secret', '*.passphrase', '*.password', '*.token', '*.authorization',
  '*.*.apiKey', '*.*.secret', '*.*.passphrase', '*.*.password', '*.*.token', '*.*.authorization',
  'req.headers.authorization',
];

/** JSON logs with secrets redacted. `destination` defaults to stdout. */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = { level, name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
