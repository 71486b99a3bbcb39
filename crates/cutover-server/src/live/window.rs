//! The node's window of recent change events: what open streams read and what reconnecting
//! clients are replayed from, bounded both in events and in bytes (one event carries whole
//! flags, and a flag with many overrides is large).

use std::collections::VecDeque;
use std::sync::Arc;

/// Events kept at most.
pub(crate) const WINDOW_EVENTS: usize = 4096;
/// Bytes of event data kept at most (the newest event is kept whatever its size).
pub(crate) const WINDOW_BYTES: usize = 32 * 1024 * 1024;

/// One message of the change stream, serialised once for every client: the flags one committed
/// transaction changed.
#[derive(Debug)]
pub(crate) struct StreamEvent {
    /// The id of the transaction's last audit entry: the SSE event id.
    pub seq: u64,
    /// `change` for one flag, `changes` for several changed together (a preset, an import).
    pub kind: &'static str,
    pub data: String,
}

/// What a stream reads next.
pub(crate) enum Pull {
    /// The events after its position (possibly none yet).
    Events(Vec<Arc<StreamEvent>>),
    /// Its position fell out of the window, or the node reloaded its state: it starts over from
    /// a snapshot and follows this generation.
    Restart { generation: u64 },
}

pub(crate) struct Window {
    /// Every event after this sequence is in `events`.
    floor: u64,
    events: VecDeque<Arc<StreamEvent>>,
    bytes: usize,
    /// Moves when the node reloads its whole state: every stream starts over.
    generation: u64,
    max_events: usize,
    max_bytes: usize,
}

impl Window {
    pub(crate) fn new(head: u64) -> Self {
        Self::with_limits(head, WINDOW_EVENTS, WINDOW_BYTES)
    }

    pub(crate) fn with_limits(head: u64, max_events: usize, max_bytes: usize) -> Self {
        Window {
            floor: head,
            events: VecDeque::new(),
            bytes: 0,
            generation: 0,
            max_events: max_events.max(1),
            max_bytes,
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn push(&mut self, event: Arc<StreamEvent>) {
        self.bytes += event.data.len();
        self.events.push_back(event);
        while self.events.len() > self.max_events
            || (self.bytes > self.max_bytes && self.events.len() > 1)
        {
            let Some(old) = self.events.pop_front() else {
                break;
            };
            self.bytes -= old.data.len();
            self.floor = old.seq;
        }
    }

    /// Forgets every event: the node reloaded its state at `head`.
    pub(crate) fn restart(&mut self, head: u64) {
        self.events.clear();
        self.bytes = 0;
        self.floor = head;
        self.generation += 1;
    }

    /// Up to `max` events after `after` for a stream following `generation`.
    pub(crate) fn pull(&self, after: u64, generation: u64, max: usize) -> Pull {
        if generation != self.generation || after < self.floor {
            return Pull::Restart {
                generation: self.generation,
            };
        }
        Pull::Events(
            self.events
                .iter()
                .skip_while(|e| e.seq <= after)
                .take(max)
                .cloned()
                .collect(),
        )
    }

    /// The events in `(after, head]`, when the window still has all of them.
    pub(crate) fn between(&self, after: u64, head: u64) -> Option<Vec<Arc<StreamEvent>>> {
        (after >= self.floor).then(|| {
            self.events
                .iter()
                .filter(|e| e.seq > after && e.seq <= head)
                .cloned()
                .collect()
        })
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, size: usize) -> Arc<StreamEvent> {
        Arc::new(StreamEvent {
            seq,
            kind: "change",
            data: "x".repeat(size),
        })
    }

    fn seqs(pull: Pull) -> Vec<u64> {
        match pull {
            Pull::Events(events) => events.iter().map(|e| e.seq).collect(),
            Pull::Restart { .. } => panic!("restart"),
        }
    }

    #[test]
    fn the_window_is_bounded_in_bytes_and_moves_its_floor() {
        let mut w = Window::with_limits(0, 100, 1000);
        for seq in 1..=10 {
            w.push(event(seq, 300));
        }
        assert!(w.bytes() <= 1000, "{} bytes kept", w.bytes());
        assert_eq!(seqs(w.pull(7, 0, 10)), [8, 9, 10]);
        // A stream behind the floor starts over rather than miss events.
        assert!(matches!(w.pull(2, 0, 10), Pull::Restart { generation: 0 }));
        assert!(w.between(2, 10).is_none());
        assert_eq!(
            w.between(8, 10)
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>(),
            [9, 10]
        );
    }

    #[test]
    fn an_event_larger_than_the_whole_budget_is_still_kept_alone() {
        let mut w = Window::with_limits(0, 100, 10);
        w.push(event(1, 5));
        w.push(event(2, 50));
        assert_eq!(seqs(w.pull(1, 0, 10)), [2]);
        assert!(matches!(w.pull(0, 0, 10), Pull::Restart { .. }));
    }

    #[test]
    fn the_window_is_bounded_in_events_and_pulls_are_bounded_too() {
        let mut w = Window::with_limits(0, 3, usize::MAX);
        for seq in 1..=5 {
            w.push(event(seq, 1));
        }
        assert_eq!(seqs(w.pull(2, 0, 10)), [3, 4, 5]);
        assert_eq!(seqs(w.pull(2, 0, 2)), [3, 4]);
    }

    #[test]
    fn a_restart_sends_every_stream_of_the_old_generation_back_to_a_snapshot() {
        let mut w = Window::new(0);
        w.push(event(1, 1));
        w.restart(9);
        assert!(matches!(w.pull(1, 0, 10), Pull::Restart { generation: 1 }));
        assert_eq!(seqs(w.pull(9, 1, 10)), Vec::<u64>::new());
    }
}
