/** The example rows of docs/reference.md "MQTT topic templates and payloads", with every series spelled out. */
export const CONTRACT_TEMPLATES = 'sensors/{room}/{__name__};zigbee2mqtt/{device};tele/{device}/{__name__}';

export interface ContractRow {
  topic: string;
  payload: string;
  /** Series as `name{label="value"}` with their values, in payload order. */
  series: ReadonlyArray<readonly [string, number]>;
  /** The time the payload sets, or null for the time of receipt. */
  t: number | null;
}

export const CONTRACT_ROWS: readonly ContractRow[] = [
  { topic: 'sensors/kitchen/temperature', payload: '21.5', series: [['temperature{room="kitchen"}', 21.5]], t: null },
  {
    topic: 'zigbee2mqtt/porch',
    payload: '{"temperature":19.2,"humidity":61,"contact":true,"state":"ON","battery":{"level":97}}',
    series: [['temperature{device="porch"}', 19.2], ['humidity{device="porch"}', 61], ['contact{device="porch"}', 1], ['state{device="porch"}', 1], ['battery_level{device="porch"}', 97]],
    t: null,
  },
  { topic: 'tele/pump1/SENSOR', payload: '{"Time":"2026-01-05T10:00:00","ENERGY":{"Power":42}}', series: [['SENSOR_ENERGY_Power{device="pump1"}', 42]], t: Date.UTC(2026, 0, 5, 10) },
];
