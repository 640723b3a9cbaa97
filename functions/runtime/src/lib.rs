//! The examfn function runtime.
//!
//! One way to write a function: implement [`Handler`] — a typed
//! `async fn handle(&self, event) -> Result<Outcome, FnError>` — and hand it to
//! [`serve`]. The same handler then runs
//!
//! * over HTTP as a Knative service (`FUNC_TRANSPORT=http`, the default): an
//!   axum server on `PORT` that takes CloudEvents in binary and structured
//!   mode, and plain JSON bodies (MinIO's webhook target), see [`http`];
//! * straight from Kafka (`FUNC_TRANSPORT=kafka`): records become events exactly
//!   as a Knative KafkaSource would deliver them, offsets are stored only after
//!   the handler succeeded, transient failures are retried with exponential
//!   backoff and records that still fail go to a dead-letter topic, see [`kafka`].
//!
//! Errors are classified once ([`FnError`]): malformed input is 400 and never
//! retried, a permanent domain failure is 422, dependency trouble is 503 and is
//! retried. Configuration is read once at start through [`config::Env`].

pub mod config;
pub mod error;
pub mod event;
pub mod handler;
pub mod http;
pub mod kafka;
pub mod metrics;
#[cfg(feature = "mongo")]
pub mod mongo;
#[cfg(feature = "s3")]
pub mod s3;
pub mod server;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use cloudevents;
pub use config::{CommonConfig, ConfigError, Env, Transport};
pub use error::FnError;
pub use handler::{Handler, Outcome};
pub use server::{serve, Service};
