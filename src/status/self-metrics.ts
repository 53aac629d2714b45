/**
 * Outpost's own metrics: a deliberately small registry of counters and gauges that renders the
 * Prometheus text format 0.0.4 and can hand every sample to the WAL as the "own metrics" input.
 *
 * Each family pre-renders its HELP/TYPE header at registration and each child its label block
 * when first used, so a render costs one string concatenation per sample and nothing else.
 * Families render in registration order, children in creation order, labels in declared order.
 */

/** One label of a sample, as handed to {@link MetricsRegistry.forEachSample}. */
export interface LabelPair {
  readonly name: string;
  readonly value: string;
}

/** One counter series. Counters only go up; they reset only when the process restarts. */
export interface CounterChild {
  /** Adds `n` (default 1); throws on a negative or NaN `n`, which is a programming error. */
  inc(n?: number): void;
  /** The current value. */
  get(): number;
}

/** One gauge series: a value that may go up and down. */
export interface GaugeChild {
  /** Replaces the value. */
  set(value: number): void;
  /** Adds `n` (default 1). */
  inc(n?: number): void;
  /** Subtracts `n` (default 1). */
  dec(n?: number): void;
  /** The current value. */
  get(): number;
}

/**
 * A counter family. `labels(...)` returns the series for those label values (created at 0 on first
 * use; callers on hot paths should keep the child). The direct methods address the single series of
 * a family declared without labels and throw on a labelled family.
 */
export interface CounterFamily extends CounterChild {
  /** The series with these label values, in the order the label names were declared. */
  labels(...values: string[]): CounterChild;
}

/** A gauge family; see {@link CounterFamily} for how `labels` and the direct methods behave. */
export interface GaugeFamily extends GaugeChild {
  /** The series with these label values, in the order the label names were declared. */
  labels(...values: string[]): GaugeChild;
}

/** Called once per sample by {@link MetricsRegistry.forEachSample}; `labels` is frozen and shared between calls. */
export type SampleCallback = (name: string, labels: ReadonlyArray<LabelPair>, value: number) => void;

/** A set of metric families owned by one process; not shared between registries. */
export interface MetricsRegistry {
  /**
   * Registers a counter. Throws on an invalid or already registered name, an invalid or repeated
   * label name: those are programming errors, caught the first time the code runs.
   */
  counter(name: string, help: string, labelNames?: readonly string[]): CounterFamily;
  /**
   * Registers a gauge, validated like {@link MetricsRegistry.counter}. `collect`, when given, runs
   * before every render and snapshot so the gauge can be computed lazily (e.g. WAL bytes); its
   * exceptions propagate to the caller of `render` / `forEachSample`.
   */
  gauge(name: string, help: string, labelNames?: readonly string[], collect?: () => void): GaugeFamily;
  /** Runs collect callbacks, then returns every family in Prometheus text format 0.0.4. */
  render(): string;
  /** Runs collect callbacks, then calls `cb` synchronously for every current sample. */
  forEachSample(cb: SampleCallback): void;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Formats a sample value as Prometheus does: `NaN`, `+Inf`, `-Inf`, integers without exponent. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  // String() already writes integers below 1e21 plainly; above that BigInt gives the exact digits.
  if (Number.isInteger(value) && Math.abs(value) >= 1e21) return BigInt(value).toString();
  return String(value);
}

function escapeHelp(text: string): string {
  return /[\\\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text;
}

function escapeLabelValue(text: string): string {
  return /[\\"\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : text;
}

/** The state of one series; counters and gauges share it and differ only in their methods. */
class Series {
  value = 0;
  constructor(
    /** `{a="x",b="y"}`, or '' for a label-less series; rendered once. */
    readonly labelText: string,
    readonly labels: ReadonlyArray<LabelPair>,
  ) {}

  get(): number {
    return this.value;
  }
}

class CounterSeries extends Series implements CounterChild {
  inc(n = 1): void {
    if (!(n >= 0)) throw new Error(`a counter cannot be increased by ${n}`);
    this.value += n;
  }
}

class GaugeSeries extends Series implements GaugeChild {
  set(value: number): void {
    this.value = value;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
}

interface Family {
  readonly name: string;
  /** The `# HELP` and `# TYPE` lines, rendered once. */
  readonly header: string;
  readonly children: Map<string, Series>;
}

/** Creates an empty registry. */
export function createMetricsRegistry(): MetricsRegistry {
  const families: Family[] = [];
  const names = new Set<string>();
  const collectors: Array<() => void> = [];

  function register<S extends Series>(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    labelNames: readonly string[],
    make: (labelText: string, labels: ReadonlyArray<LabelPair>) => S,
  ): { child(values: string[]): S; direct(): S } {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name '${name}'`);
    if (names.has(name)) throw new Error(`metric '${name}' is already registered`);
    const seen = new Set<string>();
    for (const label of labelNames) {
      // Names starting with __ are reserved for Prometheus' internal use.
      if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new Error(`invalid label name '${label}' on metric '${name}'`);
      if (seen.has(label)) throw new Error(`label '${label}' repeated on metric '${name}'`);
      seen.add(label);
    }
    names.add(name);
    const children = new Map<string, S>();
    families.push({ name, header: `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`, children });
    const declared = [...labelNames];

    function child(values: string[]): S {
      if (values.length !== declared.length) {
        throw new Error(`metric '${name}' takes ${declared.length} label values, got ${values.length}`);
      }
      // A single value is its own key; several are length-prefixed so no two value lists collide.
      const key = values.length === 1 ? values[0]! : values.map((v) => `${v.length}:${v}`).join('');
      let found = children.get(key);
      if (found === undefined) {
        const labels = Object.freeze(declared.map((label, i) => Object.freeze({ name: label, value: values[i]! })));
        const labelText = labels.length === 0 ? '' : `{${labels.map((l) => `${l.name}="${escapeLabelValue(l.value)}"`).join(',')}}`;
        found = make(labelText, labels);
        children.set(key, found);
      }
      return found;
    }

    // A label-less family exposes its one series at 0 from the start, as Prometheus clients do.
    const single = declared.length === 0 ? child([]) : undefined;
    function direct(): S {
      if (single === undefined) throw new Error(`metric '${name}' has labels; use labels(...) first`);
      return single;
    }
    return { child, direct };
  }

  function collect(): void {
    for (const run of collectors) run();
  }

  return {
    counter(name, help, labelNames = []) {
      const { child, direct } = register(name, help, 'counter', labelNames, (text, labels) => new CounterSeries(text, labels));
      return {
        labels: (...values) => child(values),
        inc: (n) => direct().inc(n),
        get: () => direct().get(),
      };
    },

    gauge(name, help, labelNames = [], collectFn) {
      const { child, direct } = register(name, help, 'gauge', labelNames, (text, labels) => new GaugeSeries(text, labels));
      if (collectFn !== undefined) collectors.push(collectFn);
      return {
        labels: (...values) => child(values),
        set: (value) => direct().set(value),
        inc: (n) => direct().inc(n),
        dec: (n) => direct().dec(n),
        get: () => direct().get(),
      };
    },

    render() {
      collect();
      let out = '';
      for (const family of families) {
        out += family.header;
        for (const c of family.children.values()) out += `${family.name}${c.labelText} ${formatValue(c.value)}\n`;
      }
      return out;
    },

    forEachSample(cb) {
      collect();
      for (const family of families) {
        for (const c of family.children.values()) cb(family.name, c.labels, c.value);
      }
    },
  };
}
