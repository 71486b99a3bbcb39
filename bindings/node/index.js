'use strict';
// The cutover SDK for Node.js. The Rust SDK inside `cutover.node` (built by `npm install`) does
// the work: the change stream, reconnects, the cache file, evaluation, the metrics buffer and
// its uploads, shadow comparison and tallies. This file gives it JavaScript's shape (Promises,
// options objects, `measure` around sync or async functions, `shadow` with a Promise-returning
// new path and a timeout) and computes no decision, bucket or comparison itself.

const { performance } = require('node:perf_hooks');

const native = loadNative();

function loadNative() {
  try {
    return require('./cutover.node');
  } catch (error) {
    throw new Error(
      'the cutover native addon (cutover.node) could not be loaded: ' +
        `${error.message}. It is built when the package is installed (npm install runs ` +
        '`napi build --release`, which needs cargo); rebuild it with `npm run install` in ' +
        'the package directory.',
      { cause: error },
    );
  }
}

/** What a shadow run's new path receives: its result is thrown away, so it must not write. */
const ReadOnly = Object.freeze({ readOnly: true });

const OUTCOME_KEYS = new Set(['latencyMs', 'error', 'fallback', 'retry', 'counters']);
const CONNECT_KEYS = new Set([
  'cacheFile',
  'initialTimeoutMs',
  'metricsIntervalMs',
  'counters',
  'env',
]);
const SHADOW_KEYS = new Set(['legacy', 'new', 'compare', 'timeoutMs', 'sample']);

function typeError(message) {
  const error = new TypeError(message);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function kindOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'undefined' ? 'undefined' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function checkOptions(options, allowed, what) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(`${what} must be an object, got ${kindOf(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) {
      throw typeError(
        `unknown option ${JSON.stringify(key)} of ${what}; accepted: ${[...allowed].join(', ')}`,
      );
    }
  }
  return options;
}

function checkString(value, what) {
  if (typeof value !== 'string') throw typeError(`${what} must be a string, got ${kindOf(value)}`);
  return value;
}

function checkNumber(value, what, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw typeError(
      `${what} must be a finite number from ${min} to ${max}, got ` +
        `${typeof value === 'number' ? value : kindOf(value)}`,
    );
  }
  return value;
}

function checkFunction(value, what) {
  if (typeof value !== 'function') {
    throw typeError(`${what} must be a function, got ${kindOf(value)}`);
  }
  return value;
}

/** `true` for the new arm: the arm a call went through, as `'legacy'`, `'new'` or a boolean. */
function armIsNew(arm) {
  if (arm === 'new' || arm === true) return true;
  if (arm === 'legacy' || arm === false) return false;
  throw typeError(
    `arm must be 'legacy', 'new' or a boolean (true = new), got ` +
      `${typeof arm === 'string' ? JSON.stringify(arm) : kindOf(arm)}`,
  );
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof value.then === 'function';
}

/**
 * The failures a Rust new path would panic on are bugs in JavaScript too (a TypeError reading a
 * property of undefined, a ReferenceError, a stack overflow): counted as crashes, not errors.
 */
function isCrash(error) {
  return error instanceof TypeError || error instanceof ReferenceError ||
    error instanceof RangeError || error instanceof SyntaxError;
}

function messageOf(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return 'a value that cannot be shown';
  }
}

function jsonOf(value) {
  const text = JSON.stringify(value);
  return text === undefined ? 'null' : text;
}

/**
 * A context as one string, `name\0value\0` per attribute, for the addon to read in one call
 * (reading an object costs about five N-API calls per attribute). Undefined when the context is
 * not a plain object of strings, finite numbers and booleans, or holds a NUL: the addon then
 * reads the object itself, and refuses it with a TypeError naming what was wrong. Numbers are
 * spelled by String(), which is JSON's spelling for finite numbers.
 */
function flatContext(ctx) {
  if (ctx === undefined || ctx === null) return '';
  if (typeof ctx !== 'object' || Array.isArray(ctx)) return undefined;
  let flat = '';
  for (const name in ctx) {
    if (!Object.hasOwn(ctx, name)) return undefined;
    const value = ctx[name];
    const type = typeof value;
    if (type === 'string') {
      if (value.indexOf('\0') !== -1) return undefined;
    } else if (type === 'number') {
      if (!Number.isFinite(value)) return undefined;
    } else if (type !== 'boolean') {
      return undefined;
    }
    if (name.indexOf('\0') !== -1) return undefined;
    flat += name + '\0' + value + '\0';
  }
  return flat;
}

/** Comparison specs as JSON text, checked once per spec object. */
const specTexts = new WeakMap();

function specText(spec) {
  if (spec === undefined || spec === null) return null;
  if (typeof spec !== 'object' || Array.isArray(spec)) {
    throw typeError(
      `compare must be a comparison spec object such as {fields: {confidence: {rule: ` +
        `'within', eps: 0.05}}}, got ${kindOf(spec)}`,
    );
  }
  let text = specTexts.get(spec);
  if (text === undefined) {
    text = JSON.stringify(spec);
    native.checkComparisonSpec(text);
    specTexts.set(spec, text);
  }
  return text;
}

/** Timing of one call through an arm, handed to `measure`'s function. */
class Measurement {
  #bits = 0;
  #counters;

  constructor(counters) {
    this.#counters = counters;
  }

  /** Counts this call as failed (a thrown or rejected error is counted anyway). */
  error() {
    this.#bits |= 1;
  }

  /** Counts this call as having fallen back to the other path. */
  fallback() {
    this.#bits |= 2;
  }

  /** Counts this call as retried. */
  retry() {
    this.#bits |= 4;
  }

  /** Counts this call in one of the client's named counters. */
  count(name) {
    this.#bits |= this.#counters.bit(name);
  }

  get bits() {
    return this.#bits;
  }
}

/** The client's counter names and the bit `record` sends for each. */
class CounterBits {
  #bits = new Map();

  constructor(names) {
    names.forEach((name, i) => this.#bits.set(name, 2 ** (3 + i)));
  }

  bit(name) {
    const bit = this.#bits.get(name);
    if (bit === undefined) {
      const known = [...this.#bits.keys()];
      throw typeError(
        `unknown counter ${JSON.stringify(name)}; this client counts ` +
          (known.length ? known.map((n) => JSON.stringify(n)).join(', ') : 'no counters') +
          ' (name them in Client.connect\'s `counters` option)',
      );
    }
    return bit;
  }

  bitsOf(names) {
    if (!Array.isArray(names)) {
      throw typeError(`counters must be an array of counter names, got ${kindOf(names)}`);
    }
    let bits = 0;
    for (const name of names) bits |= this.bit(name);
    return bits;
  }
}

/** A cutover client: local evaluation against the live flags, outcomes, shadow runs. */
class Client {
  #native;
  #counters;
  /** What `native.isNewByName` and `recordByName` take: the hot path without the class-method glue. */
  #evaluator;
  #listeners = [];
  #subscribed = false;

  /** @private Use `Client.connect` or `Client.offline`. */
  constructor(nativeClient, counterNames) {
    if (!(nativeClient instanceof native.NativeClient)) {
      throw new TypeError('use Client.connect(url, token, options) or Client.offline(path)');
    }
    this.#native = nativeClient;
    this.#evaluator = nativeClient.evaluator();
    this.#counters = new CounterBits(counterNames);
  }

  /**
   * Follows the cutover server at `url` with an `sdk` token. Resolves once the first snapshot
   * is in (or, failing that within `initialTimeoutMs`, the cache file's flags).
   */
  static async connect(url, token, options) {
    checkString(url, 'url');
    checkString(token, 'token');
    const o = checkOptions(options, CONNECT_KEYS, 'Client.connect options');
    const counters = o.counters ?? [];
    if (!Array.isArray(counters) || counters.some((c) => typeof c !== 'string')) {
      throw typeError(`counters must be an array of counter names (strings), got ${kindOf(counters)}`);
    }
    const nativeClient = await native.connect(url, token, {
      cacheFile: o.cacheFile === undefined ? undefined : checkString(o.cacheFile, 'cacheFile'),
      initialTimeoutMs: checkNumber(o.initialTimeoutMs, 'initialTimeoutMs', { max: 2 ** 32 - 1 }),
      metricsIntervalMs: checkNumber(o.metricsIntervalMs, 'metricsIntervalMs', {
        min: 1,
        max: 2 ** 32 - 1,
      }),
      counters,
      env: envOf(o.env),
    });
    return new Client(nativeClient, counters);
  }

  /**
   * Evaluates the flags of a file written by `cutover export` (or a client cache) with no
   * server: for tests, CI and bootstrapping. `env` replaces the process's CUTOVER_FLAG_*
   * variables.
   */
  static offline(path, options) {
    checkString(path, 'path');
    const o = checkOptions(options, new Set(['env']), 'Client.offline options');
    return new Client(native.offline(path, envOf(o.env)), []);
  }

  /** Whether this context takes the new path. An unknown flag answers false (legacy). */
  isNew(flag, ctx) {
    const flat = flatContext(ctx);
    return flat === undefined ? this.#native.isNew(flag, ctx) : native.isNewByName(this.#evaluator, flag, flat);
  }

  /** The decision with the rule that made it: `{variant, reason, flagVersion}`. */
  decide(flag, ctx) {
    return this.#native.decide(flag, ctx);
  }

  /** `decide` plus the OpenFeature reason and the reason in words. */
  explain(flag, ctx) {
    return this.#native.explain(flag, ctx);
  }

  /** A handle on one flag for hot paths: no name lookup while the flags stay the same. */
  flag(name) {
    return new Flag(this, this.#native.flag(checkString(name, 'the flag name')));
  }

  /**
   * Counts one call through an arm of a flag, the input of guarded rollouts:
   * `record('checkout', 'new', {latencyMs: 12, error: true})`.
   */
  record(flag, arm, outcome) {
    const isNew = armIsNew(arm);
    let latencyMs = 0;
    let bits = 0;
    if (outcome !== undefined) {
      checkOptions(outcome, OUTCOME_KEYS, 'the outcome');
      if (outcome.latencyMs !== undefined) latencyMs = checkNumber(outcome.latencyMs, 'latencyMs');
      if (outcome.error) bits |= 1;
      if (outcome.fallback) bits |= 2;
      if (outcome.retry) bits |= 4;
      if (outcome.counters !== undefined) bits |= this.#counters.bitsOf(outcome.counters);
    }
    native.recordByName(this.#evaluator, flag, isNew, latencyMs, bits);
  }

  /**
   * Times `fn` as one call through an arm and records it. `fn` may return a Promise: the time
   * runs until it settles. A throw or rejection is counted as an error and passed on. `fn`
   * receives a measurement to mark the call (`m.error()`, `m.fallback()`, `m.retry()`,
   * `m.count(name)`).
   */
  measure(flag, arm, fn) {
    const isNew = armIsNew(arm);
    checkFunction(fn, 'measure\'s function');
    const m = new Measurement(this.#counters);
    const started = performance.now();
    const done = (failed) => {
      native.recordByName(this.#evaluator, flag, isNew, performance.now() - started, m.bits | (failed ? 1 : 0));
    };
    let result;
    try {
      result = fn(m);
    } catch (error) {
      done(true);
      throw error;
    }
    if (!isThenable(result)) {
      done(false);
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        done(false);
        return value;
      },
      (error) => {
        done(true);
        throw error;
      },
    );
  }

  /**
   * Serves `legacy`'s result and runs `new` beside it (when this context is in the sample),
   * bounded by `timeoutMs` (default 1000). The SDK compares the two results under `compare`
   * and counts agreements, mismatches, errors, crashes and timeouts per flag; they are uploaded
   * with the arm metrics. `new` receives `ReadOnly`: its result is thrown away.
   */
  async shadow(flag, ctx, options) {
    checkString(flag, 'the flag name');
    const o = checkOptions(options, SHADOW_KEYS, 'shadow options');
    const legacy = checkFunction(o.legacy, 'legacy');
    const newPath = checkFunction(o.new, 'new');
    const timeoutMs = checkNumber(o.timeoutMs ?? 1000, 'timeoutMs', { max: 2 ** 31 - 1 });
    const sample = checkNumber(o.sample ?? 100, 'sample', { max: 100 });
    const spec = specText(o.compare);
    if (!this.#native.shadowSampled(flag, ctx, sample)) return legacy();
    const served = Promise.resolve().then(legacy);
    const shadowed = runNewPath(newPath, timeoutMs);
    const result = await served;
    const outcome = await shadowed;
    let legacyText;
    try {
      legacyText = jsonOf(result);
    } catch (error) {
      process.emitWarning(
        `cutover: shadow run of ${flag} not compared: the legacy result is not JSON (${messageOf(error)})`,
        { code: 'CUTOVER_SHADOW' },
      );
      return result;
    }
    this.#native.shadowRecord(flag, ctx, spec, legacyText, outcome.kind, outcome.payload);
    return result;
  }

  /** What the shadow runs of `flag` found in this process (the SDK's report, as JSON). */
  shadowReport(flag) {
    return JSON.parse(this.#native.shadowReport(checkString(flag, 'the flag name')));
  }

  /**
   * Calls `callback(change)` after every change the client applies. A callback that throws is
   * reported as a process warning and the others still run; the stream goes on. Returns a
   * function that unsubscribes.
   */
  onChange(callback) {
    checkFunction(callback, 'the change callback');
    if (!this.#subscribed) {
      this.#native.onChange((change) => {
        for (const listener of [...this.#listeners]) {
          try {
            listener(change);
          } catch (error) {
            process.emitWarning(
              `cutover: a change callback threw (the stream goes on): ${error?.stack ?? messageOf(error)}`,
              { code: 'CUTOVER_CALLBACK' },
            );
          }
        }
      });
      this.#subscribed = true;
    }
    this.#listeners.push(callback);
    return () => {
      const i = this.#listeners.indexOf(callback);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** `{connected, seq, stalenessMs}`: stalenessMs is 0 while connected, null before any flags. */
  status() {
    const s = this.#native.status();
    return { connected: s.connected, seq: s.seq, stalenessMs: s.stalenessMs ?? null };
  }

  /** Uploads everything recorded so far now; resolves to the batches still waiting. */
  flushMetrics() {
    return this.#native.flushMetrics();
  }

  /** Batches of arm metrics dropped because the server could not take them in time. */
  droppedMetricBatches() {
    return this.#native.droppedMetricBatches();
  }

  /** Whether `close` was called. */
  get closed() {
    return this.#native.closed;
  }

  /**
   * Uploads what is left (arm metrics, shadow tallies), stops the stream and the uploads.
   * Evaluating or recording on a closed client throws.
   */
  async close() {
    this.#listeners.length = 0;
    await this.#native.close();
  }
}

/** One flag, resolved once. */
class Flag {
  #client;
  #native;
  #evaluator;

  constructor(client, nativeFlag) {
    this.#client = client;
    this.#native = nativeFlag;
    this.#evaluator = nativeFlag.evaluator();
  }

  get key() {
    return this.#native.key;
  }

  isNew(ctx) {
    const flat = flatContext(ctx);
    return flat === undefined ? this.#native.isNew(ctx) : native.isNewByHandle(this.#evaluator, flat);
  }

  /** `'legacy'` or `'new'`. */
  variant(ctx) {
    return this.#native.variant(ctx);
  }

  decide(ctx) {
    return this.#client.decide(this.#native.key, ctx);
  }

  record(arm, outcome) {
    this.#client.record(this.#native.key, arm, outcome);
  }

  measure(arm, fn) {
    return this.#client.measure(this.#native.key, arm, fn);
  }
}

/** Runs the new path (sync or async) under a timeout; what it did, for the SDK. */
function runNewPath(fn, timeoutMs) {
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
  });
  const ran = Promise.resolve()
    .then(() => fn(ReadOnly))
    .then(
      (value) => {
        try {
          return { kind: 'value', payload: jsonOf(value) };
        } catch (error) {
          return { kind: 'error', payload: `the result is not JSON: ${messageOf(error)}` };
        }
      },
      (error) => ({ kind: isCrash(error) ? 'crash' : 'error', payload: messageOf(error) }),
    );
  return Promise.race([ran, timedOut]).finally(() => clearTimeout(timer));
}

function envOf(env) {
  if (env === undefined) return undefined;
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    throw typeError(`env must be an object of CUTOVER_FLAG_* variables, got ${kindOf(env)}`);
  }
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') {
      throw typeError(`env variable ${name} must be a string, got ${kindOf(value)}`);
    }
  }
  return env;
}

module.exports = { Client, Flag, Measurement, ReadOnly };
