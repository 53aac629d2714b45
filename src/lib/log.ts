import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Options of the root logger; `format` 'pretty' writes one readable line per record. */
export interface LogOptions {
  level: LevelWithSilent;
  format: 'json' | 'pretty';
}

/**
 * Creates the root logger. JSON goes to stdout as pino writes it; 'pretty' is a small
 * synchronous formatter of our own (pino-pretty would pull in a dozen packages for one line).
 */
export function createLogger(options: LogOptions, destination: NodeJS.WritableStream = process.stdout): Logger {
  if (options.format === 'json') return pino({ level: options.level, base: undefined }, destination);
  return pino({ level: options.level, base: undefined }, {
    write(line: string) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const { level, time, msg, ...fields } = record;
      const label = pino.levels.labels[level as number] ?? String(level);
      const extra = Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : '';
      destination.write(`${new Date(time as number).toISOString()} ${label.toUpperCase().padEnd(5)} ${String(msg)}${extra}\n`);
    },
  });
}

/** A logger that writes nothing; for tests and tools. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Throttles repeats of one kind of message: the first is logged at once, later ones within
 * `intervalMs` are counted and reported with the next one that passes (`repeats` field).
 * Keys are caller-chosen (e.g. 'bad-payload:not_a_number'); memory is one entry per key.
 */
export function createThrottle(intervalMs: number, now: () => number = Date.now) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return {
    /** Returns null when the message should be suppressed, else the number of suppressed repeats. */
    take(key: string): number | null {
      const t = now();
      const entry = last.get(key);
      if (entry && t - entry.at < intervalMs) {
        entry.suppressed++;
        return null;
      }
      const repeats = entry?.suppressed ?? 0;
      last.set(key, { at: t, suppressed: 0 });
      return repeats;
    },
  };
}

/** Logs `msg` at warn level through a throttle; suppressed repeats are reported as `repeats`. */
export function throttledWarn(log: Logger, throttle: ReturnType<typeof createThrottle>, key: string, fields: object, msg: string): void {
  const repeats = throttle.take(key);
  if (repeats === null) return;
  log.warn(repeats > 0 ? { ...fields, repeats } : fields, msg);
}
