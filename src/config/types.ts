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

/** What each endpoint is sent with: the unnamed OUTPOST_REMOTE_WRITE_* and OUTPOST_QUEUE_* values, or a named endpoint's own. */
export interface EndpointSettings {
  protocol: RemoteWriteProtocol;
  auth: RemoteWriteAuth;
  headers: Record<string, string>;
  tls: { caFile: string | null; certFile: string | null; keyFile: string | null; insecureSkipVerify: boolean };
  timeoutMs: number;
  /** 0: no cap. For the unnamed settings the cap of all endpoints together; for an endpoint its own. */
  maxBytesPerSecond: number;
  externalLabels: Record<string, string>;
  queue: {
    capacity: number; minShards: number; maxShards: number; maxSamplesPerSend: number;
    batchSendDeadlineMs: number; minBackoffMs: number; maxBackoffMs: number; retryOnHttp429: boolean;
  };
}

/** One receiver with its effective settings. */
export interface EndpointConfig extends EndpointSettings {
  /**
   * Lower case: `cloud` for OUTPOST_ENDPOINT_CLOUD_URL; `remote-write-1`, `remote-write-2`, … for
   * the URLs of OUTPOST_REMOTE_WRITE_URL in the order listed.
   */
  name: string;
  /** As configured, credentials included (never logged: the transport strips them). */
  url: string;
  /** OUTPOST_ENDPOINT_<NAME>_RELABEL_CONFIG_FILE; null for none and for unnamed endpoints. */
  relabelConfigFile: string | null;
  /** Its compiled write relabel rules; empty when none. */
  relabelRules: RelabelRule[];
}

/** The shape of `Config` before freezing; groups follow the sections of docs/configuration.md. */
export interface ConfigShape {
  /** `memoryLimitBytes` 0: no OUTPOST_MEMORY_LIMIT. */
  process: { shutdownTimeoutMs: number; memoryLimitBytes: number };
  /** `address` as written; `host` '' means every interface. */
  http: { address: string; host: string; port: number };
  log: { level: LogLevel; format: LogFormat };
  wal: { dataDir: string; segmentDurationMs: number; retentionMs: number; maxBytes: number; commitIntervalMs: number };
  /** The unnamed settings (defaults of every named endpoint) and every endpoint with its own. */
  remoteWrite: EndpointSettings & {
    /** OUTPOST_REMOTE_WRITE_URL as listed. */
    urls: string[];
    /** OUTPOST_UPLINK_METERED: batch up to the deadline to save bytes even on a free link. */
    uplinkMetered: boolean;
    /** The URLs of `urls` (unnamed), then the named endpoints by name. Empty: offline mode, the WAL only buffers. */
    endpoints: EndpointConfig[];
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
  /** The variable `example` is a value of, when not `variable` itself (a misspelt name). */
  exampleVariable?: string;
}

/** The outcome of `loadConfig`: a usable config, or every problem found. */
export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };
