import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { metricMetadata, type MetricMetadata, type MetricType } from '../../model/metadata.js';
import { listDir, metadataTable, series, type HostCollector, type HostRound } from './collector.js';

// Sensor file types node_exporter 1.5 reads; anything else in a chip directory is ignored.
const SENSOR_TYPES = new Set(['vrm', 'beep_enable', 'update_interval', 'in', 'cpu', 'fan', 'pwm', 'temp', 'curr', 'power', 'energy', 'humidity', 'intrusion']);
// <type><number>_<property>, e.g. temp1_input, in0_lcrit_alarm, pwm1 (node_exporter's pattern).
const FILENAME = /^([^0-9]+)([0-9]*)?(_(.+))?$/;
// Go's strconv.ParseFloat accepts this much of what sysfs prints; anything else is skipped.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Sensor (`temp1`) → property (`input`, `crit`, `label`, '' for a bare `pwm1`) → raw value. */
type SensorData = Map<string, Map<string, string>>;

// The families whose name does not depend on the sensor files found, with node_exporter's help
// (which has no final full stops in this collector).
const FIXED_METADATA = metadataTable({
  node_hwmon_chip_names: ['gauge', 'Annotation metric for human-readable chip names'],
  node_hwmon_sensor_label: ['gauge', 'Label for given chip and sensor'],
  node_hwmon_beep_enabled: ['gauge', 'Hardware beep enabled'],
  node_hwmon_voltage_regulator_version: ['gauge', 'Hardware voltage regulator'],
  node_hwmon_update_interval_seconds: ['gauge', 'Hardware monitor update interval'],
});

/**
 * node_exporter 1.5's `hwmon` collector: for every chip in /sys/class/hwmon, its sensor files as
 * `node_hwmon_<type>_<property>_<unit>{chip,sensor}` with node_exporter's unit conversions (on a
 * Pi: `node_hwmon_temp_celsius{chip="thermal_thermal_zone0",sensor="temp1"}` and the
 * under-voltage alarm `node_hwmon_in_lcrit_alarm_volts`), plus `node_hwmon_chip_names` and
 * `node_hwmon_sensor_label`. Chips are named as node_exporter does: after the device they belong
 * to (`<parent dir>_<device dir>`), else the `name` file, else `hwmonN`. No /sys/class/hwmon
 * (most VMs) means no metrics, not an error.
 */
export function createHwmonCollector(): HostCollector {
  // Sensor families as met, with the metadata `unitOf` gave them: bounded by the hardware's sensors.
  const sensorFamilies = new Map<string, MetricMetadata>();
  return {
    name: 'hwmon',
    metadata: (family) => FIXED_METADATA(family) ?? sensorFamilies.get(family),
    async collect(round) {
      const base = `${round.sysPath}/class/hwmon`;
      const chips: string[] = [];
      for (const entry of await listDir(base)) {
        // stat follows the class directory's symlinks to the chip directories.
        const info = await stat(`${base}/${entry}`).catch(() => undefined);
        if (info?.isDirectory()) chips.push(`${base}/${entry}`);
      }
      const results = await Promise.allSettled(chips.map((dir) => collectChip(round, dir, sensorFamilies)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
  };
}

async function collectChip(round: HostRound, dir: string, sensorFamilies: Map<string, MetricMetadata>): Promise<void> {
  const chip = await chipName(dir);
  const data: SensorData = new Map();
  await readSensors(dir, data);
  const device = await stat(`${dir}/device`).catch(() => undefined);
  if (device !== undefined) await readSensors(`${dir}/device`, data);

  const humanName = cleanName((await readRaw(`${dir}/name`)) ?? '');
  if (humanName !== '') round.add(series('node_hwmon_chip_names', 'chip', chip, 'chip_name', humanName), 1);

  for (const [sensor, props] of data) {
    const type = FILENAME.exec(sensor)![1]!;
    const label = props.get('label');
    if (label !== undefined) round.add(series('node_hwmon_sensor_label', 'chip', chip, 'label', label, 'sensor', sensor), 1);
    const add = (name: string, value: number) => round.add(series(name, 'chip', chip, 'sensor', sensor), value);
    const bare = props.get('');
    if (type === 'beep_enable') {
      add('node_hwmon_beep_enabled', bare === '1' ? 1 : 0);
      continue;
    }
    if (type === 'vrm' || type === 'update_interval') {
      if (bare !== undefined && NUMBER.test(bare)) {
        if (type === 'vrm') add('node_hwmon_voltage_regulator_version', Number(bare));
        else add('node_hwmon_update_interval_seconds', Number(bare) * 0.001);
      }
      continue;
    }
    for (const [element, raw] of props) {
      if (element === 'label' || !NUMBER.test(raw)) continue;
      const value = Number(raw);
      let name = `node_hwmon_${type}`;
      // `temp1_input` is the reading itself, unless a bare `temp1` is (then it is `_input`).
      if (element === 'input') {
        if (bare !== undefined) name += '_input';
      } else if (element !== '') {
        name += `_${cleanName(element)}`;
      }
      const unit = unitOf(type, element);
      const family = name + unit.suffix;
      if (!sensorFamilies.has(family)) sensorFamilies.set(family, metricMetadata(unit.type, unit.help));
      add(family, value * unit.factor);
    }
  }
}

/** How node_exporter exports one sensor element: name suffix, factor to base units, type and help. */
interface SensorUnit {
  suffix: string;
  factor: number;
  type: MetricType;
  help: string;
}

/** node_exporter's `SensorUnit` of one sensor element (help texts as its hwmon collector words them). */
function unitOf(type: string, element: string): SensorUnit {
  const unit = (suffix: string, factor: number, help: string, metricType: MetricType = 'gauge'): SensorUnit => ({ suffix, factor, type: metricType, help });
  // Status flags carry no unit.
  if (element === 'fault' || element === 'alarm') return unit('', 1, `Hardware sensor ${element} status (${type})`);
  if (element === 'beep') return unit('_enabled', 1, 'Hardware monitor sensor has beeping enabled');
  if (type === 'in' || type === 'cpu') return unit('_volts', 0.001, `Hardware monitor for voltage (${element})`);
  // A bare `temp1` is the reading, which node_exporter's help calls input.
  if (type === 'temp' && element !== 'type') return unit('_celsius', 0.001, `Hardware monitor for temperature (${element || 'input'})`);
  if (type === 'curr') return unit('_amps', 0.001, `Hardware monitor for current (${element})`);
  if (type === 'energy') return unit('_joule_total', 1e-6, `Hardware monitor for joules used so far (${element})`, 'counter');
  if (type === 'power' && element === 'accuracy') return unit('', 1e-6, 'Hardware monitor power meter accuracy, as a ratio');
  if (type === 'power' && (element === 'average_interval' || element === 'average_interval_min' || element === 'average_interval_max')) return unit('_seconds', 0.001, `Hardware monitor power usage update interval (${element})`);
  if (type === 'power') return unit('_watt', 1e-6, `Hardware monitor for power usage in watts (${element})`);
  if (type === 'humidity') return unit('', 1e-6, `Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (${element})`);
  if (type === 'fan' && (element === 'input' || element === 'min' || element === 'max' || element === 'target')) return unit('_rpm', 1, `Hardware monitor for fan revolutions per minute (${element})`);
  return unit('', 1, `Hardware monitor ${type} element ${element}`);
}

/** Adds the sensor files of `dir` to `data`; unreadable files (directories, EAGAIN) are skipped. */
async function readSensors(dir: string, data: SensorData): Promise<void> {
  const files: Array<[string, string, string]> = [];
  for (const file of await listDir(dir)) {
    const m = FILENAME.exec(file);
    if (m === null || !SENSOR_TYPES.has(m[1]!)) continue;
    files.push([`${m[1]}${Number(m[2] || 0)}`, m[4] ?? '', file]);
  }
  const values = await Promise.all(files.map(([, , file]) => readRaw(`${dir}/${file}`)));
  for (let i = 0; i < files.length; i++) {
    const value = values[i];
    if (value === undefined) continue;
    const [sensor, prop] = files[i]!;
    let props = data.get(sensor);
    if (props === undefined) data.set(sensor, (props = new Map()));
    props.set(prop, value);
  }
}

/** node_exporter's chip name: device-based (always unique), else the name file, else hwmonN. */
async function chipName(dir: string): Promise<string> {
  const device = await realpath(`${dir}/device`).catch(() => undefined);
  if (device !== undefined) {
    const name = cleanName(basename(device));
    const type = cleanName(basename(dirname(device)));
    if (name !== '') return type !== '' ? `${type}_${name}` : name;
  }
  const fromFile = cleanName((await readRaw(`${dir}/name`)) ?? '');
  if (fromFile !== '') return fromFile;
  const own = cleanName(basename(await realpath(dir)));
  if (own === '') throw new Error(`could not derive a monitoring name for ${dir}`);
  return own;
}

/** Lower case, anything outside [a-z0-9:_] replaced by `_`, no leading or trailing `_`. */
function cleanName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9:_]/g, '_').replace(/^_+|_+$/g, '');
}

/** A sysfs attribute without its trailing newline, or undefined when unreadable. */
async function readRaw(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).replace(/^\n+|\n+$/g, '');
  } catch {
    return undefined;
  }
}
