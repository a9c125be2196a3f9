/**
 * Reopen after a crash: a child process appends in a loop with group commit and reports the seqs it saw become
 * durable; the test kills it with SIGKILL mid-loop, then checks that verify finds no corruption, that open recovers
 * every record reported durable (and maybe more), and that every surviving record has the exact payload written.
 *
 * The child runs the journal sources transpiled on the fly (typescript.transpileModule into a temp dir), so the
 * test needs no build step.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal, readJournal, verifyJournal } from '../../src/journal/index.js';
import { payloadFor, tempDir, typeFor, waitFor } from './helpers.js';

const srcDir = fileURLToPath(new URL('../../src/journal/', import.meta.url));
const modelDir = fileURLToPath(new URL('../../src/model/', import.meta.url));
const coreDir = fileURLToPath(new URL('../../src/core/', import.meta.url));
const work = tempDir('journal-crash-');
let childScript = '';

beforeAll(() => {
  // the journal's modules, and the model and core beside them (the journal's CRC-32 lives in src/model; the record
  // describer names the order store's codes)
  for (const [from, to] of [[srcDir, 'lib'], [modelDir, 'model'], [coreDir, 'core']] as const) {
    const out = join(work.dir, to);
    fs.mkdirSync(out);
    for (const name of fs.readdirSync(from).filter((n) => n.endsWith('.ts'))) {
      const js = ts.transpileModule(fs.readFileSync(join(from, name), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      fs.writeFileSync(join(out, name.replace(/\.ts$/, '.js')), js);
    }
  }
  childScript = join(work.dir, 'child.mjs');
  // payloadFor / typeFor duplicated in the child: length seq % 97, bytes (seq * 31 + k * 7) & 0xff, type 1 + seq % 200.
  fs.writeFileSync(
    childScript,
    `import { Journal } from './lib/index.js';
const dir = process.argv[2];
const j = await Journal.open(dir, { maxDelayMs: 1, batchBytes: 64 * 1024, segmentBytes: 256 * 1024 });
process.stdout.write('open ' + j.lastSeq + '\\n');
const scratch = new Uint8Array(97);
let reported = j.lastSeq;
for (;;) {
  let seq = 0;
  for (let i = 0; i < 200; i++) {
    const next = j.lastSeq + 1;
    const len = next % 97;
    for (let k = 0; k < len; k++) scratch[k] = (next * 31 + k * 7) & 0xff;
    seq = j.append(1 + (next % 200), scratch.subarray(0, len));
  }
  j.whenDurable(seq).then(() => {
    if (seq > reported) { reported = seq; process.stdout.write('durable ' + seq + '\\n'); }
  });
  await new Promise((r) => setTimeout(r, 1)); // pace the child (~100k appends/s at most) to keep the journal small
}
`,
  );
});
afterAll(() => work.cleanup());

/**
 * The journal's segments that begin at or before `seq` (segment files are named by the seq they begin with): how many
 * segments the records up to `seq` span.
 */
function segmentsUpTo(dir: string, seq: number): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir).filter((n) => /^\d{16}\.log$/.test(n) && Number(n.slice(0, 16)) <= seq).length;
}

/**
 * Runs the child until it reported at least `minDurable` and its durable records span two segments or more, then
 * SIGKILLs it; returns the highest durable seq seen. (A record count alone cannot promise a second segment: while a
 * write is on the disk the next batch grows past batchBytes, so on a loaded machine the first segment holds more.)
 */
async function runAndKill(dir: string, minDurable: number): Promise<{ durable: number; openedAt: number }> {
  const child = spawn(process.execPath, [childScript, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let durable = 0;
  let openedAt = -1;
  let stderr = '';
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const [word, n] = buffered.slice(0, nl).split(' ');
      buffered = buffered.slice(nl + 1);
      if (word === 'durable') durable = Math.max(durable, Number(n));
      if (word === 'open') openedAt = Number(n);
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  try {
    await waitFor(() => (durable >= minDurable && segmentsUpTo(dir, durable) >= 2) || child.exitCode !== null, 20_000,
      `child to make seq ${minDurable} durable, in two segments or more`);
  } finally {
    child.kill('SIGKILL');
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`child exited by itself: ${stderr}`);
  return { durable, openedAt };
}

describe('reopen after a crash', () => {
  it('recovers every record reported durable after SIGKILL mid-append, three crashes in a row', async () => {
    const d = join(work.dir, 'journal');
    let previousDurable = 0;
    for (let round = 1; round <= 3; round++) {
      const { durable, openedAt } = await runAndKill(d, previousDurable + 5_000 * round);
      expect(openedAt).toBeGreaterThanOrEqual(previousDurable);

      // verify before recovery: clean or a torn tail, never corruption
      const v = verifyJournal(d);
      expect([0, 1]).toContain(v.exitCode);

      const j = await Journal.open(d);
      expect(j.lastSeq).toBeGreaterThanOrEqual(durable);
      await j.close();
      expect(verifyJournal(d).exitCode).toBe(0);

      let expected = 1;
      const summary = readJournal(d, {}, (r) => {
        const want = payloadFor(expected);
        if (r.seq !== expected || r.type !== typeFor(expected) || Buffer.compare(r.payload(), want) !== 0) {
          throw new Error(`record ${r.seq} (type ${r.type}, ${r.length} bytes) differs from what seq ${expected} was written with`);
        }
        expected++;
      });
      expect(summary.lastSeq).toBe(j.lastSeq);
      expect(summary.segments).toBeGreaterThan(1);
      previousDurable = j.lastSeq;
    }
  });
});
