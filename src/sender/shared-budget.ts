/**
 * The uplink budget of all endpoints together, `OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND`, shared
 * fairly between the endpoints that are waiting for it.
 *
 * One token bucket as in rate-limiter.ts (at most one second's worth of bytes, a larger request
 * waits for a full bucket and leaves it in debt), but its turns go by endpoint, not by arrival: each
 * endpoint (a share) queues its own requests in order, and the next turn is the share that has been
 * given the fewest bytes, counted from when it last started waiting (start-time fair queueing). Two
 * endpoints behind thus get half the budget each whatever their request sizes or shard counts,
 * where a single queue would give an endpoint with four shards of large requests nearly all of it;
 * an endpoint that waits alone gets all of it.
 */
import type { Clock } from '../lib/clock.js';
import type { RateLimiter, RateLimiterTiming } from './rate-limiter.js';

/** The budget; each endpoint takes its bytes through a share of its own. */
export interface SharedBudget {
  /** A new share: its takers are served in their order, shares in turn by bytes given. */
  share(): RateLimiter;
}

interface Share {
  readonly queue: Array<{ bytes: number; go: () => void }>;
  /** Bytes given to this share, on the common scale (see `take`). */
  given: number;
}

/** Creates the budget, full. `bytesPerSecond` 0 means no cap: every take resolves at once. */
export function createSharedBudget(bytesPerSecond: number, timing: RateLimiterTiming = {}): SharedBudget {
  if (bytesPerSecond <= 0) return { share: () => ({ take: () => Promise.resolve() }) };
  const clock: Clock = timing.clock ?? { now: () => performance.now() };
  const sleep = timing.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const capacity = bytesPerSecond;
  let tokens = capacity;
  let refilledAt = clock.now();
  const shares: Share[] = [];
  // The `given` of the share served last, before its turn: where a share that starts waiting joins.
  let virtualTime = 0;
  let serving = false;

  function refill(): void {
    const t = clock.now();
    tokens = Math.min(capacity, tokens + ((t - refilledAt) * bytesPerSecond) / 1000);
    refilledAt = t;
  }

  function nextShare(): Share | undefined {
    let best: Share | undefined;
    for (const s of shares) if (s.queue.length > 0 && (best === undefined || s.given < best.given)) best = s;
    return best;
  }

  async function serve(): Promise<void> {
    if (serving) return;
    serving = true;
    try {
      for (let share = nextShare(); share !== undefined; share = nextShare()) {
        const head = share.queue[0]!;
        refill();
        const needed = Math.min(head.bytes, capacity);
        if (tokens < needed) {
          // Rounded up so one sleep is enough unless the timer fires early; the turn is chosen
          // again after it, as a share may have started waiting meanwhile.
          await sleep(Math.ceil(((needed - tokens) * 1000) / bytesPerSecond));
          continue;
        }
        tokens -= head.bytes;
        share.queue.shift();
        virtualTime = share.given;
        share.given += head.bytes;
        head.go();
      }
    } finally {
      serving = false;
    }
  }

  return {
    share() {
      const share: Share = { queue: [], given: 0 };
      shares.push(share);
      return {
        take(bytes) {
          // A share that was idle claims no credit for it: it joins at the current turn.
          if (share.queue.length === 0) share.given = Math.max(share.given, virtualTime);
          const turn = new Promise<void>((go) => share.queue.push({ bytes, go }));
          void serve();
          return turn;
        },
      };
    },
  };
}
