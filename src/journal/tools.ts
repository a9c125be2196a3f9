/**
 * The journal verbs of the CLI as functions: `switchyard journal verify|inspect|replay FILE_OR_DIR`.
 * Each takes a journal directory or a single segment file, writes human-readable lines through `out` and returns
 * a result with an exit code:
 *   0  clean
 *   1  (verify only) a torn tail: Journal.open will cut it, nothing durable is lost
 *   2  corruption: Journal.open fails with JOURNAL_CORRUPT unless { repair: 'truncate' }
 *   3  the path cannot be read (missing, not a journal, I/O error) or bad arguments
 * runJournalCli(argv, out, err) parses the verb's arguments and calls one of them.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { JournalError } from './errors.js';
import { decodeSnapshot, SNAPSHOT_RECORD_TYPE } from './format.js';
import { recordTypeName, type RecordDescriber } from './describe-record.js';
import { REC_NAMES, decodeNames, type NameTable } from './names-record.js';
import { JournalScanner, planFor, type CorruptionReport, type JournalRecord, type ReadOptions, type TailReport } from './reader.js';

export type Out = (line: string) => void;

export interface SnapshotCheck {
  readonly name: string;
  readonly seq: number;
  readonly bytes: number;
  readonly ok: boolean;
  readonly reason?: string;
}

export interface VerifyResult {
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly status: 'ok' | 'torn_tail' | 'corrupt' | 'unreadable';
  readonly segments: number;
  readonly records: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly bytes: number;
  readonly snapshots: readonly SnapshotCheck[];
  readonly tail: TailReport | null;
  readonly corruption: CorruptionReport | null;
  readonly error?: string;
}

export interface VerifyOptions {
  maxPayloadBytes?: number;
}

function describeError(err: unknown): string {
  if (err instanceof JournalError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function checkSnapshots(dir: string, names: readonly { name: string; seq: number }[]): SnapshotCheck[] {
  return names.map(({ name, seq }) => {
    let file: Uint8Array;
    try {
      file = fs.readFileSync(join(dir, name));
    } catch (err) {
      return { name, seq, bytes: 0, ok: false, reason: describeError(err) };
    }
    const d = decodeSnapshot(file);
    if (!d.ok) return { name, seq, bytes: file.length, ok: false, reason: d.reason };
    if (d.seq !== seq) return { name, seq, bytes: file.length, ok: false, reason: `header seq ${d.seq} does not match the name` };
    return { name, seq, bytes: d.payload.length, ok: true };
  });
}

/** Checks every record (length, type, CRC, seq continuity) of every segment, and every snapshot. */
export function verifyJournal(path: string, out: Out = () => undefined, options: VerifyOptions = {}): VerifyResult {
  const unreadable = (err: unknown): VerifyResult => {
    const error = describeError(err);
    out(`journal ${path}: cannot verify: ${error}`);
    out('status: UNREADABLE');
    return { exitCode: 3, status: 'unreadable', segments: 0, records: 0, firstSeq: null, lastSeq: null, bytes: 0, snapshots: [], tail: null, corruption: null, error };
  };
  let scanner: JournalScanner;
  let snapshots: SnapshotCheck[];
  try {
    const plan = planFor(path);
    snapshots = checkSnapshots(plan.dir, plan.snapshots);
    const fromSeq = plan.segments.length > 0 ? plan.segments[0].baseSeq : undefined;
    scanner = new JournalScanner(plan, { maxPayloadBytes: options.maxPayloadBytes }, { useSnapshot: false, fromSeq, reportCorruption: true });
    while (scanner.next()) {
      // every record is checked by next()
    }
  } catch (err) {
    return unreadable(err);
  }
  const s = scanner.summary;
  const range = s.firstSeq === null ? 'no records' : `seq ${s.firstSeq}..${s.lastSeq}`;
  out(`journal ${path}: ${s.segments} segment${s.segments === 1 ? '' : 's'}, ${s.records} records, ${range}, ${fmtBytes(s.bytes)}`);
  for (const snap of snapshots) {
    out(`snapshot ${snap.name}: seq ${snap.seq}, ${fmtBytes(snap.bytes)}, ${snap.ok ? 'ok' : `INVALID (${snap.reason})`}`);
  }
  const base = { segments: s.segments, records: s.records, firstSeq: s.firstSeq, lastSeq: s.lastSeq, bytes: s.bytes, snapshots, tail: s.tail };
  const c = scanner.corruption;
  if (c !== null) {
    out(`corruption in ${c.segment} at offset ${c.offset}: ${c.reason} after seq ${c.lastGoodSeq}`);
    out(`status: CORRUPT (open fails with JOURNAL_CORRUPT; repair: 'truncate' would cut the journal at ${c.segment} offset ${c.offset})`);
    return { ...base, exitCode: 2, status: 'corrupt', corruption: c };
  }
  if (s.tail !== null) {
    const t = s.tail;
    const extra = t.validAfter > 0 ? ` and ${t.validAfter} good record(s) of the same torn batch` : '';
    out(`torn tail in ${t.segment} at offset ${t.offset}: ${t.reason} after seq ${t.lastGoodSeq} (${t.bytes} bytes${extra} will be cut on open)`);
    out('status: TORN TAIL (recoverable: open cuts it)');
    return { ...base, exitCode: 1, status: 'torn_tail', corruption: null };
  }
  const badSnapshot = snapshots.find((x) => !x.ok);
  if (badSnapshot !== undefined) {
    out(`status: CORRUPT (snapshot ${badSnapshot.name} is invalid; readers fall back to an older one)`);
    return { ...base, exitCode: 2, status: 'corrupt', corruption: null };
  }
  out('status: OK');
  return { ...base, exitCode: 0, status: 'ok', corruption: null };
}

export interface InspectOptions extends ReadOptions {
  /** Print at most this many records. */
  limit?: number;
  /** Bytes of payload shown in hex when there is no decoder (default 32). */
  previewBytes?: number;
  /** Turns a payload into text for the line; return undefined to fall back to hex. */
  decode?: (type: number, payload: Uint8Array, seq: number) => string | undefined;
}

export interface InspectResult {
  readonly exitCode: 0 | 2 | 3;
  readonly records: number;
}

function hexPreview(r: JournalRecord, n: number): string {
  const shown = Math.min(n, r.length);
  const hex = Buffer.from(r.buffer.buffer, r.buffer.byteOffset + r.offset, shown).toString('hex');
  return shown < r.length ? `${hex}...` : hex;
}

/** Prints one line per record: seq, type (by name: ORDER, UPDATE, EVENT, NAMES), payload length and a hex preview (or the decoder's text). */
export function inspectJournal(path: string, out: Out, options: InspectOptions = {}): InspectResult {
  const preview = options.previewBytes ?? 32;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let printed = 0;
  let scanner: JournalScanner;
  try {
    const plan = planFor(path);
    const fromSeq = options.fromSeq ?? (plan.segments.length > 0 ? plan.segments[0].baseSeq : undefined);
    scanner = new JournalScanner(plan, options, { useSnapshot: false, fromSeq, reportCorruption: true });
    while (printed < limit && scanner.next()) {
      const r = scanner.view;
      const text = options.decode?.(r.type, r.payload(), r.seq);
      out(`seq=${r.seq} type=${recordTypeName(r.type)} len=${r.length} ${text !== undefined ? text : hexPreview(r, preview)}`);
      printed++;
    }
    scanner.close();
  } catch (err) {
    out(`journal ${path}: ${describeError(err)}`);
    return { exitCode: 3, records: printed };
  }
  const t = scanner.summary.tail;
  if (t !== null) out(`-- torn tail in ${t.segment} at offset ${t.offset}: ${t.reason} after seq ${t.lastGoodSeq}`);
  const c = scanner.corruption;
  if (c !== null) {
    out(`-- CORRUPT: ${c.message}`);
    return { exitCode: 2, records: printed };
  }
  return { exitCode: 0, records: printed };
}

export interface ReplayOptions extends ReadOptions {
  /** Milliseconds clock for the timing line (default performance.now). */
  now?: () => number;
}

export interface ReplayResult {
  readonly exitCode: 0 | 2 | 3;
  readonly records: number;
  readonly snapshotSeq: number | null;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly elapsedMs: number;
  /** Records per type. */
  readonly byType: ReadonlyMap<number, number>;
  readonly tail: TailReport | null;
  readonly error?: string;
}

/**
 * Replays the journal as the daemon would (latest snapshot first, then the records after it), passing each to
 * onRecord (a view valid during the call), and prints counts per type and the time taken.
 */
export function replayJournal(path: string, out: Out, onRecord?: (record: JournalRecord) => void, options: ReplayOptions = {}): ReplayResult {
  const now = options.now ?? (() => performance.now());
  const counts = new Uint32Array(256);
  const t0 = now();
  let scanner: JournalScanner | null = null;
  let error: string | undefined;
  let exitCode: 0 | 2 | 3 = 0;
  try {
    scanner = new JournalScanner(planFor(path), options, { useSnapshot: true, fromSeq: options.fromSeq, reportCorruption: false });
    const view = scanner.view;
    while (scanner.next()) {
      counts[view.type]++;
      onRecord?.(view);
    }
  } catch (err) {
    error = describeError(err);
    exitCode = err instanceof JournalError && err.code === 'JOURNAL_CORRUPT' ? 2 : 3;
  } finally {
    scanner?.close();
  }
  const elapsedMs = now() - t0;
  const byType = new Map<number, number>();
  for (let t = 1; t < 256; t++) if (counts[t] > 0) byType.set(t, counts[t]); // type 0 is the snapshot
  const s = scanner?.summary;
  const records = s?.records ?? 0;
  if (s?.snapshotSeq != null) out(`snapshot: seq ${s.snapshotSeq}`);
  const range = s?.firstSeq == null ? '' : ` (seq ${s.firstSeq}..${s.lastSeq})`;
  const rate = elapsedMs > 0 ? Math.round((records / elapsedMs) * 1000) : 0;
  out(`replayed ${records} records${range} from ${s?.segments ?? 0} segment(s) in ${elapsedMs.toFixed(1)} ms (${rate} records/s)`);
  for (const [type, n] of byType) out(`  ${recordTypeName(type)}: ${n}`);
  if (s?.tail) out(`torn tail in ${s.tail.segment} at offset ${s.tail.offset}: ${s.tail.reason} after seq ${s.tail.lastGoodSeq} (ignored)`);
  if (error !== undefined) out(`error: ${error}`);
  return {
    exitCode,
    records,
    snapshotSeq: s?.snapshotSeq ?? null,
    firstSeq: s?.firstSeq ?? null,
    lastSeq: s?.lastSeq ?? null,
    elapsedMs,
    byType,
    tail: s?.tail ?? null,
    ...(error !== undefined ? { error } : {}),
  };
}

/**
 * Feeds `learn` what comes before `fromSeq`: the latest snapshot's name table (its records are gone from the
 * segments), then every record of the segments below `fromSeq` (NAMES tables and ORDERs). A journal it cannot read
 * is left to inspect to report.
 */
function learnBefore(path: string, fromSeq: number, learn: (type: number, payload: Uint8Array) => void): void {
  try {
    const plan = planFor(path);
    const snapshot = new JournalScanner(plan, {}, { useSnapshot: true, fromSeq: undefined, reportCorruption: false });
    try {
      if (snapshot.next() && snapshot.view.type === SNAPSHOT_RECORD_TYPE && snapshot.view.seq < fromSeq) learn(SNAPSHOT_RECORD_TYPE, snapshot.view.payload());
    } finally {
      snapshot.close();
    }
    const first = plan.segments.length > 0 ? plan.segments[0].baseSeq : undefined;
    const scanner = new JournalScanner(plan, {}, { useSnapshot: false, fromSeq: first, reportCorruption: false });
    try {
      while (scanner.next() && scanner.view.seq < fromSeq) learn(scanner.view.type, scanner.view.payload());
    } finally {
      scanner.close();
    }
  } catch {
    // inspect reports it
  }
}

export const JOURNAL_CLI_USAGE = `usage:
  switchyard journal verify FILE_OR_DIR                     check every record and snapshot
  switchyard journal inspect FILE_OR_DIR [--from SEQ] [--limit N]
                                                            one line per record: seq, record type, length and the
                                                            record with names and decimal prices and quantities
  switchyard journal replay FILE_OR_DIR [--from SEQ]        read as on restart; counts per record type, time and names
exit status: 0 clean (inspect and replay: also with a torn tail, which they report), 1 torn tail (verify),
  2 corrupt, 3 unreadable or bad arguments`;

/**
 * `switchyard journal <verb> ...`: argv is what follows "journal". Returns the exit status.
 * The decoder, if given, is used by inspect.
 */
export function runJournalCli(argv: readonly string[], out: Out, err: Out = out, decode?: InspectOptions['decode']): number {
  const [verb, path, ...rest] = argv;
  if (verb === undefined || path === undefined || !['verify', 'inspect', 'replay'].includes(verb)) {
    err(JOURNAL_CLI_USAGE);
    return 3;
  }
  let fromSeq: number | undefined;
  let limit: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = Number(rest[i + 1]);
    if ((flag === '--from' || flag === '--limit') && Number.isSafeInteger(value) && value >= (flag === '--from' ? 1 : 0) && verb !== 'verify') {
      if (flag === '--from') fromSeq = value;
      else if (verb === 'inspect') limit = value;
      else {
        err(JOURNAL_CLI_USAGE);
        return 3;
      }
      i++;
      continue;
    }
    err(`switchyard journal ${verb}: unexpected argument ${flag}\n${JOURNAL_CLI_USAGE}`);
    return 3;
  }
  if (verb === 'verify') return verifyJournal(path, out).exitCode;
  if (verb === 'inspect') {
    // from SEQ: the describer still needs the name table and the orders written before it
    const learner = decode as Partial<Pick<RecordDescriber, 'learn'>> | undefined;
    if (fromSeq !== undefined && typeof learner?.learn === 'function') learnBefore(path, fromSeq, learner.learn);
    return inspectJournal(path, out, { fromSeq, limit, decode }).exitCode;
  }
  // The name table in force at the end (last NAMES record, or the snapshot's): what the record indexes refer to.
  let names: NameTable | undefined;
  const r = replayJournal(path, out, (rec) => {
    try {
      if (rec.type === REC_NAMES) names = decodeNames(rec.payload());
      else if (rec.type === SNAPSHOT_RECORD_TYPE) names = (JSON.parse(new TextDecoder().decode(rec.payload())) as { names?: NameTable }).names ?? names;
    } catch {
      // not a table this version reads: nothing to print
    }
  }, { fromSeq });
  if (names !== undefined) {
    out(`names: strategies ${names.strategies.join(', ')}; instruments ${names.symbols.map((x) => `${x.name} (tick ${x.tick}, lot ${x.lot})`).join(', ')}; venues ${names.venues.join(', ')}`);
  }
  return r.exitCode;
}
