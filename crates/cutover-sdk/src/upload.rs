//! Uploading arm metrics: `POST /api/v1/metrics` every interval, oldest batch first; a batch
//! the server does not take goes back to the queue for the next round.

use std::sync::Arc;
use std::time::Duration;

use crate::error::SdkError;
use crate::metrics::Recorder;

#[derive(Clone)]
pub(crate) struct Uploader {
    url: reqwest::Url,
    token: String,
    http: reqwest::Client,
    recorder: Arc<Recorder>,
    /// Held from the cut of a window to the end of its delivery, so a flush waits for a batch
    /// the periodic upload has cut or taken off the queue but not yet delivered (it returned
    /// early, and a process exiting right after lost that batch).
    sending: Arc<tokio::sync::Mutex<()>>,
}

impl Uploader {
    pub(crate) fn new(base: &str, token: &str, recorder: Arc<Recorder>) -> Result<Self, SdkError> {
        let url = reqwest::Url::parse(&format!("{base}/api/v1/metrics")).map_err(|e| {
            SdkError::InvalidUrl {
                url: base.to_owned(),
                why: e.to_string(),
            }
        })?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SdkError::InvalidUrl {
                url: base.to_owned(),
                why: e.to_string(),
            })?;
        Ok(Uploader {
            url,
            token: token.to_owned(),
            http,
            recorder,
            sending: Arc::default(),
        })
    }

    pub(crate) async fn every(self, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            self.cut_and_drain().await;
        }
    }

    /// Sends queued batches until the queue is empty or the server cannot take one now.
    ///
    /// A batch the server would refuse as invalid is let go (and counted as dropped) rather
    /// than sent again every round: it is checked with the server's own rules before it is
    /// sent (a batch that waited past the window the server accepts is the usual case), and a
    /// 4xx refusal of its content is final. A refusal for now (429, 5xx, no answer, a token
    /// not yet known) keeps it queued for the next round.
    /// Closes the current window and sends every queued batch, after any upload under way.
    pub(crate) async fn cut_and_drain(&self) {
        let _sending = self.sending.lock().await;
        self.recorder.cut();
        self.drain().await;
    }

    async fn drain(&self) {
        while let Some(batch) = self.recorder.next_batch() {
            if let Err(e) = batch.check(cutover_core::Timestamp::now()) {
                tracing::warn!(error = %e, "arm metrics the server would refuse; dropping them");
                self.recorder.drop_batch(batch);
                continue;
            }
            let sent = self
                .http
                .post(self.url.clone())
                .bearer_auth(&self.token)
                .json(&batch)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {}
                Ok(r) if refused_for_good(r.status()) => {
                    tracing::warn!(status = %r.status(), "the server refused arm metrics as invalid; dropping them");
                    self.recorder.drop_batch(batch);
                }
                Ok(r) => {
                    tracing::warn!(status = %r.status(), "the server refused arm metrics; keeping them");
                    self.recorder.requeue(batch);
                    return;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "cannot upload arm metrics yet");
                    self.recorder.requeue(batch);
                    return;
                }
            }
        }
    }
}

/// A refusal of the batch itself, which sending it again cannot change: bad request, invalid,
/// too large, no such route. Authentication (401, 403), timeouts (408) and rate limits (429)
/// may pass later.
fn refused_for_good(status: reqwest::StatusCode) -> bool {
    status.is_client_error() && ![401, 403, 408, 429].contains(&status.as_u16())
}

#[cfg(test)]
mod tests;
