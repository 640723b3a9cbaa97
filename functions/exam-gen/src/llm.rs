//! The optional LLM backend: any OpenAI-compatible `POST {base}/chat/completions`.
//! Off unless `LLM_BASE_URL` is set. Its answer is repaired and validated by
//! `examfn_questions::whole_exam`; anything wrong (HTTP error, timeout,
//! garbage, wrong counts) falls back to the built-in generator.

use std::time::Duration;

use examfn_domain::exam::Exam;
use examfn_questions::{whole_exam as llm, Request};

/// `LLM_*` settings.
#[derive(Clone, PartialEq, Eq)]
pub struct LlmConfig {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Characters of lecture text sent to the model.
pub const MAX_PROMPT_CHARS: usize = 60_000;

#[derive(Clone, Debug)]
pub struct LlmBackend {
    pub config: LlmConfig,
    http: reqwest::Client,
}

impl LlmBackend {
    pub fn new(config: LlmConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(config.timeout).build()?;
        Ok(Self { config, http })
    }

    /// Ask the model for an exam; Err says why it is not used.
    pub async fn exam(&self, pages: &[String], req: &Request) -> Result<Exam, String> {
        let url = format!("{}/chat/completions", self.config.base_url.trim_end_matches('/'));
        let body = llm::chat_request(&self.config.model, pages, req, MAX_PROMPT_CHARS);
        let mut call = self.http.post(&url).json(&body);
        if let Some(k) = &self.config.api_key {
            call = call.bearer_auth(k);
        }
        let work = async {
            let resp = call.send().await.map_err(|e| format!("request failed: {e}"))?;
            let status = resp.status();
            if !status.is_success() {
                return Err(format!("answered HTTP {status}"));
            }
            let reply: serde_json::Value = resp.json().await.map_err(|e| format!("reply is not JSON: {e}"))?;
            let content = llm::reply_content(&reply).map_err(|e| e.to_string())?;
            llm::parse_exam(content, req).map_err(|e| e.to_string())
        };
        match tokio::time::timeout(self.config.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} ms", self.config.timeout.as_millis())),
        }
    }
}
