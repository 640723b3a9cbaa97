//! MongoDB (feature `mongo`): config, a lazily-connecting client, and the
//! classification of driver errors into [`FnError`].

use std::time::Duration;

use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::ClientOptions;

use crate::config::{ConfigError, Env};
use crate::FnError;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MongoConfig {
    pub uri: String,
    pub database: String,
}

impl MongoConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let uri = env.secret("MONGODB_URI")?;
        if !(uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://")) {
            return Err(ConfigError::invalid("MONGODB_URI", "<redacted>", "must start with mongodb:// or mongodb+srv://"));
        }
        let database = env.string_or("MONGODB_DB", "exams");
        Ok(Self { uri, database })
    }
}

/// A client that connects in the background: creating it never blocks on the
/// server, so `/health/liveness` answers before MongoDB is reachable.
pub async fn client(cfg: &MongoConfig) -> Result<mongodb::Client, ConfigError> {
    let mut opts = ClientOptions::parse(&cfg.uri)
        .await
        .map_err(|e| ConfigError::invalid("MONGODB_URI", "<redacted>", e))?;
    opts.server_selection_timeout = Some(opts.server_selection_timeout.unwrap_or(Duration::from_secs(5)));
    opts.connect_timeout = Some(opts.connect_timeout.unwrap_or(Duration::from_secs(3)));
    opts.app_name.get_or_insert_with(|| "examfn".to_string());
    mongodb::Client::with_options(opts).map_err(|e| ConfigError::invalid("MONGODB_URI", "<redacted>", e))
}

/// Readiness: a `ping` on the database.
pub async fn ping(db: &mongodb::Database) -> Result<(), String> {
    db.run_command(mongodb::bson::doc! {"ping": 1}).await.map(|_| ()).map_err(|e| format!("mongodb: {e}"))
}

/// Whether the error is a duplicate key (E11000) on a unique index.
pub fn is_duplicate_key(err: &mongodb::error::Error) -> bool {
    match &*err.kind {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::InsertMany(e) => e.write_errors.as_ref().is_some_and(|w| w.iter().any(|w| w.code == 11000)),
        ErrorKind::Command(e) => e.code == 11000,
        _ => err.to_string().contains("E11000") || err.to_string().contains("duplicate key"),
    }
}

/// Map a driver error: invalid data is permanent, anything else (network,
/// selection timeout, server trouble) is a dependency problem and retried.
pub fn classify(err: mongodb::error::Error) -> FnError {
    match &*err.kind {
        ErrorKind::BsonSerialization(_) | ErrorKind::BsonDeserialization(_) | ErrorKind::InvalidArgument { .. } => {
            FnError::permanent(format!("mongodb rejected the data: {err}"))
        }
        _ => FnError::unavailable(format!("mongodb: {err}")),
    }
}
