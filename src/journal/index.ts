/** The order journal: durable append-only log, snapshots, replay and the CLI helpers. See journal.ts. */
export { Journal } from './journal.js';
export type { CutReport, JournalOptions, JournalStats, JournalTimers, PieceSink, RecoveryReport, SnapshotInfo, SnapshotWriter } from './journal.js';
export { readJournal, iterateJournal } from './reader.js';
export type { CorruptionReport, JournalRecord, ReadOptions, ReadSummary, TailReport } from './reader.js';
export { JournalError } from './errors.js';
export type { JournalErrorCode } from './errors.js';
export type { BadRecordReason } from './segment-reader.js';
export { crc32 } from './crc32.js';
export { DEFAULT_MAX_PAYLOAD, RECORD_OVERHEAD, SNAPSHOT_RECORD_TYPE, segmentName, snapshotName } from './format.js';
export { JOURNAL_CLI_USAGE, inspectJournal, replayJournal, runJournalCli, verifyJournal } from './tools.js';
export type { InspectOptions, InspectResult, Out, ReplayOptions, ReplayResult, SnapshotCheck, VerifyOptions, VerifyResult } from './tools.js';
