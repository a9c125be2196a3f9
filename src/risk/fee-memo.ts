import { parseSignedDecimal, type ParsedDecimal } from '../model/decimal.js';

/**
 * parseSignedDecimal of a fee text, remembering the last two texts and their answers (a buy and a sell in turn pay
 * two fees: a one-entry memo parsed every fill again). The answers are shared: read them, never change them.
 */
export class FeeMemo {
  private lastText: string | undefined = undefined;
  private lastParsed: ParsedDecimal | undefined = undefined;
  private prevText: string | undefined = undefined;
  private prevParsed: ParsedDecimal | undefined = undefined;

  parse(text: string): ParsedDecimal | undefined {
    if (text === this.lastText) return this.lastParsed;
    if (text === this.prevText) return this.prevParsed;
    this.prevText = this.lastText;
    this.prevParsed = this.lastParsed;
    this.lastParsed = parseSignedDecimal(text);
    this.lastText = text;
    return this.lastParsed;
  }
}
