/**
 * A journal write failure halts the daemon cleanly (in process, with a disk that fails on demand through the
 * journal's file-writes seam): intake closes with JOURNAL_IO, the dispatcher dispatches nothing more, nothing that is
 * not durable is acknowledged or sent, venue reports and timers after the failure still reach every listener, and
 * nothing throws out of a callback. An exception escaping a timer or setImmediate callback here is an unhandled
 * error, which fails the vitest run.
 */
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import type { JournalFileWrites } from '../../src/journal/journal.js';
import { decodeOrder } from '../../src/intake/order-decoder.js';
import type { PreTradeRisk } from '../../src/risk/pre-trade-risk.js';
import { discardLogs, TEST_TOKEN } from '../helpers/daemon.js';
import { ApiClient, metricValue } from '../helpers/http.js';
import { pollUntil, waitFor } from '../helpers/poll.js';
import { configFromText, paperConfigText } from '../helpers/repo.js';
import { StreamClient } from '../helpers/ws-client.js';

/** Venue acknowledgements and crossing windows long enough that they come after the failure the test makes. */
const LATE_MS = 3000;

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

/** The real disk until told otherwise; then writes wait ('hold') until failHeld() fails them, and every later one fails. */
class FaultyDisk implements JournalFileWrites {
  mode: 'ok' | 'hold' | 'fail' = 'ok';
  private readonly held: (() => void)[] = [];

  write(fd: number, data: Uint8Array, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, written: number) => void): void {
    if (this.mode === 'ok') fs.write(fd, data, offset, length, position, cb);
    else if (this.mode === 'hold') this.held.push(() => cb(enospc(), 0));
    else process.nextTick(() => cb(enospc(), 0));
  }

  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
    if (this.mode === 'ok') fs.fdatasync(fd, cb);
    else if (this.mode === 'hold') this.held.push(() => cb(enospc()));
    else process.nextTick(() => cb(enospc()));
  }

  get waiting(): number {
    return this.held.length;
  }

  /** Fail the writes waiting, synchronously, and every write from now on. */
  failHeld(): void {
    this.mode = 'fail';
    for (const f of this.held.splice(0)) f();
  }
}

const order = (fields: Record<string, unknown>): Record<string, unknown> => ({
  strategy: 'momentum', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.001', ...fields,
});

describe('journal write failure (in process, injected failing disk)', () => {
  let dir: string | undefined;
  let daemon: Daemon | undefined;
  let stream: StreamClient | undefined;

  afterEach(async () => {
    await stream?.close();
    await daemon?.stop('test finished');
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    stream = daemon = dir = undefined;
  });

  it('halts cleanly: JOURNAL_IO everywhere, nothing undurable acknowledged or sent, reports and timers still tracked', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-journal-fail-'));
    const disk = new FaultyDisk();
    const config = configFromText(paperConfigText([
      [['daemon', 'api', 'host'], '127.0.0.1'],
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
      [['venues', 0, 'latencyMs'], LATE_MS],
      [['venues', 1, 'latencyMs'], LATE_MS],
      [['strategies', 2, 'crossing', 'windowMs'], LATE_MS], // manual
    ], { workers: false }));
    const d = (daemon = createDaemon(config, { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir, journalFileWrites: disk }));
    const { port } = await d.start();
    const api = new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN);
    const risk = (d as unknown as { risk: PreTradeRisk }).risk;
    const openOf = (strategy: string): number => risk.snapshot().strategies.find((s) => s.id === strategy)!.openOrders;
    // The last listener of all (after journal, risk, fees, metrics, log and the API stream): sees what they all see.
    const seenLast: string[] = [];
    d.path.tracker.listen({ onTransition: (o, _u, t) => seenLast.push(`${o.clientOrderId} ${t.event} ${t.to} ${o.reason ?? ''}`.trim()) }, 'test');

    // Before the failure, durable: R goes to its venue (acknowledged after LATE_MS), X rests in the crossing book.
    const r = await api.post('/v1/orders', order({ clientOrderId: 'rest1', venue: 'sim-a' }));
    expect(r.status).toBe(201);
    const x = await api.post('/v1/orders', order({ strategy: 'manual', clientOrderId: 'cross1' }));
    expect(x.status).toBe(201);
    expect(x.body.venue).toBe('internal');

    // C is in flight while its batch waits for the disk.
    const idsStream = await StreamClient.connect(`ws://127.0.0.1:${port}/v1/stream?result=ids`, TEST_TOKEN);
    const fullStream = await StreamClient.connect(`ws://127.0.0.1:${port}/v1/stream`, TEST_TOKEN);
    disk.mode = 'hold';
    const inflight = api.post('/v1/orders', order({ symbol: 'ETH-USDT', price: '2000', quantity: '0.01', clientOrderId: 'inflight1' }));
    await waitFor(() => disk.waiting > 0 && d.path.tracker.getByClientOrderId('inflight1')?.state === 'SUBMITTED', { what: 'order C submitted, its batch waiting for the disk' });
    // WebSocket batches in flight too (one client asking for ids only, one for whole orders): decided, not durable.
    const wsOrder = (cid: string): Record<string, unknown> => order({ symbol: 'ETH-USDT', price: '2000', quantity: '0.01', clientOrderId: cid });
    idsStream.send([{ op: 'submit', id: 'wi1', order: wsOrder('wsIds1') }, { op: 'submit', id: 2, order: wsOrder('wsIds2') }]);
    fullStream.send([{ op: 'submit', id: 'wf1', order: wsOrder('wsFull1') }]);
    await waitFor(() => ['wsIds1', 'wsIds2', 'wsFull1'].every((cid) => d.path.tracker.getByClientOrderId(cid)?.state === 'SUBMITTED'), { what: 'the WebSocket orders submitted' });
    // B is queued for the dispatcher's next cycle when the disk fails (the failure is handled before that cycle).
    const decoded = decodeOrder(order({ clientOrderId: 'queued1' }), d.instruments);
    if (!decoded.ok) throw new Error('test order does not decode');
    const b = d.path.intake.submit(decoded.intent);
    if (!b.ok) throw new Error(`order B refused: ${b.code}`);
    disk.failHeld();
    // Acknowledgement and window still to come: the report and the timer below happen after the failure.
    expect(d.path.tracker.getByClientOrderId('rest1')!.state).toBe('SUBMITTED');
    expect(d.path.tracker.getByClientOrderId('cross1')!.state).toBe('SUBMITTED');

    // The request in flight is not acknowledged: JOURNAL_IO, no order id.
    const c = await inflight;
    expect(c.status).toBe(500);
    expect(c.body.error.code).toBe('JOURNAL_IO');
    expect(c.body.orderId).toBeUndefined();
    // Its batch was never sent: REJECTED JOURNAL_IO, risk released.
    const cView = d.path.tracker.getByClientOrderId('inflight1')!;
    expect([cView.state, cView.reason, cView.venueOrderId]).toEqual(['REJECTED', 'JOURNAL_IO', undefined]);
    // The WebSocket submits in flight are not acknowledged either: JOURNAL_IO results naming no order, in both modes.
    const journalFailed = { ok: false, error: { code: 'JOURNAL_IO', message: c.body.error.message } };
    const wsResults = await Promise.all([
      idsStream.next((m) => m.type === 'result' && m.id === 'wi1'), idsStream.next((m) => m.type === 'result' && m.id === 2),
      fullStream.next((m) => m.type === 'result' && m.id === 'wf1'),
    ]);
    expect(wsResults).toEqual([{ type: 'result', id: 'wi1', ...journalFailed }, { type: 'result', id: 2, ...journalFailed }, { type: 'result', id: 'wf1', ...journalFailed }]);
    await Promise.all([idsStream.close(), fullStream.close()]);
    // The queued order is not dispatched: DENIED JOURNAL_IO.
    const bDone = await d.path.intake.dispatched(b.order);
    expect([bDone.state, bDone.reason]).toEqual(['DENIED', 'JOURNAL_IO']);
    expect(openOf('momentum')).toBe(1); // R only

    // Intake is closed with JOURNAL_IO: HTTP and WebSocket.
    const late = await api.post('/v1/orders', order({ clientOrderId: 'late1' }));
    expect([late.status, late.body.error.code]).toEqual([500, 'JOURNAL_IO']);
    stream = await StreamClient.connect(`ws://127.0.0.1:${port}/v1/stream`, TEST_TOKEN);
    const ws = await stream.request({ id: 'w1', op: 'submit', order: order({ clientOrderId: 'late2' }) });
    expect([ws.ok, ws.error.code]).toEqual([false, 'JOURNAL_IO']);
    expect(d.path.tracker.getByClientOrderId('late1')).toBeUndefined();
    expect(d.path.tracker.getByClientOrderId('late2')).toBeUndefined();

    // The paper venue's acknowledgement (a timer) after the failure: applied, and every listener told.
    await waitFor(() => d.path.tracker.getByClientOrderId('rest1')!.state === 'ACCEPTED', { timeoutMs: LATE_MS + 10_000, what: 'R acknowledged' });
    expect(seenLast).toContain('rest1 ACCEPT ACCEPTED');
    expect(metricValue(await api.metrics(), 'switchyard_orders_total', { state: 'ACCEPTED', strategy: 'momentum' })).toBe(1);
    expect(openOf('momentum')).toBe(1);

    // The crossing window ends after the failure: the rest is not sent to a venue, it is finished JOURNAL_IO.
    const xEnd = await pollUntil(() => d.path.tracker.getByClientOrderId('cross1')!, (o) => o.state !== 'SUBMITTED', { timeoutMs: LATE_MS + 10_000, what: 'X out of the crossing book' });
    expect(['REJECTED', 'CANCELED']).toContain(xEnd.state);
    expect([xEnd.reason, xEnd.venueOrderId]).toEqual(['JOURNAL_IO', undefined]);
    expect(openOf('manual')).toBe(0);

    // Cancels still work (in memory; risk released when the venue confirms).
    expect((await api.delete('/v1/orders/rest1')).status).toBe(202);
    await api.waitForState('rest1', 'CANCELED', LATE_MS + 10_000);
    expect(openOf('momentum')).toBe(0);

    // Reported: /health and metrics.
    const health = await api.get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'halted', accepting: false, journal: { ok: false, error: { code: 'JOURNAL_IO' } } });
    expect(health.body.journal.error.message).toContain('ENOSPC');
    expect(health.body.journal.unrecorded).toBeGreaterThan(0);
    const metrics = await api.metrics();
    expect(metricValue(metrics, 'switchyard_journal_failed')).toBe(1);
    expect(metricValue(metrics, 'switchyard_journal_unrecorded_total')).toBe(health.body.journal.unrecorded);
    expect(metricValue(metrics, 'switchyard_listener_errors_total')).toBe(0);

    // And it still stops cleanly.
    await stream.close();
    stream = undefined;
    await d.stop('test finished');
  }, 60_000);

  it('a healthy journal reports ok in /health and 0 in switchyard_journal_failed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-journal-ok-'));
    const config = configFromText(paperConfigText([
      [['daemon', 'api', 'host'], '127.0.0.1'],
      [['daemon', 'api', 'port'], 0],
      [['daemon', 'dataDir'], dir],
      [['daemon', 'api', 'tokenFile'], join(dir, 'api-token')],
    ], { workers: false }));
    const d = (daemon = createDaemon(config, { env: { SWITCHYARD_API_TOKEN: TEST_TOKEN }, logDestination: discardLogs(), baseDir: dir }));
    const { port } = await d.start();
    const api = new ApiClient(`http://127.0.0.1:${port}`, TEST_TOKEN);
    expect((await api.post('/v1/orders', order({}))).status).toBe(201);
    const health = await api.get('/health');
    expect(health.body.status).not.toBe('halted');
    expect(health.body.journal.ok).toBe(true);
    expect(health.body.journal.durableSeq).toBeGreaterThan(0);
    expect(health.body.journal.error).toBeUndefined();
    expect(metricValue(await api.metrics(), 'switchyard_journal_failed')).toBe(0);
  });
});
