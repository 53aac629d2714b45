import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, createThrottle, throttledWarn } from '../../../src/lib/log.js';

/** A destination that keeps what is written, line by line. */
function sink(): Writable & { lines: string[] } {
  const lines: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return Object.assign(w, { lines });
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('logger', () => {
  it('writes one JSON object a line, without pid or hostname, child bindings included', async () => {
    const out = sink();
    const log = createLogger({ level: 'info', format: 'json' }, out);
    log.child({ component: 'wal' }).info({ segments: 3 }, 'WAL opened');
    log.debug('hidden below the level');
    await flush();
    assert.equal(out.lines.length, 1);
    const record = JSON.parse(out.lines[0]!) as Record<string, unknown>;
    assert.deepEqual({ ...record, time: typeof record.time }, { level: 30, time: 'number', component: 'wal', segments: 3, msg: 'WAL opened' });
  });

  it("writes 'pretty' as time, level and message, with the fields as JSON", async () => {
    const out = sink();
    createLogger({ level: 'debug', format: 'pretty' }, out).child({ component: 'sender' }).warn({ status: 503 }, 'remote write failed');
    await flush();
    assert.match(out.lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN  remote write failed \{"component":"sender","status":503\}$/);
  });
});

describe('throttled warnings', () => {
  it('logs the first at once, counts repeats within the interval and reports them with the next one logged', async () => {
    let now = 0;
    const throttle = createThrottle(60_000, () => now);
    const out = sink();
    const log = createLogger({ level: 'info', format: 'json' }, out);
    throttledWarn(log, throttle, 'retry', { status: 503 }, 'remote write failed; retrying');
    for (let i = 0; i < 5; i++) {
      now += 1000;
      throttledWarn(log, throttle, 'retry', { status: 503 }, 'remote write failed; retrying');
    }
    throttledWarn(log, throttle, 'other', {}, 'another kind has its own budget');
    now = 61_000;
    throttledWarn(log, throttle, 'retry', { status: 502 }, 'remote write failed; retrying');
    await flush();
    const records = out.lines.map((l) => JSON.parse(l) as { msg: string; status?: number; repeats?: number });
    assert.deepEqual(records.map((r) => [r.msg, r.status, r.repeats]), [
      ['remote write failed; retrying', 503, undefined],
      ['another kind has its own budget', undefined, undefined],
      ['remote write failed; retrying', 502, 5],
    ]);
  });
});
