//! The native client: one `cutover_sdk::Client` and the calls JavaScript makes on it.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use cutover_core::{ComparisonSpec, EnvOverrides, Rollout, Variant};
use cutover_sdk::{Change, Client, ClientBuilder, Counter, NewOutcome, Outcome};
use napi::bindgen_prelude::{Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsValue, Result, Status};
use napi_derive::napi;
use serde_json::Value;

use crate::context::{with_context, with_name};
use crate::failure::{closed, error, type_error};
use crate::flag::NativeFlag;

/// Options of `connect`, as `index.js` passes them.
#[napi(object)]
pub struct ConnectOptions {
    pub cache_file: Option<String>,
    pub initial_timeout_ms: Option<u32>,
    pub metrics_interval_ms: Option<u32>,
    pub counters: Option<Vec<String>>,
    /// `CUTOVER_FLAG_*` overrides to apply instead of the process environment's.
    pub env: Option<HashMap<String, String>>,
}

/// A decision: the variant, the rule that made it (cutover's reason, as JSON: `kind` and the
/// fields of that kind), the flag version.
#[napi(object)]
pub struct NativeDecision {
    pub variant: String,
    pub reason: Value,
    pub flag_version: i64,
}

/// A decision with what the OpenFeature provider also reports.
#[napi(object)]
pub struct ExplainedDecision {
    pub variant: String,
    pub reason: Value,
    pub flag_version: i64,
    /// The OpenFeature resolution reason (`STATIC`, `TARGETING_MATCH`, `SPLIT`, ...).
    pub openfeature_reason: String,
    /// The reason in words.
    pub explanation: String,
}

#[napi(object)]
pub struct NativeStatus {
    pub connected: bool,
    pub seq: i64,
    /// How long the flags may have been out of date (0 while connected); null before any.
    pub staleness_ms: Option<f64>,
}

/// What a change callback receives.
#[napi(object)]
pub struct ChangeEvent {
    /// `snapshot` (a whole new state) or `flag` (one flag changed).
    pub kind: String,
    pub seq: i64,
    /// The flag that changed (kind `flag`).
    pub flag: Option<String>,
    /// Whether that flag was deleted (kind `flag`).
    pub deleted: Option<bool>,
    /// How many flags the new state holds (kind `snapshot`).
    pub flags: Option<u32>,
}

impl From<&Change> for ChangeEvent {
    fn from(change: &Change) -> Self {
        let seq = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
        match change {
            Change::Snapshot { seq: s, flags } => ChangeEvent {
                kind: "snapshot".into(),
                seq: seq(*s),
                flag: None,
                deleted: None,
                flags: Some(u32::try_from(*flags).unwrap_or(u32::MAX)),
            },
            Change::Flag {
                seq: s,
                key,
                deleted,
            } => ChangeEvent {
                kind: "flag".into(),
                seq: seq(*s),
                flag: Some(key.clone()),
                deleted: Some(*deleted),
                flags: None,
            },
        }
    }
}

type ChangeCallback = ThreadsafeFunction<ChangeEvent, (), ChangeEvent, Status, false, true>;

#[napi]
pub struct NativeClient {
    pub(crate) client: Client,
    /// The client's counters by the bit `index.js` gives each: the order they were named in.
    counters: Vec<Counter>,
}

/// Bits of `record`'s `outcome` argument; counters follow from bit 3 on.
const ERROR: u32 = 1;
const FALLBACK: u32 = 1 << 1;
const RETRY: u32 = 1 << 2;
const FIRST_COUNTER: u32 = 3;

fn env_overrides(vars: HashMap<String, String>) -> Result<EnvOverrides> {
    EnvOverrides::from_vars(vars).map_err(|errors| {
        error(format!(
            "invalid environment override: {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })
}

/// Follows the server at `url` with an `sdk` token; resolves once the first snapshot (or the
/// cache file) is in.
#[napi(js_name = "connect")]
pub async fn connect(url: String, token: String, options: ConnectOptions) -> Result<NativeClient> {
    let mut builder = ClientBuilder::new(&url, &token);
    if let Some(path) = &options.cache_file {
        builder = builder.cache_file(path);
    }
    if let Some(ms) = options.initial_timeout_ms {
        builder = builder.initial_timeout(Duration::from_millis(ms.into()));
    }
    if let Some(ms) = options.metrics_interval_ms {
        builder = builder.metrics_interval(Duration::from_millis(ms.into()));
    }
    let names = options.counters.unwrap_or_default();
    builder = builder.counters(names.iter().map(String::as_str));
    if let Some(vars) = options.env {
        builder = builder.env_overrides(env_overrides(vars)?);
    }
    let client = builder.connect().await.map_err(|e| error(e.to_string()))?;
    let counters = names
        .iter()
        .filter_map(|name| client.counter(name))
        .collect();
    Ok(NativeClient { client, counters })
}

/// Evaluates the flags of a `cutover export` file (or a client cache) with no server.
#[napi(js_name = "offline", catch_unwind)]
pub fn offline(path: String, env: Option<HashMap<String, String>>) -> Result<NativeClient> {
    let client = match env {
        Some(vars) => Client::offline_with_env(&path, env_overrides(vars)?),
        None => Client::offline(&path),
    }
    .map_err(|e| error(e.to_string()))?;
    Ok(NativeClient {
        client,
        counters: Vec::new(),
    })
}

pub(crate) fn variant_name(variant: Variant) -> String {
    variant.as_str().to_owned()
}

impl NativeClient {
    fn open(&self) -> Result<&Client> {
        if self.client.is_closed() {
            return Err(closed());
        }
        Ok(&self.client)
    }
}

#[napi]
impl NativeClient {
    /// Whether this context takes the new path; an unknown flag answers false.
    #[napi(catch_unwind)]
    pub fn is_new(&self, env: Env, flag: Unknown<'_>, ctx: Unknown<'_>) -> Result<bool> {
        let client = self.open()?;
        let raw = env.raw();
        with_name(raw, flag.raw(), "the flag name", |key| {
            with_context(raw, ctx.raw(), |attributes| client.is_new(key, attributes))
        })
        .and_then(|inner| inner)
        .map_err(|refused| type_error(&env, refused))
    }

    /// The full decision; an unknown flag answers legacy with reason `flag_not_found`.
    #[napi(catch_unwind)]
    pub fn decide(&self, env: Env, flag: Unknown<'_>, ctx: Unknown<'_>) -> Result<NativeDecision> {
        let client = self.open()?;
        let raw = env.raw();
        let decision = with_name(raw, flag.raw(), "the flag name", |key| {
            with_context(raw, ctx.raw(), |attributes| client.decide(key, attributes))
        })
        .and_then(|inner| inner)
        .map_err(|refused| type_error(&env, refused))?;
        Ok(NativeDecision {
            variant: variant_name(decision.variant),
            reason: serde_json::to_value(&decision.reason).map_err(|e| error(e.to_string()))?,
            flag_version: i64::try_from(decision.flag_version).unwrap_or(i64::MAX),
        })
    }

    /// `decide` with the OpenFeature reason and the explanation in words.
    #[napi(catch_unwind)]
    pub fn explain(
        &self,
        env: Env,
        flag: Unknown<'_>,
        ctx: Unknown<'_>,
    ) -> Result<ExplainedDecision> {
        let client = self.open()?;
        let raw = env.raw();
        let decision = with_name(raw, flag.raw(), "the flag name", |key| {
            with_context(raw, ctx.raw(), |attributes| client.decide(key, attributes))
        })
        .and_then(|inner| inner)
        .map_err(|refused| type_error(&env, refused))?;
        Ok(ExplainedDecision {
            variant: variant_name(decision.variant),
            reason: serde_json::to_value(&decision.reason).map_err(|e| error(e.to_string()))?,
            flag_version: i64::try_from(decision.flag_version).unwrap_or(i64::MAX),
            openfeature_reason: decision.reason.openfeature().to_owned(),
            explanation: decision.reason.to_string(),
        })
    }

    /// The evaluator `index.js` passes to `isNewByName` and `recordByName`: the hot path
    /// without napi-rs's per-call glue (see `fast.rs`).
    #[napi(catch_unwind)]
    pub fn evaluator(&self, env: Env) -> Result<Unknown<'static>> {
        crate::fast::external(
            &env,
            crate::fast::Evaluator::ByName {
                client: self.open()?.clone(),
                counters: self.counters.clone(),
            },
        )
    }

    /// A handle on one flag for hot paths.
    #[napi(catch_unwind)]
    pub fn flag(&self, name: String) -> Result<NativeFlag> {
        let client = self.open()?;
        let handle = client.flag(&name).map_err(|e| {
            error(format!(
                "invalid flag name {name:?}: {e}; a flag key is lowercase letters, digits, '-' \
                 and '_'"
            ))
        })?;
        Ok(NativeFlag::new(handle, client.clone()))
    }

    /// Whether a shadow run of `flag` includes this context (sticky, `sample_percent` of them).
    #[napi(catch_unwind)]
    pub fn shadow_sampled(
        &self,
        env: Env,
        flag: String,
        ctx: Unknown<'_>,
        sample_percent: f64,
    ) -> Result<bool> {
        let client = self.open()?;
        let sample = sample_of(sample_percent)?;
        with_context(env.raw(), ctx.raw(), |attributes| {
            client.shadow(&flag, attributes).sample(sample).sampled()
        })
        .map_err(|refused| type_error(&env, refused))
    }

    /// Counts one shadow run whose new path JavaScript ran: the SDK compares a returned value
    /// with legacy's under the spec and adds the findings to the flag's tallies. Values come
    /// as JSON text. `outcome` is `value`, `error`, `crash` or `timeout`.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn shadow_record(
        &self,
        env: Env,
        flag: String,
        ctx: Unknown<'_>,
        spec: Option<String>,
        legacy: String,
        outcome: String,
        payload: Option<String>,
    ) -> Result<()> {
        let client = self.open()?;
        let spec = match spec {
            Some(text) => comparison_spec(&text)?,
            None => ComparisonSpec::default(),
        };
        let legacy: Value = serde_json::from_str(&legacy)
            .map_err(|e| error(format!("the legacy result is not JSON: {e}")))?;
        let outcome = match (outcome.as_str(), payload) {
            ("value", Some(text)) => NewOutcome::Done(
                serde_json::from_str(&text)
                    .map_err(|e| error(format!("the new result is not JSON: {e}")))?,
            ),
            ("error", message) => NewOutcome::Error(message.unwrap_or_default()),
            ("crash", _) => NewOutcome::Panicked,
            ("timeout", _) => NewOutcome::TimedOut,
            (other, _) => {
                return Err(error(format!(
                    "unknown shadow outcome {other:?}; expected value, error, crash or timeout"
                )));
            }
        };
        let ctx = with_context(env.raw(), ctx.raw(), |attributes| attributes.to_context())
            .map_err(|refused| type_error(&env, refused))?;
        client
            .shadow(&flag, &ctx)
            .compare(spec)
            .record(&legacy, outcome);
        Ok(())
    }

    /// What the shadow runs of `flag` found in this process, as the JSON the SDK reports.
    #[napi(catch_unwind)]
    pub fn shadow_report(&self, flag: String) -> Result<String> {
        serde_json::to_string(&self.client.shadow_report(&flag)).map_err(|e| error(e.to_string()))
    }

    /// Calls `callback` with every change the client applies. Exceptions it throws are caught
    /// by `index.js`'s dispatcher; a panic on the Rust side is caught here.
    #[napi(catch_unwind)]
    pub fn on_change(&self, callback: Function<'_, ChangeEvent, ()>) -> Result<()> {
        let client = self.open()?;
        let callback: ChangeCallback = callback
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        client.on_change(move |change| {
            let _ = catch_unwind(AssertUnwindSafe(|| {
                callback.call(
                    ChangeEvent::from(change),
                    ThreadsafeFunctionCallMode::NonBlocking,
                )
            }));
        });
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn status(&self) -> NativeStatus {
        let status = self.client.status();
        NativeStatus {
            connected: status.connected,
            seq: i64::try_from(status.seq).unwrap_or(i64::MAX),
            staleness_ms: status.staleness.map(|d| d.as_secs_f64() * 1000.0),
        }
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Batches of arm metrics dropped because the server could not take them in time.
    #[napi(catch_unwind)]
    pub fn dropped_metric_batches(&self) -> i64 {
        i64::try_from(self.client.dropped_metric_batches()).unwrap_or(i64::MAX)
    }

    /// Uploads what was recorded so far; resolves to the batches still waiting.
    #[napi]
    pub async fn flush_metrics(&self) -> Result<u32> {
        let client = self.open()?.clone();
        let pending = client.flush_metrics().await;
        Ok(u32::try_from(pending).unwrap_or(u32::MAX))
    }

    /// Uploads what is left, stops the stream and the uploads; resolves to the metric batches
    /// the server could not take. Later evaluations throw; closing again does nothing.
    #[napi]
    pub async fn close(&self) -> Result<u32> {
        let left = self.client.close().await;
        Ok(u32::try_from(left).unwrap_or(u32::MAX))
    }
}

/// The outcome `record`'s arguments describe: `bits` holds the error/fallback/retry bits and,
/// from bit 3 on, the client's `counters` in the order they were named.
pub(crate) fn outcome_of(counters: &[Counter], latency_ms: f64, bits: u32) -> Outcome {
    let latency = if latency_ms.is_finite() && latency_ms > 0.0 {
        Duration::from_secs_f64(latency_ms / 1000.0)
    } else {
        Duration::ZERO
    };
    let mut outcome = Outcome {
        latency,
        error: bits & ERROR != 0,
        fallback: bits & FALLBACK != 0,
        retry: bits & RETRY != 0,
        ..Outcome::default()
    };
    let mut rest = bits >> FIRST_COUNTER;
    while rest != 0 {
        let i = rest.trailing_zeros() as usize;
        if let Some(counter) = counters.get(i) {
            outcome = outcome.count(*counter);
        }
        rest &= rest - 1;
    }
    outcome
}

fn comparison_spec(text: &str) -> Result<ComparisonSpec> {
    serde_json::from_str(text).map_err(|e| {
        error(format!(
            "invalid comparison spec {text}: {e}; expected {{\"fields\": {{\"<path>\": \
             {{\"rule\": \"exact\" | \"ignore\" | \"unordered\" | \"must_include\" | \"within\" with \"eps\"}}}}}}"
        ))
    })
}

/// Refuses a comparison spec the SDK would not take, before a shadow run starts.
#[napi(catch_unwind)]
pub fn check_comparison_spec(text: String) -> Result<()> {
    comparison_spec(&text).map(|_| ())
}

fn sample_of(percent: f64) -> Result<Rollout> {
    if !(0.0..=100.0).contains(&percent) {
        return Err(error(format!(
            "shadow sample {percent} is not a percentage; expected 0 to 100"
        )));
    }
    Rollout::from_percent_str(&percent.to_string())
        .map_err(|e| error(format!("shadow sample {percent}: {e}")))
}
