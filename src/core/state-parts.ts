/**
 * Small named pieces of daemon state that live beside the orders in the journal: trading states, daily PnL marks,
 * positions... Each part is written two ways: an EVENT record `{"event": <name>, ...}` whenever it changes (the
 * part's `onEvent` applies it again on replay), and a section `parts.<name>` of every snapshot (its `export()`; its
 * `import()` takes it back when replay starts from that snapshot). Old journal segments are deleted after a
 * snapshot, so a part must be whole in its export: replay = import(snapshot section), then onEvent for each of its
 * events written after the snapshot.
 */
export interface JournalStatePart {
  /** Unique; the `event` field of its EVENT records and its key in a snapshot's `parts`. */
  readonly name: string;
  /** Its whole state as plain JSON data (a snapshot section). */
  export(): unknown;
  /** Restore from a snapshot section (absent in snapshots written before the part existed: not called). */
  import(section: unknown): void;
  /** Apply one of its EVENT records again (journal replay). */
  onEvent(event: Readonly<Record<string, unknown>>): void;
}

/** The snapshot section of every part: { name: export() }. */
export function exportParts(parts: readonly JournalStatePart[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parts) out[p.name] = p.export();
  return out;
}

/** Give each part its snapshot section, when the snapshot has one. */
export function importParts(parts: readonly JournalStatePart[], sections: Readonly<Record<string, unknown>> | undefined): void {
  if (sections === undefined) return;
  for (const p of parts) if (Object.hasOwn(sections, p.name)) p.import(sections[p.name]);
}
