import type { Clock } from './clock.js';

/**
 * Values by WAL ref, kept while they are asked for: `current` holds what was used in this period of
 * `generationMs`, `previous` what was used in the last one. A caller moves what it still uses from
 * `previous` to `current` (`takePrevious`); what stays unused for a whole period is dropped at the
 * next rotation, so the maps stay the size of what is in use (series churned, collected or
 * relabelled away leave).
 */
export class Generations<V> {
  current = new Map<number, V>();
  private previous = new Map<number, V>();
  private rotatedAt: number;

  constructor(private readonly clock: Clock, private readonly generationMs: number) {
    this.rotatedAt = clock.now();
  }

  /**
   * Starts a new period when this one is over: `current` becomes `previous`. True when it did.
   * Callers call it on misses and every so many hits, not per lookup: a time read is garbage.
   */
  rotateIfDue(): boolean {
    const now = this.clock.now();
    if (now - this.rotatedAt < this.generationMs) return false;
    this.previous = this.current;
    this.current = new Map();
    this.rotatedAt = now;
    return true;
  }

  /**
   * Takes the value of `ref` out of `previous`, for the caller to put in `current`: left in both, a
   * value in use would hold an entry in each map until the next rotation.
   */
  takePrevious(ref: number): V | undefined {
    const value = this.previous.get(ref);
    if (value !== undefined) this.previous.delete(ref);
    return value;
  }

  /** Forgets every value. */
  clear(): void {
    this.current = new Map();
    this.previous = new Map();
  }
}
