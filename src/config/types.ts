/**
 * The types of the validated configuration, separate from `env.ts` (which reads it) so that
 * components can depend on the shape without the reading.
 */
import type { LogFormat, LogLevel, MqttQos, RemoteWriteProtocol, ScrapeTarget } from './parse.js';
import type { TopicTemplate } from './templates.js';
import type { RelabelRule } from '../relabel/rules.js';

/** `T` with every nested property and array made readonly; a RegExp is kept whole (mapping it would drop its methods). */
export type DeepReadonly<T> = T extends RegExp ? T : T extends ReadonlyArray<infer U> ? ReadonlyArray<DeepReadonly<U>>
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** How outpost authenticates to the remote-write endpoints. */
export type RemoteWriteAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string };

/** The shape of `Config` before freezing; groups follow the sections of docs/configuration.md. */
export interface ConfigShape {
  /** `memoryLimitBytes` 0: no OUTPOST_MEMORY_LIMIT. */
  process: { shutdownTimeoutMs: number; memoryLimitBytes: number };
  /** `address` as written; `host` '' means every interface. */
  http: { address: string; host: string; port: number };
  log: { level: LogLevel; format: LogFormat };
  wal: { dataDir: string; segmentDurationMs: number; retentionMs: number; maxBytes: number; commitIntervalMs: number };
  remoteWrite: {
    /** Empty: offline mode, the WAL only buffers. */
    urls: string[];
    protocol: RemoteWriteProtocol;
    auth: RemoteWriteAuth;
    headers: Record<string, string>;
    tls: { caFile: string | null; certFile: string | null; keyFile: string | null; insecureSkipVerify: boolean };
    timeoutMs: number;
    /** 0: no cap. */
    maxBytesPerSecond: number;
    /** OUTPOST_UPLINK_METERED: batch up to the deadline to save bytes even on a free link. */
    uplinkMetered: boolean;
    externalLabels: Record<string, string>;
    queue: {
      capacity: number; minShards: number; maxShards: number; maxSamplesPerSend: number;
      batchSendDeadlineMs: number; minBackoffMs: number; maxBackoffMs: number; retryOnHttp429: boolean;
    };
  };
  hostMetrics: { enabled: boolean; intervalMs: number };
  scrape: { targets: ScrapeTarget[]; intervalMs: number; timeoutMs: number };
  /** `url` null: the MQTT input is off. `clientId` null: the MQTT input picks one. */
  mqtt: {
    url: string | null; username: string | null; password: string | null; clientId: string | null;
    caFile: string | null; topics: TopicTemplate[]; qos: MqttQos; maxPayloadBytes: number;
  };
  relabelConfigFile: string | null;
  /** The compiled rules of `relabelConfigFile`; empty when it is unset. */
  relabelRules: RelabelRule[];
  maxSeries: number;
  selfMetrics: boolean;
  /** OUTPOST_* variables that outpost does not know (likely typos), for the caller to warn about. */
  unknownVariables: string[];
}

/** The whole validated configuration: deeply frozen, durations in milliseconds, sizes in bytes, null = unset. */
export type Config = DeepReadonly<ConfigShape>;

/** One bad variable: its name, what is wrong, the value as given (secrets redacted) and a good example. */
export interface ConfigError {
  variable: string;
  problem: string;
  value: string;
  example: string;
}

/** The outcome of `loadConfig`: a usable config, or every problem found. */
export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };
