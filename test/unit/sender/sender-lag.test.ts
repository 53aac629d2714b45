import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../../src/lib/clock.js';
import type { Transport } from '../../../src/sender/transport.js';
import { fakeTime, type FakeTime } from '../../helpers/fake-time.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { startTestSender } from '../../helpers/test-sender.js';
import { appendRound, openTestWal } from '../../helpers/wal-fixture.js';

/** A transport that accepts everything and records when (on `clock`) each request arrived. */
function recordingTransport(clock: Clock): Transport & { at: number[] } {
  const at: number[] = [];
  return {
    url: 'http://receiver.invalid/api/v1/write',
    at,
    async send() {
      at.push(clock.now());
      return { kind: 'ok', status: 204, durationMs: 1 };
    },
    close() {},
  };
}

/** Commits one round of 50 series every 200 ms of `time`, `rounds` times; returns when each commit happened. */
async function commitRounds(wal: ReturnType<typeof openTestWal>, time: FakeTime, rounds: number): Promise<number[]> {
  const committedAt: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await time.advance(200);
    appendRound(wal, 50, time.clock.now(), () => r);
    wal.commit();
    committedAt.push(time.clock.now());
  }
  return committedAt;
}

describe('sender lag', () => {
  it('sends at every other commit, within a fraction of a commit interval after it, when the link is free, not at the batch deadline', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path, { consumers: ['c'] });
    t.after(() => wal.close());
    const time = fakeTime(Date.now());
    const transport = recordingTransport(time.clock);
    // The deadline and the idle poll are far longer than the test: only the commit can wake it.
    const { stop } = startTestSender(wal, transport, time, { batchSendDeadlineMs: 30_000, pollIntervalMs: 30_000, wakeOnCommit: true });
    t.after(stop);
    const committedAt = await commitRounds(wal, time, 6);
    await time.advance(200);
    assert.equal(transport.at.length, 3, 'one request per two commits');
    transport.at.forEach((at, i) => {
      const second = committedAt[2 * i + 1]!;
      assert.ok(at >= second && at - second < 150, `request ${i} went ${at - second} ms after the second commit of its pair`);
    });
  });

  it('waits for the batch deadline to send more samples per request when the uplink is metered', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path, { consumers: ['c'] });
    t.after(() => wal.close());
    const time = fakeTime(Date.now());
    const transport = recordingTransport(time.clock);
    const { stop } = startTestSender(wal, transport, time, { batchSendDeadlineMs: 1500, pollIntervalMs: 30_000, wakeOnCommit: true, metered: true });
    t.after(stop);
    const committedAt = await commitRounds(wal, time, 10);
    await time.advance(300);
    assert.ok(transport.at.length >= 1 && transport.at.length <= 2, `${transport.at.length} requests for 10 commits`);
    assert.ok(transport.at[0]! - committedAt[0]! >= 1400, `the first request waited ${transport.at[0]! - committedAt[0]!} ms`);
  });
});
