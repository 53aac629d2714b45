/**
 * The process test/integration/mqtt.test.ts kills: an MQTT input writing into a WAL that it
 * commits only when told.
 *
 * Usage: `node mqtt-child.js <walDir> <brokerUrl> <clientId> <templates> hold|commit`.
 * In `hold` mode the WAL is never committed (so no PUBACK ever goes out); in `commit` mode it is
 * committed every 100 ms.
 *
 * It reports on stdout, one line per event, written synchronously so that a line the parent sees
 * happened before the next step:
 *   up                   connected and subscribed
 *   appended <total>     a sample was appended; <total> so far
 *   committed <total>    a commit made that many samples durable (only when it made some)
 *   stopped              after `stop` on stdin: input stopped, WAL committed and closed; exits 0
 * stdin commands, one per line: `commit`, `stop`.
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseTopicTemplates } from '../../src/config/templates.js';
import { silentLogger } from '../../src/lib/log.js';
import { createMqttInput } from '../../src/inputs/mqtt/mqtt-input.js';
import type { WalAppender } from '../../src/wal/wal.js';
import { openTestWal } from './wal-fixture.js';

// A safety net for a parent that died without killing us: never outlive a test run.
const MAX_LIFETIME_MS = 120_000;

function say(line: string): void {
  writeSync(1, line + '\n');
}

async function main(argv: string[]): Promise<void> {
  const [dir, url, clientId, templatesText, mode] = argv;
  if (dir === undefined || url === undefined || clientId === undefined || templatesText === undefined || (mode !== 'hold' && mode !== 'commit')) {
    throw new Error('usage: mqtt-child <walDir> <brokerUrl> <clientId> <templates> hold|commit');
  }
  const templates = parseTopicTemplates(templatesText);
  if (!templates.ok) throw new Error(templates.error);
  const wal = openTestWal(dir);
  let appended = 0;
  let committed = 0;
  // The WAL as the input sees it, counting appends so the parent knows a message was received.
  const appender: WalAppender = {
    seriesRef: (labels) => wal.seriesRef(labels),
    seriesRefByKey: (key, labels) => wal.seriesRefByKey(key, labels),
    append(ref, t, v) {
      wal.append(ref, t, v);
      appended++;
      say(`appended ${appended}`);
    },
    afterCommit: (fn) => wal.afterCommit(fn),
    seriesGeneration: () => wal.seriesGeneration(),
    setMetadata: (family, metadata) => wal.setMetadata(family, metadata),
  };
  const commit = (): void => {
    const { committed: n } = wal.commit();
    committed += n;
    if (n > 0) say(`committed ${committed}`);
  };

  const input = createMqttInput({
    config: { url, username: null, password: null, clientId, caFile: null, topics: templates.value, qos: 1, maxPayloadBytes: 65_536 },
    log: silentLogger,
    counters: { received() {}, rejected() {} },
  });
  await input.start(appender);
  const upTimer = setInterval(() => {
    if (input.status().up) {
      clearInterval(upTimer);
      say('up');
    }
  }, 20);
  const commitTimer = mode === 'commit' ? setInterval(commit, 100) : undefined;
  setTimeout(() => process.exit(3), MAX_LIFETIME_MS).unref();

  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'commit') commit();
    if (line === 'stop') break;
  }
  clearInterval(upTimer);
  clearInterval(commitTimer);
  await input.stop();
  commit();
  wal.close();
  say('stopped');
  // stdin stays open (the parent holds it), so leave explicitly.
  process.exit(0);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  say(`error ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
