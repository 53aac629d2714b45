import { listDir, metadataTable, readTrimmed, series, type HostCollector } from './collector.js';

// node_exporter's help texts, without a final full stop as there.
const THERMAL_METADATA = metadataTable({
  node_thermal_zone_temp: ['gauge', 'Zone temperature in Celsius'],
  node_cooling_device_cur_state: ['gauge', 'Current throttle state of the cooling device'],
  node_cooling_device_max_state: ['gauge', 'Maximum throttle state of the cooling device'],
});

/**
 * node_exporter's `thermal_zone` collector: `node_thermal_zone_temp{zone,type}` in °C (the
 * kernel gives millidegrees) for each /sys/class/thermal/thermal_zoneN, and
 * `node_cooling_device_{cur,max}_state{name,type}` for each cooling_deviceN (on a Pi, the CPU
 * frequency throttling steps). `zone` and `name` are N. A zone whose temperature cannot be read
 * (some report EINVAL or ENODATA while their sensor is off) is skipped, as procfs does; no
 * /sys/class/thermal at all means no metrics.
 */
export function createThermalZoneCollector(): HostCollector {
  return {
    name: 'thermal_zone',
    metadata: THERMAL_METADATA,
    async collect(round) {
      const base = `${round.sysPath}/class/thermal`;
      const entries = await listDir(base);
      const zones = entries.filter((e) => e.startsWith('thermal_zone'));
      const devices = entries.filter((e) => e.startsWith('cooling_device'));
      const [zoneData, deviceData] = await Promise.all([
        Promise.all(zones.map((z) => Promise.all([readTrimmed(`${base}/${z}/type`), readTrimmed(`${base}/${z}/temp`)]))),
        Promise.all(devices.map((d) => Promise.all([readTrimmed(`${base}/${d}/type`), readTrimmed(`${base}/${d}/cur_state`), readTrimmed(`${base}/${d}/max_state`)]))),
      ]);
      for (let i = 0; i < zones.length; i++) {
        const [type, temp] = zoneData[i]!;
        if (type === undefined || !isInteger(temp)) continue;
        round.add(series('node_thermal_zone_temp', 'type', type, 'zone', zones[i]!.slice('thermal_zone'.length)), Number(temp) / 1000);
      }
      for (let i = 0; i < devices.length; i++) {
        const [type, cur, max] = deviceData[i]!;
        if (type === undefined || !isInteger(cur) || !isInteger(max)) continue;
        const name = devices[i]!.slice('cooling_device'.length);
        round.add(series('node_cooling_device_cur_state', 'name', name, 'type', type), Number(cur));
        round.add(series('node_cooling_device_max_state', 'name', name, 'type', type), Number(max));
      }
    },
  };
}

function isInteger(text: string | undefined): text is string {
  return text !== undefined && /^-?\d+$/.test(text);
}
