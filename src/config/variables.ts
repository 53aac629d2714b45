/** The table of every OUTPOST_* variable: the one source of the defaults, examples and docs. */

/** The sections variables are listed in. */
export type VariableGroup = 'process' | 'storage' | 'sending' | 'inputs';

/** What the table says of one variable. */
export interface VariableInfo {
  readonly group: VariableGroup;
  /** As a user would write it; '' = unset. */
  readonly default: string;
  readonly example: string;
  /** One or two sentences of Markdown for the reference. */
  readonly doc: string;
  /**
   * Set for the variables a named endpoint may set for itself (`OUTPOST_ENDPOINT_<NAME>_<SETTING>`):
   * `setting` is inherited on its own; the members of a set (`credentials`, `client-certificate`)
   * are inherited whole, so an endpoint that sets any of them inherits none of the others.
   */
  readonly endpoint?: EndpointInheritance;
}

/** How a named endpoint inherits a variable it does not set (see `VariableInfo.endpoint`). */
export type EndpointInheritance = 'setting' | 'credentials' | 'client-certificate';

/**
 * Every variable outpost reads: its group, its default as a user would write it ('' = unset), a
 * good example for error messages and what it means. Defaults go through the same parsers as user
 * values. `docs/configuration.md` and `outpost --help` are made from this table (see reference.ts).
 */
/**
 * OUTPOST_QUEUE_BATCH_SEND_DEADLINE when OUTPOST_UPLINK_METERED is true and the deadline is not
 * set: at one scrape a second, 15 samples of a series share its labels in a request, where bytes
 * a sample come within a few percent of their floor (`npm run bench:encode`).
 */
export const METERED_BATCH_SEND_DEADLINE_MS = 15_000;

export const VARIABLES = {
  // Process
  OUTPOST_HTTP_ADDRESS: { group: 'process', default: '127.0.0.1:9780', example: '0.0.0.0:9780', doc: 'Address of the status page, `/api/v1/status`, `/metrics` and the health endpoints. It has no authentication: keep it on loopback or the site LAN.' }, // loopback: the status API has no authentication
  OUTPOST_LOG_LEVEL: { group: 'process', default: 'info', example: 'debug', doc: '`debug`, `info`, `warn` or `error`.' },
  OUTPOST_LOG_FORMAT: { group: 'process', default: 'json', example: 'pretty', doc: '`json` (one pino object a line) or `pretty`.' },
  OUTPOST_SHUTDOWN_TIMEOUT: { group: 'process', default: '10s', example: '30s', doc: 'How long delivery may go on after SIGTERM/SIGINT; requests still in flight then are aborted and their samples stay in the WAL.' }, // Docker's stop grace period; data is safe in the WAL either way
  OUTPOST_MEMORY_LIMIT: { group: 'process', default: '', example: '96MiB', doc: 'Memory Outpost keeps within, e.g. the `MemoryMax=` of its unit: the launcher (`bin/outpost`, the container\'s entry point) caps the JS heap at half of it, and Outpost drops its caches (never data) when its resident memory comes within 10 % of it. Empty: no limit. At least `32MiB`.' },
  // Storage
  OUTPOST_DATA_DIR: { group: 'storage', default: './data', example: '/var/lib/outpost', doc: 'Directory of the SQLite WAL (`wal.db`, its `-wal`/`-shm` files and `wal.reserve`).' },
  OUTPOST_WAL_SEGMENT_DURATION: { group: 'storage', default: '15m', example: '30m', doc: 'Time span of one WAL segment; truncation removes whole segments.' }, // 96 segments a day: space returns in small steps, per-segment cost stays negligible
  OUTPOST_WAL_RETENTION: { group: 'storage', default: '24h', example: '48h', doc: 'Undelivered data older than this is truncated and counted (`2h` behaves like the Prometheus agent).' }, // rides out a night-long uplink outage; Prometheus agent keeps only 2h
  OUTPOST_WAL_MAX_BYTES: { group: 'storage', default: '1GiB', example: '2GiB', doc: 'Disk budget of the WAL; over it the oldest segments are truncated first, counted.' }, // days of a busy gateway's samples, a small share of a 16 GB SD card
  OUTPOST_WAL_COMMIT_INTERVAL: { group: 'storage', default: '1s', example: '500ms', doc: 'Group-commit period: the most a crash or power cut may lose.' }, // a power cut loses at most 1s; one fsync a second spares the SD card
  // Sending
  OUTPOST_REMOTE_WRITE_URL: { group: 'sending', default: '', example: 'https://prometheus.example.com/api/v1/write', doc: 'Remote-write endpoint URLs, comma-separated; empty runs in offline mode (buffer only).' },
  OUTPOST_REMOTE_WRITE_PROTOCOL: { group: 'sending', endpoint: 'setting', default: '1.0', example: '2.0', doc: '`1.0` (prometheus.WriteRequest) or `2.0` (io.prometheus.write.v2.Request); a receiver that does not speak 2.0 gets 1.0 until the next restart.' }, // 1.0: every remote-write receiver speaks it
  OUTPOST_REMOTE_WRITE_USERNAME: { group: 'sending', endpoint: 'credentials', default: '', example: 'gateway01', doc: 'HTTP basic auth user name.' },
  OUTPOST_REMOTE_WRITE_PASSWORD: { group: 'sending', endpoint: 'credentials', default: '', example: '<password>', doc: 'HTTP basic auth password.' },
  OUTPOST_REMOTE_WRITE_PASSWORD_FILE: { group: 'sending', endpoint: 'credentials', default: '', example: '/run/secrets/remote_write_password', doc: 'File holding the basic auth password (Docker and systemd secrets).' },
  OUTPOST_REMOTE_WRITE_BEARER_TOKEN: { group: 'sending', endpoint: 'credentials', default: '', example: '<token>', doc: 'Token sent as `Authorization: Bearer`.' },
  OUTPOST_REMOTE_WRITE_BEARER_TOKEN_FILE: { group: 'sending', endpoint: 'credentials', default: '', example: '/run/secrets/remote_write_token', doc: 'File holding the bearer token.' },
  OUTPOST_REMOTE_WRITE_HEADERS: { group: 'sending', endpoint: 'setting', default: '', example: 'X-Scope-OrgID=farm7', doc: 'Extra request headers, `Name=value,Name2=value` (e.g. a tenant header).' },
  OUTPOST_REMOTE_WRITE_CA_FILE: { group: 'sending', endpoint: 'setting', default: '', example: '/etc/outpost/ca.pem', doc: 'PEM file of the CA that signed the endpoint\'s certificate.' },
  OUTPOST_REMOTE_WRITE_CERT_FILE: { group: 'sending', endpoint: 'client-certificate', default: '', example: '/etc/outpost/client.pem', doc: 'PEM client certificate for mutual TLS.' },
  OUTPOST_REMOTE_WRITE_KEY_FILE: { group: 'sending', endpoint: 'client-certificate', default: '', example: '/etc/outpost/client-key.pem', doc: 'PEM key of the client certificate.' },
  OUTPOST_REMOTE_WRITE_INSECURE_SKIP_VERIFY: { group: 'sending', endpoint: 'setting', default: 'false', example: 'true', doc: '`true` accepts any server certificate (testing only).' },
  OUTPOST_REMOTE_WRITE_TIMEOUT: { group: 'sending', endpoint: 'setting', default: '30s', example: '1m', doc: 'Time one request may take, from connecting to the last byte of the answer.' }, // Prometheus's remote_timeout
  OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND: { group: 'sending', endpoint: 'setting', default: '0', example: '64KiB', doc: 'Uplink budget in bytes a second across all endpoints; `0` is no cap.' }, // 0 = no cap: most uplinks are not metered
  OUTPOST_UPLINK_METERED: { group: 'sending', default: 'false', example: 'true', doc: `\`true\`: bytes cost more than lag, so requests wait up to \`OUTPOST_QUEUE_BATCH_SEND_DEADLINE\` (then ${METERED_BATCH_SEND_DEADLINE_MS / 1000}s unless set) for more samples per series even when the link is free. \`false\` sends at every other commit while the link and the byte cap have room to spare.` }, // most links are not billed by the byte
  OUTPOST_EXTERNAL_LABELS: { group: 'sending', endpoint: 'setting', default: '', example: 'site=farm7,gateway=gw01', doc: 'Labels added to every series sent unless the series has that label, `site=farm7,gateway=gw01`.' },
  OUTPOST_QUEUE_CAPACITY: { group: 'sending', endpoint: 'setting', default: '10000', example: '20000', doc: 'Samples buffered in memory per shard.' }, // Prometheus's default: several requests' worth per shard
  OUTPOST_QUEUE_MIN_SHARDS: { group: 'sending', endpoint: 'setting', default: '1', example: '1', doc: 'Fewest parallel request streams per endpoint.' }, // one sequential sender is enough on a quiet link
  OUTPOST_QUEUE_MAX_SHARDS: { group: 'sending', endpoint: 'setting', default: '4', example: '8', doc: 'Most parallel request streams per endpoint; the sender picks within the bounds.' }, // a Pi has 4 cores and one uplink; Prometheus's 50 is for servers
  OUTPOST_QUEUE_MAX_SAMPLES_PER_SEND: { group: 'sending', endpoint: 'setting', default: '2000', example: '5000', doc: 'Most samples in one request.' }, // Prometheus's default
  OUTPOST_QUEUE_BATCH_SEND_DEADLINE: { group: 'sending', endpoint: 'setting', default: '5s', example: '10s', doc: `Longest a sample waits for a fuller request; ${METERED_BATCH_SEND_DEADLINE_MS / 1000}s when unset and \`OUTPOST_UPLINK_METERED=true\`.` }, // Prometheus's default: fresh data waits at most 5s for a full batch
  OUTPOST_QUEUE_MIN_BACKOFF: { group: 'sending', endpoint: 'setting', default: '1s', example: '500ms', doc: 'First retry delay after a failed request.' }, // not Prometheus's 30ms: quick retries only burn a flaky radio link
  OUTPOST_QUEUE_MAX_BACKOFF: { group: 'sending', endpoint: 'setting', default: '1m', example: '5m', doc: 'Longest retry delay; delays grow exponentially with full jitter in between.' }, // a dead link is probed about once a minute
  OUTPOST_QUEUE_RETRY_ON_HTTP_429: { group: 'sending', endpoint: 'setting', default: 'true', example: 'false', doc: '`true` retries 429 answers, honouring `Retry-After`; `false` drops their batch.' }, // throttling asks for a pause, not for data loss
  // Inputs
  OUTPOST_HOST_METRICS: { group: 'inputs', default: 'true', example: 'false', doc: 'Built-in host exporter with node_exporter-compatible series.' },
  OUTPOST_HOST_METRICS_INTERVAL: { group: 'inputs', default: '15s', example: '30s', doc: 'How often host metrics are collected.' }, // the scrape interval node_exporter dashboards assume
  OUTPOST_SCRAPE_TARGETS: { group: 'inputs', default: '', example: 'node=http://127.0.0.1:9100/metrics', doc: 'Local Prometheus exporters to scrape, comma-separated `URL` or `JOB=URL`; job defaults to `scrape`, instance is host:port.' },
  OUTPOST_SCRAPE_INTERVAL: { group: 'inputs', default: '15s', example: '30s', doc: 'How often each target is scraped.' }, // the interval of Prometheus's example config and most dashboards
  OUTPOST_SCRAPE_TIMEOUT: { group: 'inputs', default: '10s', example: '5s', doc: 'Time one scrape may take (at most the interval).' }, // Prometheus's default; lowered to the interval when that is shorter
  OUTPOST_MQTT_URL: { group: 'inputs', default: '', example: 'mqtt://127.0.0.1:1883', doc: 'MQTT broker, `mqtt://host:1883` or `mqtts://…`; empty turns the MQTT input off.' },
  OUTPOST_MQTT_USERNAME: { group: 'inputs', default: '', example: 'outpost', doc: 'MQTT user name.' },
  OUTPOST_MQTT_PASSWORD: { group: 'inputs', default: '', example: '<password>', doc: 'MQTT password.' },
  OUTPOST_MQTT_PASSWORD_FILE: { group: 'inputs', default: '', example: '/run/secrets/mqtt_password', doc: 'File holding the MQTT password.' },
  OUTPOST_MQTT_CLIENT_ID: { group: 'inputs', default: '', example: 'outpost-gw01', doc: 'MQTT client id; a stable id keeps the persistent session across restarts.' },
  OUTPOST_MQTT_CA_FILE: { group: 'inputs', default: '', example: '/etc/outpost/mqtt-ca.pem', doc: 'PEM file of the CA that signed the broker\'s certificate.' },
  OUTPOST_MQTT_TOPICS: { group: 'inputs', default: 'sensors/#', example: 'sensors/{room}/{__name__};zigbee2mqtt/{device}', doc: '`;`-separated topic templates (see [MQTT topic templates](reference.md#mqtt-topic-templates-and-payloads)).' },
  OUTPOST_MQTT_QOS: { group: 'inputs', default: '1', example: '0', doc: 'Subscription QoS; QoS 1 messages are acknowledged only after their samples are committed to the WAL.' }, // at-least-once: acknowledged only once committed to the WAL
  OUTPOST_MQTT_MAX_PAYLOAD_BYTES: { group: 'inputs', default: '65536', example: '256KiB', doc: 'Larger payloads are rejected and counted.' }, // fits big zigbee2mqtt states, bounds memory per message
  OUTPOST_RELABEL_CONFIG_FILE: { group: 'inputs', default: '', example: '/etc/outpost/relabel.yml', doc: 'YAML list of Prometheus `relabel_configs`, applied before the WAL.' },
  OUTPOST_MAX_SERIES: { group: 'inputs', default: '50000', example: '100000', doc: 'Cardinality guard: new series beyond it are dropped and counted.' }, // ~10x a busy gateway; caps registry memory at tens of MiB if a label explodes
  OUTPOST_SELF_METRICS: { group: 'inputs', default: 'true', example: 'false', doc: 'Outpost\'s own metrics also go through the WAL to the endpoints.' },
} as const satisfies Record<string, VariableInfo>;

/** The name of a variable outpost reads. */
export type VariableName = keyof typeof VARIABLES;

/** What the table says of a setting only named endpoints have. */
export interface EndpointOnlyInfo {
  readonly example: string;
  readonly doc: string;
}

/**
 * Settings only a named endpoint has, `OUTPOST_ENDPOINT_<NAME>_<SETTING>`, by suffix. Its other
 * settings are the variables marked `endpoint` in VARIABLES, under their suffix after
 * `OUTPOST_REMOTE_WRITE_` or `OUTPOST_` (see endpoints.ts).
 */
export const ENDPOINT_ONLY_SETTINGS = {
  URL: { example: 'https://prometheus.example.com/api/v1/write', doc: 'Declares endpoint `<NAME>` (`[A-Z0-9]+`, shown lower-case as `endpoint="<name>"`) and where it writes; a tenant path such as VictoriaMetrics cluster\'s `/insert/<tenant>/prometheus/api/v1/write` goes here.' },
  RELABEL_CONFIG_FILE: { example: '/etc/outpost/cloud-relabel.yml', doc: 'YAML list of Prometheus `write_relabel_configs`, applied on the way to this endpoint only (after the external labels); samples of the series it drops advance the endpoint\'s cursor and are counted in `outpost_samples_filtered_total`. Not inherited: `OUTPOST_RELABEL_CONFIG_FILE` applies before the WAL, to every endpoint.' },
} as const satisfies Record<string, EndpointOnlyInfo>;
