/**
 * MQTT ingest benchmark: QoS 1 messages per second from a publisher, through a real mosquitto on
 * loopback and the MQTT input, until they are committed in a real WAL.
 *
 * Usage: `node dist-test/scripts/bench/ingest-mqtt.js [--messages N]` after `npm run build:test`
 * (or through `npm run bench:ingest`, which imports `benchMqtt`).
 *
 * Setup: mosquitto with no queue limit (its default max_queued_messages of 1000 would drop what
 * the publisher sends ahead of the input), the WAL in a temp dir with production settings
 * committed every OUTPOST_WAL_COMMIT_INTERVAL's default of 1 s, and the input subscribed to
 * `bench/{sensor}/{__name__}`. An mqtt.js client publishes `--messages` small scalar payloads at
 * QoS 1 (100 sensors, values like `21.7`) keeping PUBLISH_WINDOW unacknowledged publishes in
 * flight, as fast as the broker takes them. The clock runs from the first publish until a commit
 * has made the last sample durable, so the figure includes the last commit's wait (up to 1 s) and
 * the ack-after-commit flow control (at most the input's Receive Maximum of unacknowledged
 * messages per commit). Everything started is stopped, and the temp dir removed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { parseTopicTemplates } from '../../src/config/templates.js';
import type { StreamingInput } from '../../src/inputs/input.js';
import { createMqttInput } from '../../src/inputs/mqtt/mqtt-input.js';
import { silentLogger } from '../../src/lib/log.js';
import { openSqliteWal } from '../../src/wal/sqlite-wal.js';
import type { Wal } from '../../src/wal/wal.js';
import { startMosquitto, type Mosquitto } from '../../test/helpers/mosquitto.js';

const DEFAULT_MESSAGES = 100_000;
const COMMIT_INTERVAL_MS = 1_000;
const SENSORS = 100;
// Unacknowledged publishes the publisher keeps in flight: enough to keep the broker busy, few
// enough that mqtt.js's outgoing store stays small.
const PUBLISH_WINDOW = 1_000;
// A run that stalls (a broken build) ends with an error instead of hanging.
const TIMEOUT_MS = 600_000;

/** Runs the benchmark with `messages` messages and returns the committed message rate. */
export async function benchMqtt(messages = DEFAULT_MESSAGES): Promise<{ mqtt_messages_per_sec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-mqtt-'));
  const brokerDir = join(dir, 'broker');
  const walDir = join(dir, 'wal');
  // Stopped in reverse order of start in `finally`: publisher, input, commit timer, WAL, broker.
  let broker: Mosquitto | null = null;
  let wal: Wal | null = null;
  let commitTimer: NodeJS.Timeout | undefined;
  let input: StreamingInput | null = null;
  let publisher: MqttClient | null = null;
  try {
    mkdirSync(brokerDir);
    broker = await startMosquitto({ dataDir: brokerDir, extraConfig: ['max_queued_messages 0'] });
    const openWal = openSqliteWal({ dir: walDir, segmentDurationMs: 15 * 60_000, retentionMs: 24 * 3_600_000, maxBytes: 1024 ** 3, maxSeries: 50_000 });
    wal = openWal;
    let committed = 0;
    let onCommit = (): void => {};
    commitTimer = setInterval(() => {
      committed += openWal.commit().committed;
      onCommit();
    }, COMMIT_INTERVAL_MS);

    const templates = parseTopicTemplates('bench/{sensor}/{__name__}');
    if (!templates.ok) throw new Error(templates.error);
    let rejected = 0;
    input = createMqttInput({
      config: { url: broker.url, username: null, password: null, clientId: 'outpost-bench', caFile: null, topics: templates.value, qos: 1, maxPayloadBytes: 65_536 },
      log: silentLogger,
      counters: { received() {}, rejected: () => void rejected++ },
    });
    await input.start(openWal);
    const upBy = Date.now() + 10_000;
    while (!input.status().up) {
      if (Date.now() > upBy) throw new Error('the MQTT input did not connect to the benchmark broker');
      await new Promise((r) => setTimeout(r, 10));
    }

    const client = await connectAsync(broker.url, { protocolVersion: 5 });
    publisher = client;
    const topics = Array.from({ length: SENSORS }, (_, i) => `bench/s${i}/temperature`);
    const allCommitted = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${committed} of ${messages} samples committed after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      onCommit = () => {
        if (committed + rejected < messages) return;
        clearTimeout(timer);
        resolve();
      };
    });

    const start = performance.now();
    let next = 0;
    const publishLoop = async (): Promise<void> => {
      while (next < messages) {
        const i = next++;
        await client.publishAsync(topics[i % SENSORS]!, String(200 + (i % 100)) + '.' + (i % 10), { qos: 1 });
      }
    };
    await Promise.all(Array.from({ length: PUBLISH_WINDOW }, publishLoop));
    await allCommitted;
    const seconds = (performance.now() - start) / 1000;
    if (rejected > 0) throw new Error(`${rejected} benchmark messages were rejected`);
    return { mqtt_messages_per_sec: messages / seconds };
  } finally {
    await publisher?.endAsync(true);
    await input?.stop();
    clearInterval(commitTimer);
    wal?.close();
    await broker?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { messages: { type: 'string' } } });
  const messages = values.messages === undefined ? DEFAULT_MESSAGES : Number(values.messages);
  const result = await benchMqtt(messages);
  console.log(`mqtt: ${Math.round(result.mqtt_messages_per_sec).toLocaleString('en')} messages/s (${messages.toLocaleString('en')} QoS 1 messages, committed)`);
  console.log(JSON.stringify(result));
}
