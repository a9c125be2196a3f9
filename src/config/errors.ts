/** Configuration errors: every one names the file, the key path and the line. */

export interface ConfigError {
  /** The file name as given to the loader (e.g. "config/paper.yaml"). */
  file: string;
  /** Dotted key path, e.g. "venues[1].fees.takerBps"; "" for the document itself (syntax errors, empty file). */
  path: string;
  /** 1-based line; 0 when the error concerns the whole file (e.g. it cannot be read). */
  line: number;
  /** 1-based column; 0 when line is 0. */
  column: number;
  message: string;
}

export type ConfigPath = ReadonlyArray<string | number>;

const IDENT_RE = /^[A-Za-z0-9_-]+$/;

/**
 * Format a key path: `venues[1].fees.takerBps`, `routing.BTC-USDT.sim-a`.
 * Keys that are not simple identifiers are quoted: `routing["odd key"]`.
 */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT_RE.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** One error per line: `config/paper.yaml:12:5 venues[0].fees.takerBps: expected a decimal string`. */
export function formatConfigError(e: ConfigError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file;
  return e.path === '' ? `${where}: ${e.message}` : `${where} ${e.path}: ${e.message}`;
}

export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return errors.map(formatConfigError).join('\n');
}

/** Order errors as a reader walks the file: by line, then column (stable for equal positions). */
export function sortConfigErrors(errors: ConfigError[]): ConfigError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.line - b.e.line || a.e.column - b.e.column || a.i - b.i)
    .map(({ e }) => e);
}
