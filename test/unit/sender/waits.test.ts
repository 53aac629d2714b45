import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWaits, type WakeOn } from '../../../src/sender/waits.js';
import { fakeTime, type FakeTime } from '../../helpers/fake-time.js';

/** Starts a sleep and records the fake time at which it ended; null while it runs. */
function track(time: FakeTime, sleep: Promise<void>): { endedAt: number | null } {
  const tracked = { endedAt: null as number | null };
  void sleep.then(() => (tracked.endedAt = time.clock.now()));
  return tracked;
}

describe('sender waits', () => {
  it('end at their time on the injected timers', async () => {
    const time = fakeTime(1000);
    const waits = createWaits(time.clock, time);
    const sleep = track(time, waits.sleep(500));
    await time.advance(499);
    assert.equal(sleep.endedAt, null);
    await time.advance(1);
    assert.equal(sleep.endedAt, 1500);
  });

  it('end early only at the event they wait for', async () => {
    const time = fakeTime();
    const waits = createWaits(time.clock, time);
    const kinds: WakeOn[] = ['time', 'commit', 'link-returns'];
    const [timed, idle, backingOff] = kinds.map((wakeOn) => track(time, waits.sleep(60_000, wakeOn)));
    assert.equal(waits.backingOff, 1);
    await time.advance(10);
    waits.committed();
    await time.advance(10);
    assert.deepEqual([timed!.endedAt, idle!.endedAt, backingOff!.endedAt], [null, 10, null]);
    waits.linkReturned();
    await time.advance(10);
    assert.deepEqual([timed!.endedAt, backingOff!.endedAt], [null, 20]);
    assert.equal(waits.backingOff, 0);
    await time.advance(60_000);
    assert.equal(timed!.endedAt, 60_000);
  });

  it('end at stop, cap later waits at the deadline and abort the signal then', async () => {
    const time = fakeTime();
    const waits = createWaits(time.clock, time);
    const before = track(time, waits.sleep(60_000));
    waits.stop(5000);
    await time.advance(0);
    assert.equal(before.endedAt, 0, 'a wait running at stop ends at once');
    assert.ok(waits.stopping && !waits.outOfTime());
    const after = track(time, waits.sleep(60_000));
    await time.advance(4999);
    assert.equal(after.endedAt, null);
    assert.equal(waits.signal.aborted, false);
    await time.advance(1);
    assert.equal(after.endedAt, 5000, 'a wait begun while stopping ends at the deadline');
    assert.equal(waits.signal.aborted, true);
    assert.equal(waits.outOfTime(), true);
  });

  it('do not abort the signal once the stop is cancelled', async () => {
    const time = fakeTime();
    const waits = createWaits(time.clock, time);
    const cancel = waits.stop(5000);
    cancel();
    await time.advance(10_000);
    assert.equal(waits.signal.aborted, false);
    assert.equal(waits.outOfTime(), true, 'the deadline has still passed');
  });
});
