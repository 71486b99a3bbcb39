//! Where a guarded rollout is on its plan (the run the flag holds) and the moves people make on
//! it: plain data, apart from the moves themselves (`run.rs`), which work on the whole flag.

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::wire::action::AuditAction;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The guard looks every second and moves it.
    Running,
    /// Held by a person, or by the guard for lack of data: only a resume, a promote or an
    /// abort moves it.
    Paused,
    /// A gate failed and the guard rolled back or stepped down. Like a pause, but nothing,
    /// not even an edit of the plan, lets it advance without an explicit resume.
    Breached,
    Completed,
    Aborted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Paused => "paused",
            RunStatus::Breached => "breached",
            RunStatus::Completed => "completed",
            RunStatus::Aborted => "aborted",
        }
    }

    pub(crate) fn is_over(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Aborted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutRun {
    pub status: RunStatus,
    /// The plan step the rollout is on.
    pub step: usize,
    /// Extra bakes the current step has taken.
    pub extensions: u32,
    pub started_at: Timestamp,
    /// When each step whose figures count as evidence began, oldest first; the last is the
    /// current step's start. A resume starts the list afresh: the person who resumed has
    /// judged the old evidence.
    pub evidence: Vec<Timestamp>,
    /// Why it is paused, breached or over, with the numbers when the guard decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RolloutRun {
    pub fn step_started_at(&self) -> Timestamp {
        self.evidence.last().copied().unwrap_or(self.started_at)
    }

    /// How long the current step has baked at `now`: zero when `now` is before its start (a
    /// node whose clock is behind the one that began the step waits; it never counts ahead).
    pub fn baked(&self, now: Timestamp) -> Duration {
        now.duration_since(self.step_started_at())
            .try_into()
            .unwrap_or(Duration::ZERO)
    }

    /// The spans of constant exposure the evidence covers, oldest first; the last ends `now`.
    pub fn evidence_spans(&self, now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let mut spans = Vec::with_capacity(self.evidence.len());
        for (i, start) in self.evidence.iter().enumerate() {
            let end = self.evidence.get(i + 1).copied().unwrap_or(now);
            spans.push((*start, end));
        }
        spans
    }
}

/// A person's move on a guarded rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMove {
    Start,
    Pause,
    Resume,
    /// The next step now, without waiting for the bake.
    Promote,
    /// Straight to 100 %: the rollout is complete.
    PromoteFull,
    /// Back to 0 % and stop.
    Abort,
}

impl RunMove {
    pub fn action(self) -> AuditAction {
        match self {
            RunMove::Start => AuditAction::RolloutStart,
            RunMove::Pause => AuditAction::RolloutPause,
            RunMove::Resume => AuditAction::RolloutResume,
            RunMove::Promote | RunMove::PromoteFull => AuditAction::RolloutPromote,
            RunMove::Abort => AuditAction::RolloutAbort,
        }
    }
}
