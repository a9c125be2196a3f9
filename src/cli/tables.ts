/**
 * Tables for people: aligned columns, numbers right-aligned exactly as the API wrote them (decimal texts are never
 * parsed into floats and printed back), long text columns shortened with an ellipsis to fit the terminal, and colour
 * only on a terminal (and never with NO_COLOR set). Scripts use --json instead, which prints the API's own JSON.
 */

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number | null | undefined;
  /** Right-aligned (numbers, decimals). */
  readonly right?: boolean;
  /** May be shortened (with …) when the table is wider than the terminal; decimals and ids never are. */
  readonly shrink?: boolean;
  /** The narrowest a shortened column gets, its ellipsis included (default 8). */
  readonly minWidth?: number;
  /** Left out when the table is still wider than the terminal after shortening (the last such column first). */
  readonly optional?: boolean;
  /** Colour of a cell on a terminal. */
  readonly colour?: (text: string) => Colour | undefined;
}

export type Colour = 'red' | 'green' | 'yellow' | 'dim' | 'bold';

const SGR: Record<Colour, string> = { red: '31', green: '32', yellow: '33', dim: '2', bold: '1' };

export interface TableStyle {
  /** Colour on (a terminal without NO_COLOR). */
  readonly colour: boolean;
  /** Fit to this width by shortening the `shrink` columns; undefined: no limit (not a terminal). */
  readonly width: number | undefined;
}

/** How tables print on this output: colour and fitting only on a terminal. */
export function tableStyle(io: { tty?: boolean; columns?: number; env: NodeJS.ProcessEnv }): TableStyle {
  const tty = io.tty === true;
  const noColour = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  return { colour: tty && !noColour, width: tty ? io.columns ?? 100 : undefined };
}

export function paint(text: string, colour: Colour | undefined, style: TableStyle): string {
  return colour === undefined || !style.colour ? text : `\u001b[${SGR[colour]}m${text}\u001b[0m`;
}

const GAP = 2;
/** The narrowest a shortened column gets by default (with its ellipsis). */
const MIN_SHRUNK = 8;
/** The width of a column left out. */
const HIDDEN = 0;

function cellText(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') return '-';
  // control characters (a venue's reason text) would break the layout or the terminal
  return String(v).replace(/[\u0000-\u001f\u007f]/g, ' ');
}

function shorten(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + '…';
}

/**
 * The column widths: each the widest of its header and cells; then, while the line is wider than `style.width`, the
 * widest shrinkable column loses a character (down to its minWidth), then optional columns are left out (width 0),
 * the last first; what is still too wide wraps. `floor`: widths already used (a paged list keeps its columns, and
 * the columns it left out, from page to page).
 */
export function columnWidths<Row>(columns: readonly Column<Row>[], cells: readonly string[][], style: TableStyle, floor: readonly number[] = []): number[] {
  const natural = columns.map((c, i) => (floor[i] === HIDDEN ? HIDDEN : Math.max(c.header.length, floor[i] ?? 0, ...cells.map((r) => r[i]!.length))));
  if (style.width === undefined) return natural;
  const limit = style.width;
  const hidden = new Set<number>();
  natural.forEach((w, i) => w === HIDDEN && hidden.add(i));
  for (;;) {
    // from the natural widths (a column left out gives its room back to the shortened ones)
    const widths = natural.map((w, i) => (hidden.has(i) ? HIDDEN : w));
    const total = (): number => {
      const shown = widths.filter((w) => w !== HIDDEN);
      return shown.reduce((a, b) => a + b, 0) + GAP * (shown.length - 1);
    };
    while (total() > limit) {
      let widest = -1;
      columns.forEach((c, i) => {
        if (c.shrink === true && widths[i]! > Math.max(c.minWidth ?? MIN_SHRUNK, c.header.length) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      });
      if (widest < 0) break;
      widths[widest]!--;
    }
    if (total() <= limit) return widths;
    let drop = -1;
    columns.forEach((c, i) => {
      if (c.optional === true && !hidden.has(i)) drop = i;
    });
    if (drop < 0) return widths; // nothing left to shorten or leave out: the terminal wraps
    hidden.add(drop);
  }
}

/** The text cells of the rows. */
export function tableCells<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string[][] {
  return rows.map((r) => columns.map((c) => cellText(c.value(r))));
}

function line<Row>(columns: readonly Column<Row>[], texts: readonly string[], widths: readonly number[], style: TableStyle, colours: readonly (Colour | undefined)[]): string {
  const parts: string[] = [];
  columns.forEach((c, i) => {
    const w = widths[i]!;
    if (w === HIDDEN) return;
    const t = shorten(texts[i]!, w);
    parts.push(paint(c.right === true ? t.padStart(w) : t.padEnd(w), colours[i], style));
  });
  return parts.join(' '.repeat(GAP)).trimEnd();
}

export function headerLine<Row>(columns: readonly Column<Row>[], widths: readonly number[], style: TableStyle): string {
  return line(columns, columns.map((c) => c.header), widths, style, columns.map(() => 'bold' as const));
}

export function rowLines<Row>(columns: readonly Column<Row>[], rows: readonly Row[], cells: readonly string[][], widths: readonly number[], style: TableStyle): string[] {
  return rows.map((r, k) => line(columns, cells[k]!, widths, style, columns.map((c, i) => c.colour?.(cells[k]![i]!))));
}

/** A whole table: header and rows (no rows: the header alone). */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], style: TableStyle): string[] {
  const cells = tableCells(columns, rows);
  const widths = columnWidths(columns, cells, style);
  return [headerLine(columns, widths, style), ...rowLines(columns, rows, cells, widths, style)];
}

/** Label: value lines, the labels aligned. */
export function renderPairs(pairs: readonly (readonly [string, string | number | null | undefined])[], style: TableStyle): string[] {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${paint(k.padEnd(w), 'bold', style)}  ${cellText(v)}`.trimEnd());
}

/** An order or fill state's colour. */
export function stateColour(state: string): Colour | undefined {
  if (state === 'FILLED') return 'green';
  if (state === 'REJECTED' || state === 'DENIED' || state === 'EXPIRED' || state === 'HALTED') return 'red';
  if (state === 'CANCELED') return 'dim';
  if (state.startsWith('PENDING') || state === 'REDUCING' || state === 'degraded') return 'yellow';
  return undefined;
}

/** An epoch-ms time as people read it (UTC, to the second); '-' for none. */
export function timeText(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** A duration in ms as people read it: 3d4h, 2h5m, 4m12s, 950ms. */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}
