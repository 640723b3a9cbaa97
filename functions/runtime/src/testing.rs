//! Test support (feature `testing`): where the real servers started by
//! `cargo run -- test` are, and small helpers to use them.
//!
//! `cargo run -- test` starts tansu, MongoDB (or nx-27017), the S3 server and
//! the SMTP server on free loopback ports and exports their addresses in the
//! `EXAMFN_TEST_*` variables below before it runs `cargo test --workspace`.
//! A test that needs a server and finds no address fails with a message that
//! says how to run it; it never skips silently.

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `cargo run -- test`, which starts the real servers they use")
    })
}

/// `host:port` of the Kafka broker (tansu).
pub fn kafka_brokers() -> String {
    var("EXAMFN_TEST_KAFKA")
}

/// A MongoDB URI (no database path).
pub fn mongodb_uri() -> String {
    var("EXAMFN_TEST_MONGODB_URI")
}

/// The S3 endpoint URL, access key and secret key.
pub fn s3() -> (String, String, String) {
    (var("EXAMFN_TEST_S3_ENDPOINT"), var("EXAMFN_TEST_S3_ACCESS_KEY"), var("EXAMFN_TEST_S3_SECRET_KEY"))
}

/// `host:port` of the SMTP server and the Maildir it delivers into.
pub fn smtp() -> (String, std::path::PathBuf) {
    (var("EXAMFN_TEST_SMTP"), var("EXAMFN_TEST_MAILDIR").into())
}

/// The OpenAI-compatible LLM server the test command starts (llama.cpp's
/// `llama-server` with a small model): its base URL (ending in `/v1`) and
/// the model name to send.
pub fn llm() -> (String, String) {
    (var("EXAMFN_TEST_LLM_URL"), var("EXAMFN_TEST_LLM_MODEL"))
}

/// The `llama-server` binary and the small model's GGUF file, for tests that
/// start (and kill) a server of their own.
pub fn llama_server() -> (std::path::PathBuf, std::path::PathBuf) {
    (var("EXAMFN_TEST_LLAMA_SERVER").into(), var("EXAMFN_TEST_LLM_GGUF").into())
}

/// A name no other test uses (topics, databases, groups).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Create topics (the broker does not auto-create them).
pub async fn create_topics(brokers: &str, names: &[&str], partitions: i32) {
    if let Err(e) = crate::kafka::ensure_topics(brokers, names, partitions).await {
        panic!("{e}");
    }
}
