/** How a daemon is built beyond its configuration: injected clock, log sink, paths, journal writes, start flags. */
import type { DestinationStream } from 'pino';
import type { Clock } from '../model/clock.js';
import type { JournalFileWrites } from '../journal/journal.js';

export interface DaemonOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** Where JSON logs go (default stdout). */
  readonly logDestination?: DestinationStream;
  /** Directory that relative paths in the configuration (dataDir, tokenFile) are resolved against. Default: cwd. */
  readonly baseDir?: string;
  /** Folder of the configuration file: strategy module paths are relative to it. Default: baseDir. */
  readonly configDir?: string;
  /** The configuration file, re-read by `reload()` (SIGHUP, POST /v1/admin/reload). */
  readonly configFile?: string;
  /** Called once with a token the daemon generated (never with one it was given). */
  readonly onTokenGenerated?: (token: string, file: string) => void;
  /** How the journal writes and syncs its batches (default node:fs; tests inject a failing disk). */
  readonly journalFileWrites?: JournalFileWrites;
  /**
   * Start even though strategies, instruments or venues removed from the configuration still have open orders or
   * positions in the journal: they are canceled and dropped in the journal (`switchyard start --accept-removed`).
   * Without it such a start is refused (JOURNAL_CONFIG_MISMATCH).
   */
  readonly acceptRemoved?: boolean;
}
