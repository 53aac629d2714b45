import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InputStatus, PollingInput, StreamingInput } from '../../src/inputs/input.js';
import { createInputs } from '../../src/inputs/inputs.js';
import { createManualClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import type { WalAppender } from '../../src/wal/wal.js';
import { createRecordingAppender } from '../helpers/fake-appender.js';

/** A streaming input that records what the runtime asks of it. */
function recordingStreamingInput(name: string) {
  const calls: string[] = [];
  let given: WalAppender | null = null;
  const status: InputStatus = { name, up: false, lastSuccessMs: null, lastError: null };
  const input: StreamingInput = {
    name,
    async start(appender) {
      given = appender;
      status.up = true;
      calls.push('start');
    },
    async stop() {
      status.up = false;
      calls.push('stop');
    },
    status: () => ({ ...status }),
    shedCaches: () => void calls.push('shed'),
  };
  return { input, calls, given: () => given };
}

describe('inputs', () => {
  it('polls polling inputs, starts and stops streaming ones, and lists every status, polling first', async () => {
    const appender = createRecordingAppender();
    const sheds: string[] = [];
    const polled: PollingInput = { name: 'host', collect: () => {}, shedCaches: () => void sheds.push('host') };
    const streamed = recordingStreamingInput('mqtt');
    const clock = createManualClock();
    const inputs = createInputs({ polling: [{ input: polled, intervalMs: 60_000 }], streaming: [streamed.input] }, appender, clock, silentLogger);

    await inputs.start();
    assert.equal(streamed.given(), appender);
    // The first round runs at once; its status is set once it settles.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(inputs.status(), [
      { name: 'host', up: true, lastSuccessMs: clock.now(), lastError: null },
      { name: 'mqtt', up: true, lastSuccessMs: null, lastError: null },
    ]);

    inputs.shedCaches();
    assert.deepEqual(sheds, ['host']);
    await inputs.stop();
    assert.deepEqual(streamed.calls, ['start', 'shed', 'stop']);
    assert.equal(inputs.status()[1]!.up, false);
  });
});
