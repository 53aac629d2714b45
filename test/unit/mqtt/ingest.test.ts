import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTopicTemplates } from '../../../src/config/templates.js';
import { createManualClock } from '../../../src/lib/clock.js';
import { createMqttIngester } from '../../../src/inputs/mqtt/ingest.js';
import type { Rejection } from '../../../src/inputs/mqtt/payload.js';
import { createRecordingAppender } from '../../helpers/fake-appender.js';
import { openTestWal, readAll } from '../../helpers/wal-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { CONTRACT_ROWS, CONTRACT_TEMPLATES } from '../../helpers/mqtt-contract.js';
import type { WalAppender } from '../../../src/wal/wal.js';

const NOW = 1_767_000_000_000;

function ingester(templates = CONTRACT_TEMPLATES, appender: WalAppender = createRecordingAppender(), maxPayloadBytes = 65_536) {
  const parsed = parseTopicTemplates(templates);
  if (!parsed.ok) throw new Error(parsed.error);
  return createMqttIngester({ templates: parsed.value, appender, maxPayloadBytes, clock: createManualClock(NOW) });
}

test('every contract example row writes exactly the series shown', () => {
  for (const row of CONTRACT_ROWS) {
    const appender = createRecordingAppender();
    const appended = ingester(CONTRACT_TEMPLATES, appender).ingest(row.topic, Buffer.from(row.payload));
    assert.equal(appended, row.series.length, row.topic);
    assert.deepEqual(appender.samples, row.series.map(([series, v]) => ({ series, t: row.t ?? NOW, v })), row.topic);
  }
});

test('the contract rows land in a real WAL with the labels shown', () => {
  const dir = tempDir();
  try {
    const wal = openTestWal(dir.path);
    const ingest = ingester(CONTRACT_TEMPLATES, wal);
    for (const row of CONTRACT_ROWS) assert.equal(ingest.ingest(row.topic, Buffer.from(row.payload)), row.series.length);
    wal.commit();
    const got = readAll(wal, wal.consumer('test')).map((s) => `${s.labels} ${s.v} ${s.t}`);
    assert.deepEqual(got, [
      '__name__=temperature,room=kitchen 21.5 ' + NOW,
      ...['temperature 19.2', 'humidity 61', 'contact 1', 'state 1', 'battery_level 97'].map((s) => {
        const [name, v] = s.split(' ');
        return `__name__=${name},device=porch ${v} ${NOW}`;
      }),
      `__name__=SENSOR_ENERGY_Power,device=pump1 42 ${Date.UTC(2026, 0, 5, 10)}`,
    ]);
    wal.close();
  } finally {
    dir.remove();
  }
});

test('__name__ takes its sorted place among captured labels', () => {
  const appender = createRecordingAppender();
  const ingest = ingester('{Zone}/{room}/{__name__}', appender);
  assert.equal(ingest.ingest('north/kitchen/temp', Buffer.from('{"a":1,"b":2}')), 2);
  // The recording appender checks that each key agrees with the labels handed over.
  assert.deepEqual([...appender.labelsOf.values()][0], [
    { name: 'Zone', value: 'north' }, { name: '__name__', value: 'temp_a' }, { name: 'room', value: 'kitchen' },
  ]);
});

test('an empty {label} level drops the label, as Prometheus treats empty values', () => {
  const appender = createRecordingAppender();
  assert.equal(ingester('sensors/{room}/{__name__}', appender).ingest('sensors//temperature', Buffer.from('1')), 1);
  assert.equal(appender.samples[0]!.series, 'temperature{}');
});

test('each rejection reason, and nothing appended for any of them', () => {
  const appender = createRecordingAppender();
  const ingest = ingester('sensors/{room}/{__name__};zigbee2mqtt/{device};nameless/#', appender, 100);
  const reason = (topic: string, payload: string | Uint8Array): string => {
    const outcome = ingest.ingest(topic, typeof payload === 'string' ? Buffer.from(payload) : payload);
    assert.equal(typeof outcome, 'object', topic);
    return (outcome as Rejection).reason;
  };
  assert.equal(reason('sensors/kitchen/temperature', 'warm'), 'not_a_number');
  assert.equal(reason('sensors/kitchen/temperature', Uint8Array.of(0x31, 0xfe)), 'invalid_utf8');
  assert.equal(reason('sensors/kitchen/temperature', '1'.repeat(101)), 'too_large');
  assert.equal(reason('zigbee2mqtt/porch', '{"state":"idle"}'), 'no_samples');
  assert.equal(reason('zigbee2mqtt/porch', '['.repeat(40) + ']'.repeat(40)), 'too_deep');
  assert.equal(reason('elsewhere/kitchen/temperature', '1'), 'bad_topic');
  assert.equal(reason('sensors/kitchen/', '1'), 'bad_topic');
  assert.equal(reason('nameless/x', '1'), 'bad_topic');
  assert.deepEqual(appender.samples, []);
  // Size is judged before the topic: a huge message on an unknown topic costs no matching.
  assert.equal(reason('elsewhere', 'x'.repeat(101)), 'too_large');
});

test('samples of series refused by the cardinality cap are skipped and not counted', () => {
  const appender = createRecordingAppender(2);
  assert.equal(ingester('zigbee2mqtt/{device}', appender).ingest('zigbee2mqtt/porch', Buffer.from('{"a":1,"b":2,"c":3}')), 2);
  assert.equal(appender.samples.length, 2);
});

test('a payload time sets every sample of the message; otherwise the receipt time', () => {
  const appender = createRecordingAppender();
  const ingest = ingester('zigbee2mqtt/{device}', appender);
  ingest.ingest('zigbee2mqtt/a', Buffer.from('{"ts":1700000000,"x":1,"y":{"z":2}}'));
  ingest.ingest('zigbee2mqtt/a', Buffer.from('{"x":3}'));
  assert.deepEqual(appender.samples.map((s) => s.t), [1_700_000_000_000, 1_700_000_000_000, NOW]);
});

test('every family MQTT writes is a gauge without help, stated once until the WAL collects series', () => {
  const appender = createRecordingAppender();
  let generation = 0;
  const ingest = ingester('zigbee2mqtt/{device}', { ...appender, seriesGeneration: () => generation });
  ingest.ingest('zigbee2mqtt/porch', Buffer.from('{"temperature":19.2,"humidity":61}'));
  ingest.ingest('zigbee2mqtt/attic', Buffer.from('{"temperature":25}'));
  assert.deepEqual(Object.fromEntries(appender.metadata), {
    temperature: { type: 'gauge', help: '', unit: '' },
    humidity: { type: 'gauge', help: '', unit: '' },
  });
  assert.equal(appender.metadataCalls, 2, 'once per family, not per sample or message');
  generation++;
  ingest.ingest('zigbee2mqtt/porch', Buffer.from('{"temperature":19.3}'));
  assert.equal(appender.metadataCalls, 3, 'stated again once the WAL may have forgotten it');
});

test('a family whose series the cardinality cap refuses gets no metadata', () => {
  const appender = createRecordingAppender(1);
  ingester('zigbee2mqtt/{device}', appender).ingest('zigbee2mqtt/porch', Buffer.from('{"a":1,"b":2}'));
  assert.deepEqual([...appender.metadata.keys()], ['a']);
});
