//! The language model exam-gen writes with: any OpenAI-compatible server
//! (`POST {LLM_BASE_URL}/chat/completions`; locally llama.cpp's
//! `llama-server`, in the cluster the LLM service or a hosted provider).
//! Off unless `LLM_BASE_URL` is set; when the server is absent, slow or
//! answers garbage, the exam is written by the rule-based source and the
//! sidecar and status say why.
//!
//! One exam at a time talks to the server ([`LlmBackend::permit`]): a model
//! server on a few cores writes several times slower when two jobs share it.

use std::sync::Arc;
use std::time::Duration;

use examfn_questions::llm::{Chat, ChatError};
use tokio::sync::{Semaphore, SemaphorePermit};

/// `LLM_*` settings.
#[derive(Clone, PartialEq, Eq)]
pub struct LlmConfig {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    /// The longest one request (one passage) may take (`LLM_TIMEOUT_MS`).
    pub timeout: Duration,
    /// The time the model may spend on one exam (`LLM_BUDGET_MS`); then
    /// the exam is completed from what is verified and the rule-based source.
    pub budget: Duration,
    /// Requests in flight at once (`LLM_PARALLEL`; the server's slots, llama-server `-np`).
    pub parallel: usize,
    /// Whether the model answers its own questions, passage in hand, before
    /// they go on (`LLM_CHECK`, off by default: measured, it cut wrong keys
    /// by a third but wrote fewer questions and no more usable ones; see
    /// `examfn_questions::llm::check`).
    pub check: bool,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("budget", &self.budget)
            .field("parallel", &self.parallel)
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

/// The HTTP side of the model: requests, one exam at a time.
#[derive(Clone, Debug)]
pub struct LlmBackend {
    pub config: LlmConfig,
    http: reqwest::Client,
    jobs: Arc<Semaphore>,
}

impl LlmBackend {
    pub fn new(config: LlmConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(3)).build()?;
        Ok(Self { config, http, jobs: Arc::new(Semaphore::new(1)) })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// Wait for this exam's turn at the server.
    pub async fn permit(&self) -> SemaphorePermit<'_> {
        self.jobs.acquire().await.expect("the semaphore is never closed")
    }

    /// Whether the server answers `GET {base}/models` (within 3 s); Err says why not.
    pub async fn reachable(&self) -> Result<(), String> {
        let mut call = self.http.get(self.url("models")).timeout(Duration::from_secs(3));
        if let Some(k) = &self.config.api_key {
            call = call.bearer_auth(k);
        }
        match call.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("the language model server at {} answered HTTP {}", self.config.base_url, r.status())),
            Err(e) => Err(format!("the language model server at {} is not reachable ({})", self.config.base_url, without_url(&e))),
        }
    }
}

/// What went wrong with a request, in a few words.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused".into()
    } else {
        e.to_string()
    }
}

impl Chat for LlmBackend {
    async fn complete(&self, body: String, timeout: Duration) -> Result<String, ChatError> {
        let mut call = self.http.post(self.url("chat/completions")).header("content-type", "application/json").body(body).timeout(timeout);
        if let Some(k) = &self.config.api_key {
            call = call.bearer_auth(k);
        }
        let ms = timeout.as_millis() as u64;
        let resp = call.send().await.map_err(|e| if e.is_timeout() { ChatError::Timeout(ms) } else { ChatError::Unavailable(without_url(&e)) })?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            let text: String = text.chars().take(200).collect();
            return Err(if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 404 {
                ChatError::Unavailable(format!("HTTP {status}: {text}"))
            } else {
                ChatError::Garbage(format!("HTTP {status}: {text}"))
            });
        }
        let reply: serde_json::Value = resp.json().await.map_err(|e| if e.is_timeout() { ChatError::Timeout(ms) } else { ChatError::Garbage(format!("the reply is not JSON: {e}")) })?;
        examfn_questions::llm::prompt::reply_content(&reply).map(str::to_string)
    }
}
