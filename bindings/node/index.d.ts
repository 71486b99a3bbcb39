// Types of the cutover SDK for Node.js (index.js). The Rust SDK in cutover.node does the work.

/** A context value: strings as they are, numbers in their JSON spelling, booleans as true/false. */
export type ContextValue = string | number | boolean;

/**
 * An evaluation context: attribute names and their values (`userId`, `user_id`, `tenant`,
 * `region`, `targetingKey`...). Any other value type is refused with a TypeError.
 */
export type Context = Readonly<Record<string, ContextValue>>;

/** The two paths of a flag. */
export type Variant = 'legacy' | 'new';

/** The arm a call went through: a variant, or a boolean (true = new) as `isNew` answered. */
export type Arm = Variant | boolean;

/** The rule that made a decision, as cutover reports it everywhere (`kind` and its fields). */
export type Reason =
  | { kind: 'kill_switch' }
  | { kind: 'env_override'; var: string }
  | { kind: 'disabled' }
  | { kind: 'legacy_retired' }
  | { kind: 'override'; attribute: string }
  | { kind: 'out_of_scope'; attribute: string }
  | { kind: 'rollout'; attribute?: string; bucket?: number; rollout_percent: number }
  | { kind: 'flag_not_found' };

export interface Decision {
  variant: Variant;
  reason: Reason;
  /** The version of the flag that decided; 0 when the flag was not found. */
  flagVersion: number;
}

/** A decision with what an OpenFeature provider reports besides. */
export interface ExplainedDecision extends Decision {
  /** `STATIC`, `TARGETING_MATCH`, `SPLIT`, `DISABLED`, `DEFAULT`... */
  openfeatureReason: string;
  /** The reason in words. */
  explanation: string;
}

export interface ConnectOptions {
  /** Saves every state reached to this file and starts from it when the server is away. */
  cacheFile?: string;
  /** How long `connect` waits for the first snapshot (default 5000). */
  initialTimeoutMs?: number;
  /** How often recorded arm metrics and shadow tallies are uploaded (default 5000). */
  metricsIntervalMs?: number;
  /** The service's own counters (at most 16, such as `invalid_json`), read by rollout gates. */
  counters?: readonly string[];
  /** CUTOVER_FLAG_* overrides to apply instead of the process environment's. */
  env?: Readonly<Record<string, string>>;
}

export interface OfflineOptions {
  /** CUTOVER_FLAG_* overrides to apply instead of the process environment's. */
  env?: Readonly<Record<string, string>>;
}

/** What happened on one call through an arm. */
export interface Outcome {
  latencyMs?: number;
  /** The call failed. */
  error?: boolean;
  /** The call gave up on this path and fell back to the other one. */
  fallback?: boolean;
  /** The call had to be retried. */
  retry?: boolean;
  /** Counters (named in `ConnectOptions.counters`) this call counts in. */
  counters?: readonly string[];
}

/** Handed to `measure`'s function to mark the call. */
export declare class Measurement {
  private constructor();
  error(): void;
  fallback(): void;
  retry(): void;
  count(counter: string): void;
  readonly bits: number;
}

/** What a shadow run's new path receives: its result is thrown away, so it must not write. */
export declare const ReadOnly: Readonly<{ readOnly: true }>;

/** How the two results of a shadow run are compared, field by field (by path). */
export interface ComparisonSpec {
  fields?: Record<
    string,
    | { rule: 'exact' }
    | { rule: 'ignore' }
    | { rule: 'unordered' }
    | { rule: 'must_include' }
    | { rule: 'within'; eps: number | string }
  >;
}

export interface ShadowOptions<T> {
  /** The path whose result is served. */
  legacy: () => T | Promise<T>;
  /** The path under test; its result is compared, never served. */
  new: (readOnly: typeof ReadOnly) => T | Promise<T>;
  compare?: ComparisonSpec;
  /** How long the new path may take (default 1000). */
  timeoutMs?: number;
  /** The share of contexts shadowed, in percent, sticky per context (default 100). */
  sample?: number;
}

export interface FieldTally {
  compared: number;
  agreed: number;
  disagreed: number;
  missing: number;
  extra: number;
}

export interface MismatchSample {
  path: string;
  legacy: unknown;
  new: unknown;
  context: Array<[string, string]>;
}

/** What the shadow runs of one flag found (the Rust SDK's report). */
export interface ShadowReport {
  runs: number;
  compared: number;
  new_errors: number;
  new_panics: number;
  timeouts: number;
  tally: { cases: number; cases_agreed: number; fields: Record<string, FieldTally> };
  mismatches: MismatchSample[];
  mismatches_dropped: number;
}

export type Change =
  | { kind: 'snapshot'; seq: number; flags: number }
  | { kind: 'flag'; seq: number; flag: string; deleted: boolean };

export interface Status {
  /** Whether the change stream is open now. */
  connected: boolean;
  /** The sequence (audit id) of the last change applied. */
  seq: number;
  /** How long the flags may have been out of date: 0 while connected; null before any. */
  stalenessMs: number | null;
}

export declare class Client {
  private constructor();
  static connect(url: string, token: string, options?: ConnectOptions): Promise<Client>;
  static offline(path: string, options?: OfflineOptions): Client;
  /** Whether this context takes the new path. An unknown flag answers false (legacy). */
  isNew(flag: string, ctx?: Context | null): boolean;
  decide(flag: string, ctx?: Context | null): Decision;
  explain(flag: string, ctx?: Context | null): ExplainedDecision;
  /** A handle on one flag for hot paths. */
  flag(name: string): Flag;
  record(flag: string, arm: Arm, outcome?: Outcome): void;
  measure<T>(flag: string, arm: Arm, fn: (m: Measurement) => T): T;
  shadow<T>(flag: string, ctx: Context | null | undefined, options: ShadowOptions<T>): Promise<T>;
  shadowReport(flag: string): ShadowReport;
  /**
   * Calls `callback` after every change the client applies; a callback that throws is reported
   * as a process warning and the stream goes on. The stream does not keep the process alive.
   * Returns a function that unsubscribes.
   */
  onChange(callback: (change: Change) => void): () => void;
  status(): Status;
  flushMetrics(): Promise<number>;
  droppedMetricBatches(): number;
  readonly closed: boolean;
  close(): Promise<void>;
}

export declare class Flag {
  private constructor();
  readonly key: string;
  isNew(ctx?: Context | null): boolean;
  variant(ctx?: Context | null): Variant;
  decide(ctx?: Context | null): Decision;
  record(arm: Arm, outcome?: Outcome): void;
  measure<T>(arm: Arm, fn: (m: Measurement) => T): T;
}
