//! The client applications hold: evaluation against the live snapshot, status, callbacks.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cutover_core::{Attributes, Decision, EnvOverrides, Timestamp, Variant};

use crate::error::SdkError;
use crate::live::{Change, Live, instant_for, read_document};
use crate::metrics::Outcome;

/// Times one call through an arm; see [`Client::measure`].
pub struct Measure<'a> {
    client: &'a Client,
    flag: &'a str,
    arm: Variant,
    started: std::time::Instant,
    outcome: Outcome,
}

impl Measure<'_> {
    pub fn error(&mut self) {
        self.outcome.error = true;
    }

    pub fn fallback(&mut self) {
        self.outcome.fallback = true;
    }

    pub fn retry(&mut self) {
        self.outcome.retry = true;
    }

    /// Counts this call in one of the client's named counters.
    pub fn count(&mut self, counter: crate::metrics::Counter) {
        self.outcome = self.outcome.count(counter);
    }
}

impl Drop for Measure<'_> {
    fn drop(&mut self) {
        self.outcome.latency = self.started.elapsed();
        self.client.record(self.flag, self.arm, self.outcome);
    }
}

pub(crate) struct Inner {
    pub live: Arc<Live>,
    pub recorder: Arc<crate::metrics::Recorder>,
    follower: Option<tokio::task::AbortHandle>,
    uploader: Option<tokio::task::AbortHandle>,
    upload: Option<crate::upload::Uploader>,
    closed: std::sync::atomic::AtomicBool,
}

impl Inner {
    fn stop_tasks(&self) {
        for task in [&self.follower, &self.uploader].into_iter().flatten() {
            task.abort();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_tasks();
    }
}

/// A handle on the live flags; cheap to clone, share it across the application.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// Where the client stands with its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Whether the change stream is open now.
    pub connected: bool,
    /// The sequence (audit id) of the last change applied.
    pub seq: u64,
    /// How long the flags may have been out of date: zero while connected, else the time since
    /// the connection was lost (or since the cache or file was loaded); `None` before any.
    pub staleness: Option<Duration>,
}

/// Options of [`Client::connect`].
pub struct ClientBuilder {
    url: String,
    token: String,
    cache: Option<PathBuf>,
    initial_timeout: Duration,
    idle_timeout: Duration,
    metrics_interval: Duration,
    env: Option<EnvOverrides>,
    counters: Vec<String>,
}

impl ClientBuilder {
    pub fn new(url: &str, token: &str) -> Self {
        ClientBuilder {
            url: url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            cache: None,
            initial_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(45),
            metrics_interval: Duration::from_secs(5),
            env: None,
            counters: Vec::new(),
        }
    }

    /// Saves every state the client reaches to `path`, and starts from it when the server
    /// cannot be reached at start-up.
    pub fn cache_file(mut self, path: impl AsRef<Path>) -> Self {
        self.cache = Some(path.as_ref().to_owned());
        self
    }

    /// How long `connect` waits for the first snapshot (default 5 s).
    pub fn initial_timeout(mut self, timeout: Duration) -> Self {
        self.initial_timeout = timeout;
        self
    }

    /// Silence after which the stream is taken for dead and reopened (default 45 s, three
    /// server heartbeats).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How often recorded arm metrics are uploaded (default 5 s, at most 5 minutes: a server
    /// refuses windows that start more than 10 minutes before its time, so a longer interval
    /// is shortened to 5 minutes).
    pub fn metrics_interval(mut self, interval: Duration) -> Self {
        let most =
            Duration::from_secs(cutover_core::UPLOAD_WINDOW_PAST.as_secs().unsigned_abs() / 2);
        self.metrics_interval = interval.min(most);
        self
    }

    /// Names the service's own counters (at most 16, such as `invalid_json`), counted per flag
    /// and arm like errors and read by gates such as `new.invalid_json_rate <= 1%`. Count a
    /// call in one with [`Outcome::count`] and the [`Counter`] from [`Client::counter`].
    ///
    /// [`Outcome::count`]: crate::Outcome::count
    /// [`Counter`]: crate::metrics::Counter
    pub fn counters<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        self.counters = names.into_iter().map(str::to_owned).collect();
        self
    }

    /// Environment overrides to apply instead of this process's variables (its
    /// `CUTOVER_FLAG_*` ones and those flags declare by their own names).
    pub fn env_overrides(mut self, env: EnvOverrides) -> Self {
        self.env = Some(env);
        self
    }

    /// Opens the stream and waits for the first snapshot (or, failing that, a cache file).
    pub async fn connect(self) -> Result<Client, SdkError> {
        let stream_url =
            reqwest::Url::parse(&format!("{}/api/v1/stream", self.url)).map_err(|e| {
                SdkError::InvalidUrl {
                    url: self.url.clone(),
                    why: e.to_string(),
                }
            })?;
        let env = match self.env {
            Some(env) => env,
            None => process_env()?,
        };
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| SdkError::NoRuntime(e.to_string()))?;
        let live = Arc::new(Live::new(env, self.cache));
        let cached = live.load_cache();
        let (first_tx, first_rx) = tokio::sync::oneshot::channel();
        let follower = runtime.spawn(crate::stream::follow(
            live.clone(),
            crate::stream::Target {
                url: stream_url,
                token: self.token.clone(),
                idle_timeout: self.idle_timeout,
            },
            first_tx,
        ));
        let counters = crate::metrics::CounterNames::new(self.counters.iter().map(String::as_str))?;
        let recorder = Arc::new(crate::metrics::Recorder::with_counters(counters));
        let upload = crate::upload::Uploader::new(&self.url, &self.token, recorder.clone())?;
        let uploader = runtime.spawn(upload.clone().every(self.metrics_interval));
        let client = Client {
            inner: Arc::new(Inner {
                live,
                recorder,
                follower: Some(follower.abort_handle()),
                uploader: Some(uploader.abort_handle()),
                upload: Some(upload),
                closed: Default::default(),
            }),
        };
        match tokio::time::timeout(self.initial_timeout, first_rx).await {
            Ok(Ok(())) => Ok(client),
            _ if cached => Ok(client),
            outcome => Err(SdkError::NoInitialSnapshot {
                url: self.url,
                seconds: self.initial_timeout.as_secs(),
                why: match outcome {
                    Err(_) => "timed out".into(),
                    Ok(_) => "the stream ended".into(),
                },
            }),
        }
    }
}

fn process_env() -> Result<EnvOverrides, SdkError> {
    // vars_os, not vars: the latter panics on any variable that is not UTF-8, even one the
    // client never reads.
    EnvOverrides::from_os_vars(std::env::vars_os()).map_err(|errors| {
        SdkError::EnvOverride(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

impl Client {
    /// Follows the server at `url` (e.g. `http://cutover:7070`) with an `sdk` token.
    pub async fn connect(url: &str, token: &str) -> Result<Client, SdkError> {
        ClientBuilder::new(url, token).connect().await
    }

    /// Evaluates the flags of a file written by `cutover export` (JSON), or a client cache,
    /// with no server at all: for tests, CI and bootstrapping.
    pub fn offline(path: impl AsRef<Path>) -> Result<Client, SdkError> {
        Self::offline_with_env(path, process_env()?)
    }

    /// [`Client::offline`] with the `CUTOVER_FLAG_*` overrides given here instead of read from
    /// the process environment (tests, conformance checks, a host that reads them itself).
    pub fn offline_with_env(path: impl AsRef<Path>, env: EnvOverrides) -> Result<Client, SdkError> {
        let path = path.as_ref();
        let (flags, seq) = read_document(path).map_err(|why| SdkError::FlagFile {
            path: path.to_owned(),
            why,
        })?;
        let live = Arc::new(Live::new(env, None));
        live.replace_all(flags, seq);
        Ok(Client {
            inner: Arc::new(Inner {
                live,
                recorder: Default::default(),
                follower: None,
                uploader: None,
                upload: None,
                closed: Default::default(),
            }),
        })
    }

    /// The malformed values among the environment variables the current flags declare by their
    /// own names (`env`, `env_percent`, `env_stage`), each naming the variable, its value and
    /// what is accepted. Such a variable is left out (the flag evaluates as if it were unset)
    /// and logged once at WARN; a service that would rather not start can check this.
    pub fn env_problems(&self) -> Vec<String> {
        self.inner.live.env_problems()
    }

    /// Whether this context takes the new path. An unknown flag answers `false` (legacy).
    #[inline]
    pub fn is_new<A: Attributes + ?Sized>(&self, key: &str, ctx: &A) -> bool {
        self.variant(key, ctx, Variant::Legacy).is_new()
    }

    /// The variant for this context, or `default` for a flag the snapshot does not have.
    #[inline]
    pub fn variant<A: Attributes + ?Sized>(&self, key: &str, ctx: &A, default: Variant) -> Variant {
        let current = self.inner.live.current.load();
        match current.snapshot.get(key) {
            Some(flag) => flag.variant(ctx, instant_for(flag)),
            None => default,
        }
    }

    /// The full decision, with the rule that made it (for logs and metrics). An unknown flag
    /// answers `legacy` with reason `flag_not_found`.
    pub fn decide<A: Attributes + ?Sized>(&self, key: &str, ctx: &A) -> Decision<'static> {
        let current = self.inner.live.current.load();
        let now = current
            .snapshot
            .get(key)
            .map_or(Timestamp::UNIX_EPOCH, instant_for);
        current
            .snapshot
            .decide(key, ctx, now, Variant::Legacy)
            .into_owned()
    }

    /// Every flag as it stands now, for several decisions that must agree with one state (the
    /// components of a phase that a preset moves together).
    pub fn view(&self) -> crate::view::FlagView {
        crate::view::FlagView::new(self.inner.live.current.load_full())
    }

    pub fn status(&self) -> Status {
        let live = &self.inner.live;
        let connected = live.connected.load(Ordering::Acquire);
        let updated = live.updated_ms.load(Ordering::Acquire);
        let staleness = (updated > 0).then(|| {
            if connected {
                return Duration::ZERO;
            }
            let now = Timestamp::now().as_millisecond();
            Duration::from_millis(u64::try_from(now - updated).unwrap_or(0))
        });
        Status {
            connected,
            seq: live.seq.load(Ordering::Acquire),
            staleness,
        }
    }

    /// The counter named `name` at build time ([`ClientBuilder::counters`]), if any.
    pub fn counter(&self, name: &str) -> Option<crate::metrics::Counter> {
        self.inner.recorder.counters.find(name)
    }

    /// Counts one call through an arm of a flag: the input of guarded rollouts. A few atomic
    /// additions; never blocks.
    #[inline]
    pub fn record(&self, flag: &str, arm: Variant, outcome: Outcome) {
        self.inner.recorder.record(flag, arm, &outcome);
    }

    /// Times a call through an arm; the measurement is recorded when the guard is dropped.
    pub fn measure<'a>(&'a self, flag: &'a str, arm: Variant) -> Measure<'a> {
        Measure {
            client: self,
            flag,
            arm,
            started: std::time::Instant::now(),
            outcome: Outcome::default(),
        }
    }

    /// Uploads everything recorded so far now (also done every metrics interval). Returns the
    /// batches still waiting (0 when the server took them all). An offline client keeps its
    /// batches: it has nowhere to send them.
    pub async fn flush_metrics(&self) -> usize {
        match &self.inner.upload {
            Some(upload) => upload.cut_and_drain().await,
            None => self.inner.recorder.cut(),
        }
        self.inner.recorder.pending()
    }

    /// Batches of arm metrics dropped because the server could not take them in time.
    pub fn dropped_metric_batches(&self) -> u64 {
        self.inner
            .recorder
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Calls `callback` after every change the client applies (on the stream's task: keep it
    /// short).
    pub fn on_change(&self, callback: impl Fn(&Change) + Send + Sync + 'static) {
        self.inner.live.on_change(Box::new(callback));
    }

    /// Ends the client: uploads what was recorded (arm metrics and shadow tallies), then stops
    /// following the stream and uploading. Every clone and handle of this client sees it closed
    /// ([`Client::is_closed`]) and goes on answering from the last flags it had, which no longer
    /// change. Returns the metric batches that could not be uploaded (0 when the server took
    /// them all). Closing twice is harmless.
    pub async fn close(&self) -> usize {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return self.inner.recorder.pending();
        }
        let left = self.flush_metrics().await;
        self.inner.stop_tasks();
        self.inner.live.connected.store(false, Ordering::Release);
        left
    }

    /// Whether [`Client::close`] was called on this client or any of its clones.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }
}
