//! Request and response bodies as the connection layer hands them on: a request body that must
//! arrive whole within a deadline, and a response body that keeps its connection busy until it
//! is sent (a change stream for as long as it lasts).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use super::registry::InFlight;

/// The request body took longer than the node allows to arrive.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub(crate) struct BodyDeadline(pub Duration);

/// A request body that fails once `limit` has passed since the request head arrived, however
/// slowly or steadily its bytes trickle in.
pub(crate) struct DeadlineBody {
    inner: Body,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl DeadlineBody {
    pub(crate) fn new(inner: Body, limit: Duration) -> Self {
        DeadlineBody {
            inner,
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyDeadline(self.limit))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that holds its request's place among the busy ones until it is dropped.
pub(crate) struct BusyBody {
    inner: Body,
    _in_flight: InFlight,
}

impl BusyBody {
    pub(crate) fn new(inner: Body, in_flight: InFlight) -> Self {
        BusyBody {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl http_body::Body for BusyBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The deadline of [`DeadlineBody`] behind a body error, however deeply wrapped.
pub(crate) fn body_deadline<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a BodyDeadline> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(deadline) = e.downcast_ref::<BodyDeadline>() {
            return Some(deadline);
        }
        current = e.source();
    }
    None
}
