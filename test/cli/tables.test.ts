/**
 * The CLI's tables: aligned, decimals never shortened or reformatted, text columns shortened and optional columns
 * left out only to fit a terminal, colour only when asked for.
 */
import { describe, expect, it } from 'vitest';
import { columnWidths, renderTable, tableCells, tableStyle, durationText, type Column } from '../../src/cli/tables.js';

interface Row { name: string; price: string; note: string; when: string }
const COLUMNS: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name, shrink: true, minWidth: 8 },
  { header: 'PRICE', value: (r) => r.price, right: true },
  { header: 'NOTE', value: (r) => r.note, shrink: true },
  { header: 'WHEN', value: (r) => r.when, optional: true },
];
const ROWS: Row[] = [
  { name: 'a-rather-long-strategy-name', price: '60000.00000001', note: 'first\nline', when: '12-02 11:40:08Z' },
  { name: 'b', price: '0.1', note: '', when: '12-02 11:40:09Z' },
];
const plain = { colour: false, width: undefined };

describe('tables', () => {
  it('aligns columns, right-aligns decimals as given, marks empty cells, strips control characters', () => {
    const lines = renderTable(COLUMNS, ROWS, plain);
    expect(lines).toEqual([
      'NAME                                  PRICE  NOTE        WHEN',
      'a-rather-long-strategy-name  60000.00000001  first line  12-02 11:40:08Z',
      'b                                       0.1  -           12-02 11:40:09Z',
    ]);
  });

  it('fits a terminal: shortens text columns to their minimum, then leaves out optional ones; decimals stay whole', () => {
    const narrow = { colour: false, width: 40 };
    const lines = renderTable(COLUMNS, ROWS, narrow);
    expect(lines[0]).toBe('NAME                   PRICE  NOTE');
    expect(lines[1]).toBe('a-rather-lo…  60000.00000001  first line');
    // narrower: both text columns at their minimum
    expect(renderTable(COLUMNS, ROWS, { colour: false, width: 34 })[1]).toBe('a-rathe…  60000.00000001  first l…');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
    // wide enough for everything once shortened: nothing left out
    const medium = renderTable(COLUMNS, ROWS, { colour: false, width: 58 });
    expect(medium[0]).toMatch(/WHEN$/);
    expect(medium[1]).toContain('60000.00000001');
    // too narrow even then: it wraps, no decimal is ever cut
    expect(renderTable(COLUMNS, ROWS, { colour: false, width: 10 })[1]).toContain('60000.00000001');
  });

  it('a paged table keeps its widths and left-out columns from page to page', () => {
    const style = { colour: false, width: 40 };
    const first = columnWidths(COLUMNS, tableCells(COLUMNS, ROWS), style);
    expect(first[3]).toBe(0);
    const next = columnWidths(COLUMNS, tableCells(COLUMNS, [{ name: 'c', price: '1', note: 'x', when: 'w' }]), style, first);
    expect(next).toEqual(first);
  });

  it('colour only on a terminal without NO_COLOR; truncation only on a terminal', () => {
    expect(tableStyle({ tty: false, columns: 50, env: {} })).toEqual({ colour: false, width: undefined });
    expect(tableStyle({ tty: true, columns: 50, env: {} })).toEqual({ colour: true, width: 50 });
    expect(tableStyle({ tty: true, columns: 50, env: { NO_COLOR: '1' } })).toEqual({ colour: false, width: 50 });
    const coloured = renderTable(COLUMNS, ROWS, { colour: true, width: undefined });
    expect(coloured[0]).toMatch(/^\u001b\[1mNAME/);
    expect(renderTable(COLUMNS, ROWS, plain).join('')).not.toMatch(/\u001b/);
  });

  it('durations for people', () => {
    expect([950, 12_000, 252_000, 7_500_000, 200_000_000].map(durationText)).toEqual(['950ms', '12s', '4m12s', '2h5m', '2d7h']);
  });
});
