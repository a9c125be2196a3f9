/** The journal as GET /health shows it: a failed journal makes the daemon's status "halted". */
import type { JournalRecorder } from './journal-recorder.js';

/** For GET /health: the journal, when there is one (nothing without one). `failedAt`: when it failed. */
export function journalHealth(recorder: JournalRecorder | undefined, failedAt: number): Record<string, unknown> {
  if (recorder === undefined) return {};
  const failure = recorder.failed;
  const journal = {
    ok: failure === null,
    lastSeq: recorder.lastSeq,
    durableSeq: recorder.durableSeq,
    ...(failure !== null ? {
      failedAt,
      error: { code: failure.code, message: failure.message },
      unrecorded: recorder.unrecorded,
    } : {}),
  };
  return failure === null ? { journal } : { status: 'halted', journal };
}
