import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeferredAcks } from '../../../src/inputs/mqtt/deferred-acks.js';
import { createRecordingAppender } from '../../helpers/fake-appender.js';

test('acks are released only by a commit after their deferral, in order, with their connection', () => {
  const appender = createRecordingAppender();
  const sent: Array<[number, number]> = [];
  const acks = createDeferredAcks(appender, (id, conn) => sent.push([id, conn]));
  acks.defer(7, 1);
  acks.defer(8, 1);
  assert.deepEqual(sent, []);
  assert.equal(acks.pending, 2);
  appender.commit();
  assert.deepEqual(sent, [[7, 1], [8, 1]]);
  acks.defer(9, 2);
  assert.equal(acks.pending, 1);
  appender.commit();
  assert.deepEqual(sent.at(-1), [9, 2]);
  assert.equal(acks.pending, 0);
});

test('many acks across commits stay in FIFO order through compaction', () => {
  const appender = createRecordingAppender();
  const sent: number[] = [];
  const acks = createDeferredAcks(appender, (id) => sent.push(id));
  let next = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 700; i++) acks.defer(next++ % 65_536, 0);
    // Release only part of the callbacks, as if a commit came mid-stream.
    const half = appender.callbacks.splice(0, 500);
    for (const fn of half) fn();
  }
  appender.commit();
  assert.equal(sent.length, next);
  assert.deepEqual(sent, Array.from({ length: next }, (_, i) => i % 65_536));
  assert.equal(acks.pending, 0);
});

test('drained resolves once everything deferred is released, or false at the timeout', async () => {
  const appender = createRecordingAppender();
  const acks = createDeferredAcks(appender, () => {});
  assert.equal(await acks.drained(10), true);
  acks.defer(1, 0);
  assert.equal(await acks.drained(20), false);
  const waiting = acks.drained(5_000);
  setTimeout(() => appender.commit(), 10);
  assert.equal(await waiting, true);
});
