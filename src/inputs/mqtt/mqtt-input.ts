/**
 * The MQTT input: a streaming input that subscribes to the topic templates' filters and writes
 * each message's samples to the WAL, acknowledging QoS 1 messages only once they are durable.
 *
 * Session. MQTT 5 with Clean Start off, a stable client id (OUTPOST_MQTT_CLIENT_ID or
 * `outpost-<hostname>`) and a session expiry of SESSION_EXPIRY_S: while Outpost restarts or
 * crashes, the broker keeps its subscriptions and queues QoS 1 messages for it (within the
 * broker's own limits, e.g. mosquitto's max_queued_messages), and redelivers every message that
 * was not acknowledged. Subscriptions are (re)made on the first connection of the process (the
 * templates may have changed since the session was created) and whenever the broker did not
 * resume the session; otherwise the session already holds them. They ask for retained messages
 * only when the subscription is new (Retain Handling 1), so a restart does not store every
 * retained value again.
 *
 * Acknowledgement after commit. mqtt.js processes incoming packets strictly one at a time and
 * sends a QoS 1 PUBACK when `handleMessage` calls back; holding that callback until the commit
 * (or deferring `customHandleAcks`) would stall every packet behind it, PINGRESP included, for a
 * commit interval. So `handleMessage` appends the samples and calls back with DEFERRED, which
 * mqtt.js takes as "do not acknowledge" while moving on to the next packet; the PUBACK is sent
 * by deferred-acks.ts after the commit, through the client's internal `_sendPacket` (mqtt.js
 * has no public manual-ack API). An ack is dropped if its connection has gone since: the broker
 * redelivers the message on the next connection and that delivery is acknowledged instead.
 * Rejected messages, and messages whose every series the cardinality cap refused, are
 * acknowledged at once: there is nothing to store, and a redelivery would be rejected again.
 *
 * Flow control. The broker should send at most RECEIVE_MAXIMUM unacknowledged QoS 1 messages,
 * which bounds what a burst or a reconnect storm leaves waiting for a commit. Not every broker
 * holds to it (mosquitto 2.0.11 does for the first window only), so past MAX_PENDING_ACKS the
 * input stops taking QoS 1 messages, leaving them unacknowledged with the broker, and reconnects
 * once the commits have caught up, which makes the broker redeliver them. QoS 0 messages are
 * handled synchronously as they arrive and hold nothing.
 *
 * QoS 2 (OUTPOST_MQTT_QOS=2) is subscribed as QoS 1: with mqtt.js a QoS 2 message is handed
 * over (PUBREC) before the application sees it, so it could not wait for the commit, and
 * exactly-once delivery into an at-least-once pipeline buys nothing.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect, MqttClient, type IClientOptions, type IConnackPacket, type IPublishPacket } from 'mqtt';
import type { Config } from '../../config/types.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { createThrottle, throttledWarn, type Logger } from '../../lib/log.js';
import type { WalAppender } from '../../wal/wal.js';
import type { InputStatus, StreamingInput } from '../input.js';
import { createDeferredAcks, type DeferredAcks } from './deferred-acks.js';
import { createMqttIngester, type MqttIngester } from './ingest.js';
import { REJECT_REASONS, type PayloadRejectReason } from './payload.js';

// A week covers a gateway switched off over a holiday or a crash loop noticed late; after that
// the broker may forget the session (and Outpost re-subscribes, losing only what it queued).
const SESSION_EXPIRY_S = 7 * 24 * 3600;
/**
 * The Receive Maximum the input announces: QoS 1 messages the broker may send before we have
 * acknowledged them. Acks go out at each commit, so this caps QoS 1 throughput at this many per
 * commit interval: 10,000/s at the default 1 s, well above what a gateway's devices send (a large
 * zigbee2mqtt network: tens to hundreds per second) and above what a Pi Zero 2 can parse, while
 * bounding the samples a burst leaves pending.
 */
export const RECEIVE_MAXIMUM = 10_000;
/**
 * Acks waiting for commits beyond which new QoS 1 messages are left with the broker (see Flow
 * control): four windows, reached only with a broker that ignores Receive Maximum while commits
 * lag or fail; it keeps the ack queue and the WAL's callbacks to a few MiB.
 */
export const MAX_PENDING_ACKS = 4 * RECEIVE_MAXIMUM;
// MQTT's largest packet. We ask the broker to drop packets over twice the payload limit (plus room
// for a maximal topic and properties) instead of sending them: mqtt.js buffers a whole packet
// before we see it, so this bounds the memory one message can take; those between the limit and
// the cap still arrive and are counted as too_large.
const MQTT_MAX_PACKET = 268_435_455;
const PACKET_OVERHEAD = 70_000;
// Reconnect backoff: 1 s first (a local broker restarting is back within seconds), doubling to
// 30 s, with equal jitter so gateways sharing a broker do not reconnect in lockstep.
const MIN_RECONNECT_MS = 1_000;
const MAX_RECONNECT_MS = 30_000;
// How long stop() waits for the commit that releases pending acks. The runtime's commit timer
// keeps running while inputs stop, so one commit interval (1 s by default) normally suffices;
// acks still pending after this are not lost, only redelivered (duplicates) after the restart.
const STOP_ACK_WAIT_MS = 3_000;
// Rejections and connection errors are logged at most once a minute per kind (docs/reference.md).
const LOG_THROTTLE_MS = 60_000;

/** The mqtt group of the configuration (OUTPOST_MQTT_*). */
export type MqttConfig = Config['mqtt'];

/** Hooks for outpost_mqtt_messages_received_total and outpost_mqtt_messages_rejected_total{reason}. */
export interface MqttCounters {
  received(): void;
  rejected(reason: PayloadRejectReason): void;
}

/** Dependencies of `createMqttInput`. `config.url` must be set (the input is off otherwise). */
export interface MqttInputOptions {
  config: MqttConfig;
  log: Logger;
  counters: MqttCounters;
  clock?: Clock;
}

/** Passed to mqtt.js's `handleMessage` callback: "carry on, but do not PUBACK this message". */
const DEFERRED = new Error('PUBACK deferred until the WAL commit');

/** The shape of mqtt.js's internal packet writer, which `sendPuback` uses. */
type PacketWriter = { _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }): void };

/**
 * Creates the input; see the file header for the session and acknowledgement design. `start`
 * connects, `stop` disconnects keeping the session; `up` while connected with subscriptions in place.
 */
export function createMqttInput(options: MqttInputOptions): StreamingInput {
  const { config, counters } = options;
  const url = config.url;
  if (url === null) throw new Error('the MQTT input needs OUTPOST_MQTT_URL');
  const clock = options.clock ?? systemClock;
  const { protocol, host } = new URL(url);
  // Never the raw URL: it may carry a password.
  const log = options.log.child({ component: 'mqtt', broker: `${protocol}//${host}` });
  const throttle = createThrottle(LOG_THROTTLE_MS, clock.now);
  const rejectKeys = new Map(REJECT_REASONS.map((r) => [r, 'reject:' + r]));
  const subscribeQos = config.qos === 2 ? 1 : config.qos;

  let client: MqttClient | null = null;
  // Numbered connections, so that an ack never goes out on a later connection than its message's.
  let connection = 0;
  let subscribed = false;
  let firstConnection = true;
  let reconnectAttempt = 0;
  let stopping: Promise<void> | null = null;
  const status: InputStatus = { name: 'mqtt', up: false, lastSuccessMs: null, lastError: null };
  // Both write through the appender `start` receives; no message is handled before they exist.
  let ingester: MqttIngester;
  let acks: DeferredAcks;

  // QoS 1 messages were left unacknowledged because too many acks were pending.
  let overflowed = false;
  function sendPuback(messageId: number, conn: number): void {
    if (overflowed && acks.pending === 0 && stopping === null) {
      overflowed = false;
      // The broker resends unacknowledged messages only on a new connection. Outside the
      // WAL's commit, which is running this callback.
      setImmediate(() => client?.reconnect());
    }
    if (client === null || conn !== connection || !client.connected) return;
    try {
      (client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
    } catch (error) {
      // Called from inside the WAL's commit: must not throw. The broker redelivers an unacked message.
      warn('puback', { err: error }, 'sending a PUBACK failed');
    }
  }

  function warn(key: string, fields: object, msg: string): void {
    throttledWarn(log, throttle, key, fields, msg);
  }

  function onMessage(packet: IPublishPacket, done: (error?: Error) => void): void {
    // Not acked, not stored: the broker keeps it for the next start.
    if (stopping !== null) return done(packet.qos === 1 ? DEFERRED : undefined);
    if (packet.qos === 1 && acks.pending >= MAX_PENDING_ACKS) {
      overflowed = true;
      warn('overflow', { pending: acks.pending }, 'too many MQTT messages wait for a WAL commit; leaving new ones with the broker');
      return done(DEFERRED);
    }
    counters.received();
    let outcome;
    try {
      outcome = ingester.ingest(packet.topic, packet.payload as Buffer);
    } catch (error) {
      // A bug, not the publisher's fault; acked so that one message cannot loop forever.
      warn('ingest', { err: error, topic: packet.topic }, 'storing an MQTT message failed');
      return done();
    }
    if (typeof outcome !== 'number') {
      counters.rejected(outcome.reason);
      warn(rejectKeys.get(outcome.reason)!, { reason: outcome.reason, topic: packet.topic, detail: outcome.detail }, 'MQTT message rejected');
      return done();
    }
    status.lastSuccessMs = clock.now();
    if (packet.qos === 1 && outcome > 0 && packet.messageId !== undefined) {
      acks.defer(packet.messageId, connection);
      return done(DEFERRED);
    }
    done();
  }

  function onConnect(connack: IConnackPacket): void {
    connection++;
    reconnectAttempt = 0;
    client!.options.reconnectPeriod = MIN_RECONNECT_MS;
    status.lastError = null;
    const resumed = connack.sessionPresent && !firstConnection && subscribed;
    firstConnection = false;
    log.info({ sessionPresent: connack.sessionPresent }, 'connected to the MQTT broker');
    if (resumed) {
      status.up = true;
      return;
    }
    subscribed = false;
    void subscribeAll(connection);
  }

  async function subscribeAll(conn: number): Promise<void> {
    const filters = Object.fromEntries(config.topics.map((t) => [t.filter, { qos: subscribeQos, rh: 1 } as const]));
    try {
      // Rejects when the broker refuses any filter (SUBACK reason code >= 0x80).
      await client!.subscribeAsync(filters);
      if (conn !== connection) return;
      subscribed = true;
      status.up = true;
      log.info({ filters: Object.keys(filters), qos: subscribeQos }, 'subscribed');
    } catch (error) {
      status.lastError = error instanceof Error ? error.message : String(error);
      warn('subscribe', { err: status.lastError }, 'MQTT subscription failed; retrying on the next connection');
    }
  }

  function onClose(): void {
    status.up = false;
    if (stopping !== null || client === null) return;
    // mqtt.js has already armed this reconnect with the current period; this sets the next one.
    const ceiling = Math.min(MAX_RECONNECT_MS, MIN_RECONNECT_MS * 2 ** Math.min(++reconnectAttempt, 16));
    client.options.reconnectPeriod = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  return {
    name: 'mqtt',
    async start(appender: WalAppender) {
      if (client !== null) return;
      if (typeof (MqttClient.prototype as unknown as Partial<PacketWriter>)._sendPacket !== 'function') {
        throw new Error('this mqtt.js version has no _sendPacket; acknowledging after the WAL commit needs it');
      }
      const clientOptions: IClientOptions = {
        protocolVersion: 5,
        clientId: config.clientId ?? `outpost-${hostname()}`,
        clean: false,
        reconnectPeriod: MIN_RECONNECT_MS,
        // Subscriptions are managed in onConnect, from the CONNACK's session-present flag.
        resubscribe: false,
        properties: {
          sessionExpiryInterval: SESSION_EXPIRY_S,
          receiveMaximum: RECEIVE_MAXIMUM,
          maximumPacketSize: Math.min(MQTT_MAX_PACKET, 2 * config.maxPayloadBytes + PACKET_OVERHEAD),
        },
      };
      if (config.username !== null) clientOptions.username = config.username;
      if (config.password !== null) clientOptions.password = config.password;
      if (config.caFile !== null) {
        try {
          clientOptions.ca = readFileSync(config.caFile);
        } catch (cause) {
          throw new Error('cannot read the MQTT CA file ' + config.caFile, { cause });
        }
      }
      ingester = createMqttIngester({ templates: config.topics, appender, maxPayloadBytes: config.maxPayloadBytes, clock });
      acks = createDeferredAcks(appender, sendPuback);
      // Connects at once; no packet can be handled before handleMessage is in place below, as
      // socket data arrives on a later tick. (manualConnect would avoid the question but makes
      // mqtt.js reconnect after end().)
      const c = connect(url, clientOptions);
      c.handleMessage = onMessage;
      c.on('connect', onConnect);
      c.on('close', onClose);
      c.on('error', (error) => {
        status.lastError = error.message;
        warn('connection', { err: error.message }, 'MQTT connection error');
      });
      client = c;
      if (config.qos === 2) log.info('OUTPOST_MQTT_QOS=2 is subscribed as QoS 1: messages are acknowledged after the WAL commit');
    },
    stop() {
      stopping ??= (async () => {
        const c = client;
        if (c === null) return;
        if (!(await acks.drained(STOP_ACK_WAIT_MS))) log.warn({ pending: acks.pending }, 'stopping before the commit of some messages; the broker will redeliver them');
        // A clean DISCONNECT keeps the session (its expiry was set at CONNECT); without a
        // connection there is nobody to tell, so the socket is just dropped.
        await c.endAsync(!c.connected);
        status.up = false;
        log.info('MQTT input stopped');
      })();
      return stopping;
    },
    status: () => ({ ...status }),
  };
}
