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

    /// Handle several events at once (the Kafka transport's batches,
    /// `KAFKA_BATCH_MAX`): a function whose work can be shared across events
    /// (one database round trip for many) overrides this.
    ///
    /// The contract: return one result per event, in the order of `events`,
    /// for the whole list or for a prefix of it. Events past the returned
    /// prefix were not attempted; the transport handles them one by one with
    /// [`Handler::handle`]. An `Ok` means that event's work is done; a
    /// retryable error makes the transport retry that event alone (with
    /// backoff, then the dead-letter topic), so an override must leave a
    /// failed event in a state from which `handle` can redo it (the same
    /// idempotency every delivery needs). The order of effects inside one
    /// batch is the handler's choice; events that must stay ordered relative
    /// to each other (same key) must be handled as the sequence would be.
    ///
    /// The default handles the events one by one and stops at the first
    /// error, so a handler that does not override it behaves exactly as with
    /// one record at a time.
    fn handle_batch(&self, events: Vec<Event>) -> impl Future<Output = Vec<Result<Outcome, FnError>>> + Send {
        async move {
            let mut out = Vec::with_capacity(events.len());
            for ev in events {
                let r = self.handle(ev).await;
                let failed = r.is_err();
                out.push(r);
                if failed {
                    break;
                }
            }
            out
        }
    }

    /// Called once when the Kafka transport gives up on an event whose
    /// failures were all retryable (`KAFKA_MAX_RETRIES` exhausted), just
    /// before the record goes to the dead-letter topic, so the function can
    /// record the failure where people look (exam-gen: the upload's status
    /// becomes `failed` with the reason). A replay from the dead-letter topic
    /// later runs `handle` again as usual. The default does nothing.
    fn gave_up(&self, event: &Event, error: &FnError) -> impl Future<Output = ()> + Send {
        let _ = (event, error);
        async {}
    }

    /// Whether the function's dependencies are usable right now
    /// (`/health/readiness`). The default is always ready.
    fn ready(&self) -> impl Future<Output = Result<(), String>> + Send {
        async { Ok(()) }
    }
}
