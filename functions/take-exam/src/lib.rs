//! take-exam: the exam API and web UI for students and educators.
//!
//! Students list exams, fetch one without its answers, and submit their
//! answers; grading happens here, and the result document goes into
//! `exams.score` once per `Idempotency-Key`. Educators upload lectures, watch
//! generation status, preview exams and read the scoreboard. Every API call
//! carries a JWT (Oathkeeper's `id_token` in the cluster, a dev token locally),
//! see [`auth`]. HTTP only: no event endpoint.

pub mod api;
pub mod attempts;
pub mod auth;
pub mod closing;
pub mod devauth;
pub mod educator;
pub mod exams;
pub mod overrides;
pub mod owners;
pub mod provenance;
pub mod reports;
pub mod results;
pub mod review;
pub mod student;
pub mod ui;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use examfn_runtime::config::{CommonConfig, ConfigError, Env};
use examfn_runtime::mongo::MongoConfig;
use examfn_runtime::s3::S3Config;
use examfn_runtime::{FnError, Handler, Outcome, Service};

use crate::auth::{JwksSource, Verifier};
use crate::devauth::DevKeys;
use crate::exams::ExamStore;
use crate::attempts::Attempts;
use crate::overrides::Overrides;
use crate::owners::Owners;
use crate::results::Results;
use crate::review::Reviews;

/// How identities are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthConfig {
    /// The cluster: a JWKS URL or file, with the expected issuer and audience.
    Jwks { source: JwksSource, issuer: String, audience: String },
    /// Local development: trust `dir/jwks.json` made by [`devauth::ensure_keys`].
    Dev { dir: PathBuf, issuer: String, audience: String },
}

/// take-exam's own settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub mongo: MongoConfig,
    pub s3: S3Config,
    pub auth: AuthConfig,
    /// Origins allowed to call the API cross-origin; empty = same-origin only.
    pub cors_allowed_origins: Vec<String>,
    /// Largest accepted lecture upload.
    pub upload_max_bytes: usize,
    /// How long a cached exam is served before its ETag is checked again.
    pub exam_cache_ttl: Duration,
    /// `EXAM_PUBLISH_ON_GENERATION`: a generated exam is published at once
    /// (the behaviour before review existed) instead of being a draft.
    pub publish_on_generation: bool,
    /// `ATTEMPT_GRACE_SECONDS`: how long after an attempt's deadline a submit is still accepted.
    pub attempt_grace: Duration,
    /// `EXAM_ADMIN_EMAIL`: the educator who owns exams without an owner
    /// (uploaded before ownership, or put straight into the bucket); None:
    /// such exams stay shared by every educator.
    pub exam_admin_email: Option<String>,
    /// `ATTEMPT_SWEEP_SECONDS`: how often the process closes attempts whose
    /// time ran out unsubmitted (0: only when they are read).
    pub attempt_sweep: Duration,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let jwks = env.optional("AUTH_JWKS_URL");
        let dev_dir = env.optional("AUTH_DEV_KEYS_DIR");
        let audience = env.string_or("AUTH_AUDIENCE", devauth::DEV_AUDIENCE);
        let auth = match (jwks, dev_dir) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    "AUTH_DEV_KEYS_DIR",
                    "<set>",
                    "development sign-in is refused when AUTH_JWKS_URL (real identities) is configured",
                ))
            }
            (Some(url), None) => AuthConfig::Jwks {
                source: JwksSource::parse(&url).map_err(|e| ConfigError::invalid("AUTH_JWKS_URL", url.clone(), e))?,
                issuer: env.required("AUTH_ISSUER")?,
                audience,
            },
            (None, Some(dir)) => AuthConfig::Dev {
                dir: PathBuf::from(dir),
                issuer: env.string_or("AUTH_ISSUER", devauth::DEV_ISSUER),
                audience,
            },
            (None, None) => {
                return Err(ConfigError::Missing {
                    name: "AUTH_JWKS_URL".into(),
                    hint: " (the JWKS that signs Oathkeeper's id_token; or AUTH_DEV_KEYS_DIR for local development)"
                        .into(),
                })
            }
        };
        let cors_allowed_origins: Vec<String> = env
            .optional("CORS_ALLOWED_ORIGINS")
            .map(|v| v.split(',').map(|s| s.trim().trim_end_matches('/').to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        for o in &cors_allowed_origins {
            if o == "*" || !(o.starts_with("http://") || o.starts_with("https://")) {
                return Err(ConfigError::invalid(
                    "CORS_ALLOWED_ORIGINS",
                    o.clone(),
                    "list explicit http(s) origins separated by commas (no wildcard)",
                ));
            }
        }
        let upload_max_bytes: usize = env.parse_or("UPLOAD_MAX_BYTES", 25 * 1024 * 1024usize)?;
        if upload_max_bytes < 1024 {
            return Err(ConfigError::invalid("UPLOAD_MAX_BYTES", upload_max_bytes.to_string(), "must be at least 1024"));
        }
        let ttl_ms: u64 = env.parse_or("EXAM_CACHE_TTL_MS", 1000u64)?;
        let grace: u64 = env.parse_or("ATTEMPT_GRACE_SECONDS", 30u64)?;
        if grace > 600 {
            return Err(ConfigError::invalid("ATTEMPT_GRACE_SECONDS", grace.to_string(), "must be at most 600"));
        }
        let exam_admin_email = env.optional("EXAM_ADMIN_EMAIL").map(|e| owners::normal_email(&e)).filter(|e| !e.is_empty());
        if let Some(e) = &exam_admin_email {
            if !owners::valid_email(e) {
                return Err(ConfigError::invalid("EXAM_ADMIN_EMAIL", e.clone(), "must be an email address"));
            }
        }
        let sweep: u64 = env.parse_or("ATTEMPT_SWEEP_SECONDS", 60u64)?;
        if sweep > 86_400 {
            return Err(ConfigError::invalid("ATTEMPT_SWEEP_SECONDS", sweep.to_string(), "must be at most 86400 (0 turns the sweep off)"));
        }
        Ok(Self {
            mongo: MongoConfig::from_env(env)?,
            s3: S3Config::from_env(env)?,
            auth,
            cors_allowed_origins,
            upload_max_bytes,
            exam_cache_ttl: Duration::from_millis(ttl_ms),
            publish_on_generation: env.flag("EXAM_PUBLISH_ON_GENERATION", false)?,
            attempt_grace: Duration::from_secs(grace),
            exam_admin_email,
            attempt_sweep: Duration::from_secs(sweep),
        })
    }
}

/// Everything a request needs.
pub struct Inner {
    pub exams: ExamStore,
    pub results: Results,
    pub reviews: Reviews,
    pub attempts: Attempts,
    pub owners: Owners,
    pub overrides: Overrides,
    /// Accepted lateness of a submit after its attempt's deadline.
    pub attempt_grace: chrono::Duration,
    pub verifier: Verifier,
    /// Set in development mode: mints tokens for the dev sign-in page.
    pub dev: Option<DevKeys>,
    pub cors_allowed_origins: Vec<String>,
    pub upload_max_bytes: usize,
}

/// Shared state of the app.
pub type AppState = Arc<Inner>;

impl Inner {
    /// Build the state: clients connect lazily, so this does not wait for the servers.
    pub async fn from_config(cfg: &Config) -> Result<AppState, ConfigError> {
        let client = examfn_runtime::mongo::client(&cfg.mongo).await?;
        let db = client.database(&cfg.mongo.database);
        let s3 = examfn_runtime::s3::client(&cfg.s3);
        let (verifier, dev) = match &cfg.auth {
            AuthConfig::Jwks { source, issuer, audience } => (Verifier::new(source.clone(), issuer, audience), None),
            AuthConfig::Dev { dir, issuer, audience } => {
                let keys = devauth::ensure_keys(dir)
                    .map_err(|e| ConfigError::invalid("AUTH_DEV_KEYS_DIR", dir.display().to_string(), e))?;
                let v = Verifier::new(JwksSource::File(keys.jwks_path.clone()), issuer, audience);
                (v, Some(keys))
            }
        };
        Ok(Arc::new(Self {
            exams: ExamStore::new(s3, cfg.s3.bucket.clone(), cfg.exam_cache_ttl),
            results: Results::new(db.clone()),
            reviews: Reviews::new(db.clone(), cfg.publish_on_generation, cfg.exam_cache_ttl),
            attempts: Attempts::new(db.clone()),
            owners: Owners::new(db.clone(), cfg.exam_admin_email.clone()),
            overrides: Overrides::new(db),
            attempt_grace: chrono::Duration::from_std(cfg.attempt_grace).unwrap_or_else(|_| chrono::Duration::seconds(30)),
            verifier,
            dev,
            cors_allowed_origins: cfg.cors_allowed_origins.clone(),
            upload_max_bytes: cfg.upload_max_bytes,
        }))
    }
}

/// The runtime handler: take-exam takes no events; readiness checks MongoDB and S3.
pub struct TakeExam {
    state: AppState,
}

impl Handler for TakeExam {
    async fn handle(&self, _event: examfn_runtime::cloudevents::Event) -> Result<Outcome, FnError> {
        Err(FnError::bad_input("take-exam is an HTTP API and takes no events"))
    }

    async fn ready(&self) -> Result<(), String> {
        let (m, s) = tokio::join!(self.state.results.ping(), self.state.exams.ping());
        m.and(s)
    }
}

/// The API and UI routes.
pub fn app(state: AppState) -> Router {
    api::router(state)
}

/// The whole service (routes + health + metrics), as served.
pub fn service(state: AppState) -> Service<TakeExam> {
    Service::new("take-exam", Arc::new(TakeExam { state: state.clone() })).routes(app(state)).without_event_endpoint()
}

/// Entry point of the binary and of `examfn run take-exam`: configuration from the environment only.
pub fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let common = CommonConfig::from_env(&env, None, "take-exam")?;
    let config = Config::from_env(&env)?;
    examfn_runtime::telemetry::init(common.log_format, &common.log_filter);
    examfn_runtime::server::block_on_configured(&common.clone(), async move {
        let state = Inner::from_config(&config).await?;
        let warm = state.clone();
        tokio::spawn(async move {
            // Create the idempotency index early; submits also ensure it before inserting.
            for attempt in 0..30u32 {
                match warm.results.ensure_indexes().await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::warn!(attempt, error = %e, "cannot create the score index yet");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
            if let Err(e) = warm.verifier.refresh(true).await {
                tracing::warn!(error = %e, "cannot load the JWKS yet; will retry on the first request");
            }
        });
        if config.exam_admin_email.is_none() {
            tracing::warn!("EXAM_ADMIN_EMAIL is not set: exams without an owner (uploaded before ownership, or put straight into the bucket) are shared by every educator");
        }
        // Close attempts whose time ran out unsubmitted: once at start (an instance
        // scaled from zero catches up), then every ATTEMPT_SWEEP_SECONDS.
        let sweep = state.clone();
        let every = config.attempt_sweep;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            loop {
                match closing::close_overdue(&sweep, &attempts::Scope::All).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(closed = n, "attempts whose time ran out were submitted automatically"),
                    Err(e) => tracing::warn!(error = %e, "closing overdue attempts failed; will try again"),
                }
                if every.is_zero() {
                    break;
                }
                tokio::time::sleep(every).await;
            }
        });
        examfn_runtime::serve(&common, service(state)).await?;
        Ok(())
    })
}
