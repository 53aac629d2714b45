/**
 * The time field of an MQTT JSON payload (`time`, `timestamp` or `ts`, any case): epoch seconds,
 * epoch milliseconds or ISO-8601. Parsed by hand because `Date.parse` reads a date-time without
 * an offset as the host's local time (and accepts many non-ISO forms), which would make the same
 * payload mean different instants on differently configured gateways.
 */

// Epoch values below 1e11 are seconds (1e11 s is the year 5138), from 1e11 on milliseconds (1e11 ms
// is March 1973, before any sensor sent MQTT); from 1e14 ms (the year 5138 again) on they are
// neither: most likely microseconds or nanoseconds, which the contract does not offer, so refused.
const SECONDS_BELOW = 1e11;
const MILLISECONDS_BELOW = 1e14;

// YYYY-MM-DD, optionally followed by T (or a space, as in RFC 3339 §5.6 NOTE) and hh:mm[:ss[.fraction]]
// and an offset (Z, ±hh, ±hhmm or ±hh:mm).
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;
const EPOCH_TEXT = /^\d+(?:\.\d+)?$/;

/** True for the top-level keys that carry a payload's time: `time`, `timestamp`, `ts` in any case. */
export function isTimeKey(key: string): boolean {
  // The length test spares the lower-casing of every other key.
  const n = key.length;
  if (n !== 2 && n !== 4 && n !== 9) return false;
  const lower = key.toLowerCase();
  return lower === 'ts' || lower === 'time' || lower === 'timestamp';
}

/**
 * The instant (ms since the epoch) a time field's JSON value names, or null when it names none
 * (wrong type, negative, out of range, malformed date). Numbers, and strings made only of digits
 * (`"1736071200"`), are epoch seconds below 1e11 and epoch milliseconds below 1e14. Other
 * strings must be ISO-8601; one without an offset (`2026-01-05T10:00:00`, as Tasmota sends) is
 * read as UTC, and a date alone as midnight UTC.
 */
export function parseTimeValue(value: unknown): number | null {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (EPOCH_TEXT.test(text)) return fromEpoch(Number(text));
  return parseIso8601(text);
}

function fromEpoch(n: number): number | null {
  if (!Number.isFinite(n) || n < 0) return null;
  if (n < SECONDS_BELOW) return n * 1000;
  if (n < MILLISECONDS_BELOW) return n;
  return null;
}

/** The instant of an ISO-8601 date or date-time (offset-less read as UTC), or null when malformed or out of range. */
export function parseIso8601(text: string): number | null {
  const m = ISO_8601.exec(text);
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  // Milliseconds are the WAL's resolution: further digits are dropped, not rounded up into the next second.
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  // Second 60 is a leap second; it lands on the first millisecond of the next minute.
  if (hour > 23 || minute > 59 || second > 60) return null;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (hours > 23 || minutes > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as written.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const t = date.getTime() - offsetMinutes * 60_000;
  return t >= 0 ? t : null;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
