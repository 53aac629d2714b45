/**
 * PUBACKs held back until the WAL commit that makes their messages' samples durable.
 *
 * Each deferred ack registers one `afterCommit` callback, always the same function object (no
 * closure per message): the WAL runs callbacks in registration order, so the n-th run releases
 * the n-th ack queued, and each runs only once everything appended before its registration is
 * durable, exactly what the ack promises the broker. The queue length equals the number of
 * callbacks registered and not yet run; the input bounds it (mqtt-input.ts, Flow control).
 */
import type { WalAppender } from '../../wal/wal.js';

/** Sends (or, for a connection that is gone, drops) one PUBACK. Runs inside the WAL's commit, so it must not throw. */
export type SendAck = (messageId: number, connection: number) => void;

/** Acks waiting for a commit. */
export interface DeferredAcks {
  /** Queues the ack of `messageId`, received on connection number `connection`, behind the next commit. */
  defer(messageId: number, connection: number): void;
  /** Acks queued and not yet released. */
  readonly pending: number;
  /** Resolves true once every ack queued so far was released, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean>;
}

// Released entries are compacted away once this many pile up at the head (and they are over half
// the arrays): amortised O(1) per ack without a shift() per release.
const COMPACT_AFTER = 1024;

/** Creates the queue; `send` is called once per deferred ack, after its commit, in FIFO order. */
export function createDeferredAcks(appender: WalAppender, send: SendAck): DeferredAcks {
  const ids: number[] = [];
  const connections: number[] = [];
  let head = 0;
  let waiters: Array<() => void> = [];

  const releaseOne = (): void => {
    const id = ids[head]!;
    const connection = connections[head]!;
    head++;
    if (head === ids.length) {
      ids.length = 0;
      connections.length = 0;
      head = 0;
    } else if (head >= COMPACT_AFTER && head * 2 >= ids.length) {
      ids.splice(0, head);
      connections.splice(0, head);
      head = 0;
    }
    send(id, connection);
    if (head === ids.length && waiters.length > 0) {
      const ready = waiters;
      waiters = [];
      for (const wake of ready) wake();
    }
  };

  return {
    defer(messageId, connection) {
      ids.push(messageId);
      connections.push(connection);
      appender.afterCommit(releaseOne);
    },
    get pending() {
      return ids.length - head;
    },
    drained(timeoutMs) {
      if (ids.length === head) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== wake);
          resolve(false);
        }, timeoutMs);
        const wake = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        waiters.push(wake);
      });
    },
  };
}
