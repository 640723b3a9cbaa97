//! The email function: consumes `email-topic` and delivers each message to the
//! active subscribers in `exams.subscribers` (plus any extra addresses),
//! through SMTP or the Mailgun HTTP API, exactly once per recipient; serves the
//! Ory Kratos after-registration webhook that subscribes educators, and the
//! signed unsubscribe link every email carries. See `README.md`.

use std::sync::Arc;

use axum::Router;
use examfn_domain::names;
use examfn_runtime::config::{CommonConfig, Env};
use examfn_runtime::{mongo, server, telemetry, FnError, Service};

pub mod config;
mod deliver;
pub mod mailer;
pub mod store;
pub mod token;
pub mod web;

pub use config::Config;
pub use deliver::{message_of, EmailFn, Settings};
pub use mailer::Mailer;
pub use store::Store;

/// The function's own routes (webhook, unsubscribe), without the event endpoint.
pub fn app(state: Arc<EmailFn>) -> Router {
    web::routes(state)
}

/// The whole service: event endpoint, health, metrics and [`app`].
pub fn service(state: Arc<EmailFn>) -> Service<EmailFn> {
    Service::new("email", state.clone()).routes(app(state))
}

/// Build the function from its config (tests and `main`).
pub async fn build(cfg: &Config) -> anyhow::Result<Arc<EmailFn>> {
    let client = mongo::client(&cfg.mongo).await?;
    let db = client.database(&cfg.mongo.database);
    let mailer = Mailer::from_config(&cfg.provider)?;
    Ok(Arc::new(EmailFn::new(
        db,
        mailer,
        Settings::from_config(cfg),
    )))
}

/// Subscribe an address idempotently (the local platform's default educator,
/// the CLI). `Ok(true)` when it was added or re-activated, `Ok(false)` when it
/// was already an active subscriber.
pub async fn subscribe(db: &mongodb::Database, email: &str) -> Result<bool, FnError> {
    Ok(Store::new(db.clone())
        .subscribe(email, Some("educator"), None)
        .await?
        .changed())
}

/// Entry point of the binary and of `examfn run email`: everything comes from the environment.
pub fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let topic = env.string_or("EMAIL_TOPIC", names::EMAIL_TOPIC);
    let common = CommonConfig::from_env(&env, Some(&topic), "email")?;
    let cfg = Config::from_env(&env)?;
    telemetry::init(common.log_format, &common.log_filter);
    server::block_on_configured(&common.clone(), async move {
        let state = build(&cfg).await?;
        tracing::info!(
            provider = cfg.provider.name(),
            mode = ?cfg.mode,
            from = %cfg.from,
            public_base_url = %cfg.public_base_url,
            "email function configured"
        );
        if cfg.kratos_webhook_secret.is_none() {
            tracing::warn!("KRATOS_WEBHOOK_SECRET is not set: POST /hooks/kratos/after-registration answers 503");
        }
        server::serve(&common, service(state)).await?;
        Ok(())
    })
}
