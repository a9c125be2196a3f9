/**
 * YAML text -> plain JS value, keeping what the schema and the error messages need:
 *  - plain (unquoted) numbers become YamlNumber {source, value}, so decimal fields read the SOURCE TEXT
 *    ("0.1", "1e-8") and never a JS float; integer fields read `value`;
 *  - every string scalar has its env references resolved (see env.ts);
 *  - a value under a secret key (apiKey, secret, passphrase, password, token) must be exactly `${NAME}`;
 *  - the position of every key and value is recorded by key path, for error messages.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { oneByteText } from '../model/byte-text.js';
import { isPureEnvRef, isSecretKey, substituteEnv, type Env } from './env.js';
import { formatPath, type ConfigPath } from './errors.js';

/** A number written as a plain YAML scalar. `source` is the text exactly as written in the file. */
export class YamlNumber {
  constructor(
    readonly source: string,
    readonly value: number,
  ) {}
  toString(): string {
    return this.source;
  }
  toJSON(): string {
    return this.source;
  }
}

export interface SourcePos {
  line: number;
  column: number;
}

/** Where a path's key and value were written. `key` is absent for list items and the root. */
export interface PathLocation {
  key?: SourcePos;
  value: SourcePos;
}

export interface SourceIssue {
  path: ConfigPath;
  pos: SourcePos;
  message: string;
}

export interface YamlSource {
  /** The converted document, or undefined when it could not be parsed (syntax errors). */
  value: unknown;
  /** Syntax errors, env problems, literal secrets. */
  issues: SourceIssue[];
  /** Key path (formatted with formatPath) -> where it is written. */
  locations: Map<string, PathLocation>;
  /** True when the document could not be read at all: syntax errors, empty, too large (then `value` is undefined). */
  syntaxErrors: boolean;
}

/** Guard against alias expansion bombs ("billion laughs"). */
const MAX_NODES = 100_000;

interface Ctx {
  doc: Document;
  lc: LineCounter;
  env: Env;
  issues: SourceIssue[];
  locations: Map<string, PathLocation>;
  nodes: number;
  tooLarge: boolean;
}

export function readYamlSource(text: string, env: Env): YamlSource {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const locations = new Map<string, PathLocation>();
  const pos = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { line, column: col };
  };
  const problems = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  if (problems.length > 0) {
    // After the first syntax error the parser reports the rest of the file token by token: keep the first only.
    const first = problems[0];
    // An unclosed quote or bracket is noticed where the text runs out: point at where it was opened instead.
    const opened = openedAt(text, first.code, first.message, first.pos[0]);
    const at = pos(opened ?? first.pos[0]);
    let message = `YAML syntax: ${first.message}`;
    if (opened !== undefined) {
      const noticed = pos(first.pos[0]);
      message += ` (opened here; noticed at line ${noticed.line}, column ${noticed.column})`;
    }
    const lineText = text.split(/\r?\n/)[at.line - 1] ?? '';
    if (/\$\{/.test(lineText) && /[{[]/.test(lineText.replace(/\$\{[^}]*\}/g, ''))) {
      message += ' (inside { } or [ ], quote env references: "${NAME}")';
    }
    return { value: undefined, syntaxErrors: true, locations, issues: [{ path: [], pos: at, message }] };
  }
  const ctx: Ctx = { doc, lc, env, issues: [], locations, nodes: 0, tooLarge: false };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      value: undefined,
      syntaxErrors: true,
      locations,
      issues: [{ path: [], pos: { line: 1, column: 1 }, message: 'the config file is empty' }],
    };
  }
  const root = doc.contents as Node;
  locations.set('', { value: nodePos(ctx, root) });
  const value = convert(ctx, root, []);
  if (ctx.tooLarge) {
    return { value: undefined, syntaxErrors: true, locations, issues: ctx.issues.filter((i) => i.message.startsWith('the document expands')) };
  }
  return { value, issues: ctx.issues, locations, syntaxErrors: false };
}

/**
 * The offset of the quote or bracket an "unclosed" syntax error is about: the last unescaped quote before `at` for a
 * missing closing quote (the unclosed scalar holds none), the innermost bracket still open at `at` for a flow
 * collection that does not end. undefined for other errors or when it cannot be told.
 */
function openedAt(text: string, code: string, message: string, at: number): number | undefined {
  const end = Math.min(at, text.length);
  if (code === 'MISSING_CHAR' && /quote/i.test(message)) {
    const quote = message.includes('"') ? '"' : "'";
    for (let i = end - 1; i >= 0; i--) {
      if (text[i] !== quote) continue;
      if (quote === '"' && text[i - 1] === '\\') continue;
      if (quote === "'" && (text[i - 1] === "'" || text[i + 1] === "'")) continue;
      return i;
    }
    return undefined;
  }
  const closer = /end with an? ([\]}])/.exec(message)?.[1];
  if (closer === undefined) return undefined;
  const opener = closer === ']' ? '[' : '{';
  let quote: string | null = null;
  let found: number | undefined;
  // scan forward (quotes and comments make a backward scan ambiguous); the last opener left open is the one
  const open: number[] = [];
  for (let i = 0; i < end; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === quote && !(quote === '"' && text[i - 1] === '\\')) quote = null;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
      continue;
    }
    if ((c === '"' || c === "'") && open.length > 0) quote = c;
    else if ((c === '[' || c === '{') && (open.length > 0 || startsValue(text, i))) open.push(i);
    else if ((c === ']' || c === '}') && open.length > 0) open.pop();
  }
  for (let k = open.length - 1; k >= 0 && found === undefined; k--) if (text[open[k]!] === opener) found = open[k];
  return found;
}

/** Whether a bracket at `i` starts a flow collection (after `key: `, `- `, or at the start of a line), not plain text. */
function startsValue(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (text[j] === ' ' || text[j] === '\t')) j--;
  if (j < 0 || text[j] === '\n' || text[j] === '\r') return true;
  return (text[j] === ':' || text[j] === '-') && j < i - 1;
}

function offsetPos(ctx: Ctx, offset: number): SourcePos {
  const { line, col } = ctx.lc.linePos(offset);
  return { line, column: col };
}

function nodePos(ctx: Ctx, node: Node | null | undefined): SourcePos {
  const start = node?.range?.[0];
  return start === undefined ? { line: 1, column: 1 } : offsetPos(ctx, start);
}

function issue(ctx: Ctx, path: ConfigPath, pos: SourcePos, message: string): void {
  ctx.issues.push({ path: [...path], pos, message });
}

function keyText(key: unknown): string | undefined {
  if (key === null || key === undefined) return '';
  if (isScalar(key)) {
    if (key.value === null) return '';
    if (typeof key.value === 'number' && typeof key.source === 'string') return oneByteText(key.source);
    return oneByteText(String(key.value));
  }
  return undefined;
}

function convert(ctx: Ctx, node: unknown, path: ConfigPath): unknown {
  if (ctx.tooLarge) return undefined;
  if (++ctx.nodes > MAX_NODES) {
    ctx.tooLarge = true;
    issue(ctx, [], nodePos(ctx, node as Node), `the document expands to more than ${MAX_NODES} nodes (aliases?)`);
    return undefined;
  }
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc);
    if (target === undefined) {
      issue(ctx, path, nodePos(ctx, node), `unresolved alias *${node.source}`);
      return undefined;
    }
    return convert(ctx, target, path);
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = keyText(pair.key);
      const keyPos = pair.key ? nodePos(ctx, pair.key as Node) : nodePos(ctx, node);
      if (key === undefined) {
        issue(ctx, path, keyPos, 'complex (non-scalar) mapping keys are not supported');
        continue;
      }
      const childPath = [...path, key];
      const valueNode = pair.value as Node | null;
      // An empty value ("fees:") has no text of its own: point at the key.
      const emptyValue = !valueNode || (isScalar(valueNode) && valueNode.value === null && !valueNode.source);
      ctx.locations.set(formatPath(childPath), { key: keyPos, value: emptyValue ? keyPos : nodePos(ctx, valueNode) });
      if (isSecretKey(key)) checkSecret(ctx, valueNode, childPath);
      // defineProperty: a YAML key "__proto__" must become an own property, never the prototype.
      Object.defineProperty(out, key, {
        value: convert(ctx, valueNode, childPath),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => {
      const childPath = [...path, i];
      ctx.locations.set(formatPath(childPath), { value: nodePos(ctx, item as Node) });
      return convert(ctx, item, childPath);
    });
  }
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      const source = node.type === 'PLAIN' && typeof node.source === 'string' ? node.source : String(v);
      return new YamlNumber(oneByteText(source), v);
    }
    if (typeof v === 'string') {
      const r = substituteEnv(v, ctx.env);
      if (r.ok) return oneByteText(r.value);
      for (const message of r.errors) issue(ctx, path, nodePos(ctx, node), message);
      return v;
    }
    issue(ctx, path, nodePos(ctx, node), 'unsupported YAML value type');
    return undefined;
  }
  issue(ctx, path, nodePos(ctx, node as Node), 'unsupported YAML node');
  return undefined;
}

/** Secrets come from the environment only: the value must be exactly `${NAME}`. Never echo the value. */
function checkSecret(ctx: Ctx, valueNode: Node | null, path: ConfigPath): void {
  let node: unknown = valueNode;
  if (isAlias(node)) node = node.resolve(ctx.doc);
  if (node === null || node === undefined) return;
  if (isScalar(node)) {
    if (node.value === null) return; // empty: the schema reports it if a value is required
    if (typeof node.value === 'string' && isPureEnvRef(node.value)) return;
    issue(
      ctx,
      path,
      nodePos(ctx, valueNode),
      `literal secret: "${String(path[path.length - 1])}" must be an env reference like \${NAME}` +
        ' (secrets come from environment variables only)',
    );
    return;
  }
  issue(ctx, path, nodePos(ctx, valueNode), `literal secret: "${String(path[path.length - 1])}" must be an env reference like \${NAME}`);
}
