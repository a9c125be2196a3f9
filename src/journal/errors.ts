/**
 * Coded errors of the journal. The codes are meant for the catalogue in src/model/errors.ts:
 *  - JOURNAL_CORRUPT (fatal): a record that fails its checks is followed by valid data, sits in a segment that is
 *    not the last one, or records the reader needs are missing (a sequence gap). Open refuses to continue unless
 *    called with { repair: 'truncate' }. details: { segment, offset, reason, lastGoodSeq }.
 *  - JOURNAL_IO (fatal): a read, write, fdatasync, rename or directory operation failed. After a failed write or
 *    fdatasync the journal refuses further appends (the page cache state is unknown; retrying fsync can lie).
 *  - JOURNAL_LOCKED (fatal): another live process holds the journal directory lock.
 *  - JOURNAL_CLOSED (fatal): append or snapshot on a journal that is closed or has failed.
 *  - JOURNAL_SEQ_UNAVAILABLE (not retryable): a reader asked for records older than the retained journal
 *    (deleted by snapshot retention).
 * Argument mistakes (bad record type, payload too large, whenDurable of a seq never appended) are RangeErrors.
 */
export type JournalErrorCode =
  | 'JOURNAL_CORRUPT'
  | 'JOURNAL_IO'
  | 'JOURNAL_LOCKED'
  | 'JOURNAL_CLOSED'
  | 'JOURNAL_SEQ_UNAVAILABLE';

export class JournalError extends Error {
  readonly code: JournalErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: JournalErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'JournalError';
    this.code = code;
    this.details = details;
  }
}

/** Wraps a Node fs error as JOURNAL_IO, keeping the original as `cause`. */
export function ioError(what: string, path: string, cause: unknown): JournalError {
  const errno = cause instanceof Error && 'code' in cause ? String((cause as NodeJS.ErrnoException).code) : undefined;
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new JournalError('JOURNAL_IO', `journal: ${what} failed for ${path}: ${msg}`, { path, op: what, errno }, cause);
}
