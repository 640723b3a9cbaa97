//! The one trait a function implements.

use std::future::Future;

use cloudevents::Event;

use crate::FnError;

/// What a handler did with an event that it accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The work was done; the value is returned to HTTP callers as the body.
    Done(serde_json::Value),
    /// Nothing to do for this event (not ours, already done, a delete, ...);
    /// acknowledged with the reason, which is logged.
    Skipped(String),
}

impl Outcome {
    pub fn done(value: impl serde::Serialize) -> Self {
        Self::Done(serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
    }
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self::Skipped(reason.into())
    }
}

/// A function: a typed `async fn` over one event, plus a readiness probe.
///
/// The same handler is served over HTTP (Knative) and straight from Kafka; it
/// never knows which. It must be idempotent: both transports deliver at least
/// once.
pub trait Handler: Send + Sync + 'static {
    /// Handle one event.
    fn handle(&self, event: Event) -> impl Future<Output = Result<Outcome, FnError>> + Send;

    /// Whether the function's dependencies are usable right now
    /// (`/health/readiness`). The default is always ready.
    fn ready(&self) -> impl Future<Output = Result<(), String>> + Send {
        async { Ok(()) }
    }
}
