import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, SwitchyardError, errorSpec, isErrorCode, type ErrorCode } from '../../src/model/errors.js';

const CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

describe('error catalogue', () => {
  it('codes are unique, upper snake case, and include the ones the architecture names', () => {
    expect(new Set(CODES).size).toBe(CODES.length);
    // object keys cannot repeat, so also make sure no two codes differ only by case
    expect(new Set(CODES.map((c) => c.toLowerCase())).size).toBe(CODES.length);
    for (const c of CODES) expect(c).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    for (const c of ['INVALID_QUANTITY', 'UNKNOWN_SYMBOL', 'QUEUE_FULL', 'VENUE_RATE_LIMITED', 'INVALID_TRANSITION', 'OVERFILL', 'DUPLICATE_FILL']) {
      expect(CODES).toContain(c);
    }
  });

  it.each(CODES.map((c) => [c]))('%s has a kind, an HTTP status and a description', (code) => {
    const spec = errorSpec(code);
    expect(['retryable', 'not_retryable', 'fatal']).toContain(spec.kind);
    expect(Number.isInteger(spec.http)).toBe(true);
    expect(spec.http).toBeGreaterThanOrEqual(400);
    expect(spec.http).toBeLessThan(600);
    expect(spec.description.trim().length).toBeGreaterThan(0);
  });

  it('retryable codes answer with a status a client may retry on; bad requests are 4xx', () => {
    expect(errorSpec('QUEUE_FULL').kind).toBe('retryable');
    expect(errorSpec('VENUE_RATE_LIMITED').kind).toBe('retryable');
    expect(errorSpec('INVALID_QUANTITY')).toMatchObject({ kind: 'not_retryable', http: 400 });
    expect(errorSpec('UNAUTHORIZED').http).toBe(401);
    expect(errorSpec('INTERNAL')).toMatchObject({ kind: 'fatal', http: 500 });
  });

  it('isErrorCode knows the catalogue and nothing else', () => {
    for (const c of CODES) expect(isErrorCode(c)).toBe(true);
    for (const s of ['', 'toString', '__proto__', 'hasOwnProperty', 'queue_full', 'NOPE']) expect(isErrorCode(s)).toBe(false);
  });

  it('SwitchyardError carries code, kind and retryable', () => {
    for (const code of CODES) {
      const e = new SwitchyardError(code, undefined, { symbol: 'BTCUSDT' });
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe('SwitchyardError');
      expect(e.code).toBe(code);
      expect(e.kind).toBe(ERROR_CATALOGUE[code].kind);
      expect(e.retryable).toBe(ERROR_CATALOGUE[code].kind === 'retryable');
      expect(e.message).toBe(ERROR_CATALOGUE[code].description);
      expect(e.details).toEqual({ symbol: 'BTCUSDT' });
    }
    const custom = new SwitchyardError('UNKNOWN_SYMBOL', 'no such symbol: FOO');
    expect(custom.message).toBe('no such symbol: FOO');
    expect(custom.details).toBeUndefined();
  });

  it('every error code is documented in README.md', () => {
    expect(existsSync(README), `README.md not found at ${README}`).toBe(true);
    const lines = readFileSync(README, 'utf8').split(/\r?\n/);
    const missing = CODES.filter((code) => !lines.some((line) => line.startsWith('| `' + code + '`')));
    expect(missing, 'codes without a README table row starting with "| `CODE`"').toEqual([]);
  });
});

describe('codes the source gives errors', () => {
  /** Every .ts file under src. */
  function sources(dir: string): string[] {
    const out: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) out.push(...sources(p));
      else if (e.name.endsWith('.ts')) out.push(p);
    }
    return out;
  }
  const SRC = fileURLToPath(new URL('../../src', import.meta.url));
  // a code set on an error (`{ code: 'X' }`), made as a SwitchyardError, or a Redis script's error reply ('X …')
  const MADE = [/\bcode: '([A-Z][A-Z0-9_]*)'/g, /new SwitchyardError\('([A-Z][A-Z0-9_]*)'/g, /error_reply\('([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)[ ']/g];
  // Node's own errno-style codes (no underscore, E…) copy the platform's, as a socket error would carry them
  const NODE_ERRNO = /^E[A-Z]+$/;

  it('every code the daemon puts on an error it reports (lastError, a log, an answer) is in the catalogue and so in the README', () => {
    const missing = new Map<string, string>();
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const re of MADE) {
        for (const m of text.matchAll(re)) {
          const code = m[1]!;
          if (!NODE_ERRNO.test(code) && !isErrorCode(code)) missing.set(code, relative(SRC, file));
        }
      }
    }
    expect(Object.fromEntries(missing), 'codes made in src but missing from ERROR_CATALOGUE').toEqual({});
  });
});
