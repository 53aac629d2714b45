import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { metadataTable, series, type HostCollector } from './collector.js';

const CLOCKSOURCE_DIR = 'devices/system/clocksource';

/** The time collector's families (also written by the portable collectors). */
export const TIME_METADATA = metadataTable({
  node_time_seconds: ['gauge', 'System time in seconds since epoch (1970).'],
  node_time_zone_offset_seconds: ['gauge', 'System time zone offset in seconds.'],
  node_time_clocksource_available_info: ['gauge', "Available clocksources read from '/sys/devices/system/clocksource'."],
  node_time_clocksource_current_info: ['gauge', "Current clocksource read from '/sys/devices/system/clocksource'."],
});

/** The abbreviations of the local time zone (`CET`/`CEST`), as Go's time.Now().Zone() names it. */
interface ZoneNames {
  std: string;
  dst: string | undefined;
  stdOffsetSeconds: number;
}

/**
 * node_exporter's `time` collector: `node_time_seconds`, `node_time_zone_offset_seconds{time_zone}`
 * and, from /sys/devices/system/clocksource, `node_time_clocksource_available_info` and
 * `node_time_clocksource_current_info{device,clocksource}`. `node_time_seconds` is the round's
 * timestamp, so it equals the sample time.
 */
export function createTimeCollector(): HostCollector {
  let zone: Promise<ZoneNames | undefined> | undefined;
  return {
    name: 'time',
    metadata: TIME_METADATA,
    async collect(round) {
      round.add(series('node_time_seconds'), round.nowMs / 1000);
      // The zone file is read once: a changed /etc/localtime needs a restart, as it does for
      // the Date of this process.
      zone ??= readZoneNames();
      const names = await zone;
      // + 0 turns UTC's -0 into 0.
      const offset = new Date(round.nowMs).getTimezoneOffset() * -60 + 0;
      const name = names === undefined ? 'UTC' : names.dst !== undefined && offset !== names.stdOffsetSeconds ? names.dst : names.std;
      round.add(series('node_time_zone_offset_seconds', 'time_zone', name), offset);

      for (const [i, source] of clockSources(round.sysPath).entries()) {
        const available = round.readSys(`${CLOCKSOURCE_DIR}/${source}/available_clocksource`).trim();
        const current = round.readSys(`${CLOCKSOURCE_DIR}/${source}/current_clocksource`).trim();
        // node_exporter numbers the devices by their position in the sorted listing.
        const device = String(i);
        for (const cs of available.split(/\s+/)) if (cs !== '') round.add(series('node_time_clocksource_available_info', 'clocksource', cs, 'device', device), 1);
        round.add(series('node_time_clocksource_current_info', 'clocksource', current, 'device', device), 1);
      }
    },
  };
}

/**
 * The clocksourceN directories, sorted. Listed synchronously, as sysfs directories are kernel
 * memory (see KernelFiles). Read every round like the attributes: the current clock source
 * changes at run time when the kernel gives up an unstable TSC, which is worth seeing.
 */
function clockSources(sysPath: string): string[] {
  try {
    return readdirSync(`${sysPath}/${CLOCKSOURCE_DIR}`).filter((d) => /^clocksource\d+$/.test(d)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The zone names from the POSIX TZ string that ends a TZif v2+ file (e.g. `CET-1CEST,M3.5.0,...`),
 * for the zone this process uses: $TZ as Go and Node read it, else /etc/localtime. Undefined
 * means UTC (no zone file, TZ empty, or a v1 file without a footer).
 */
async function readZoneNames(): Promise<ZoneNames | undefined> {
  const tz = process.env.TZ;
  if (tz === '') return undefined;
  const spec = tz?.replace(/^:/, '');
  const path = spec === undefined ? '/etc/localtime' : spec.startsWith('/') ? spec : `/usr/share/zoneinfo/${spec}`;
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch {
    return undefined;
  }
  const footer = data.toString('latin1', data.lastIndexOf(10, data.length - 2) + 1).trim();
  return parsePosixTz(footer);
}

/** Parses the names and standard offset of a POSIX TZ string; exported for tests. */
export function parsePosixTz(spec: string): ZoneNames | undefined {
  const m = /^(<[^>]+>|[A-Za-z]+)([+-]?\d+(?::\d+){0,2})(<[^>]+>|[A-Za-z]+)?/.exec(spec);
  if (m === null) return undefined;
  const [h = 0, min = 0, s = 0] = m[2]!.replace(/^[+-]/, '').split(':').map(Number);
  // POSIX offsets count west of Greenwich: "CET-1" is UTC+1.
  const west = (h * 3600 + min * 60 + s) * (m[2]!.startsWith('-') ? -1 : 1);
  const unquote = (name: string) => name.replace(/^<(.*)>$/, '$1');
  // 0 - west, not -west: UTC's offset is 0, not -0.
  return { std: unquote(m[1]!), dst: m[3] === undefined ? undefined : unquote(m[3]), stdOffsetSeconds: 0 - west };
}
