/**
 * `npm run bench:ingest`: the three input figures of the inputs issue, measured one after another
 * in one run. The last line is a JSON object: parse_samples_per_sec (a 10,000-series exposition
 * page, its metadata kept as the scraper keeps it; parse_without_metadata_samples_per_sec beside
 * it), mqtt_messages_per_sec (through a real mosquitto on loopback until committed in the WAL),
 * host_collect_cpu_ms beside node_exporter_cpu_ms (CPU per collection of the same collectors).
 */
import { benchHost } from './ingest-host.js';
import { benchMqtt } from './ingest-mqtt.js';
import { benchParse } from './ingest-parse.js';

const parse = await benchParse();
console.log(`parse: ${Math.round(parse.parse_samples_per_sec).toLocaleString('en')} samples/s`);
const mqtt = await benchMqtt();
console.log(`mqtt: ${Math.round(mqtt.mqtt_messages_per_sec).toLocaleString('en')} messages/s`);
const host = await benchHost();
console.log(`host: ${host.host_collect_cpu_ms.toFixed(2)} ms CPU per collection, node_exporter ${host.node_exporter_cpu_ms.toFixed(2)} ms`);
console.log(JSON.stringify({ ...parse, ...mqtt, ...host }));
