//! The language-model question source: grounded, per passage.
//!
//! For each chosen passage of the lecture (in [`crate::passages::reading_order`]),
//! one chat completion asks an OpenAI-compatible server for a few *facts* under
//! a JSON schema ([`prompt`]): a self-contained true statement, a question
//! about it, its short answer (copied from the statement) and wrong answers of
//! the same kind. Each fact becomes several candidates ([`facts`]): the
//! question as multiple choice, the statement with its answer blanked, the
//! statement as a true item, and the statement with its answer swapped for a
//! wrong one as a false item (false through a changed fact, never through an
//! inserted "not"). Nothing the model writes is trusted: every candidate goes
//! through [`crate::verify`], and the selector asks about each fact once.
//!
//! The HTTP call is the caller's ([`Chat`]); this module builds the requests
//! and reads the answers.

pub mod facts;
pub mod prompt;

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::candidate::{Candidate, SourceReport};
use crate::passages::Passage;
use crate::Request;

/// Most facts asked of one passage.
pub const MAX_FACTS_PER_PASSAGE: usize = 5;

/// Why a chat completion gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// The server could not be reached, or answered with an error status.
    #[error("the language model server is unavailable: {0}")]
    Unavailable(String),
    /// No answer in time.
    #[error("no answer within {0} ms")]
    Timeout(u64),
    /// The answer is not what was asked for.
    #[error("the answer is not usable: {0}")]
    Garbage(String),
}

/// An OpenAI-compatible chat-completions endpoint (`POST {base}/chat/completions`).
pub trait Chat: Sync {
    /// Send `body` (the request's JSON text), return
    /// `choices[0].message.content`, within `timeout`.
    fn complete(&self, body: String, timeout: Duration) -> impl Future<Output = Result<String, ChatError>> + Send;
}

/// How the source works.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The model name sent with each request (and recorded with each question).
    pub model: String,
    /// Facts asked per passage.
    pub facts_per_passage: usize,
    /// The longest one request may take.
    pub request_timeout: Duration,
    /// Consecutive failed requests after which the source gives up.
    pub max_failures: usize,
    /// Requests in flight at once (the server's slots: llama-server `-np`).
    pub parallel: usize,
}

impl Settings {
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            facts_per_passage: 3,
            request_timeout: Duration::from_secs(90),
            max_failures: 3,
            parallel: 1,
        }
    }
}

/// What the caller decides after each passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// The source.
pub struct LlmSource<C: Chat> {
    pub chat: C,
    pub settings: Settings,
}

impl<C: Chat> LlmSource<C> {
    pub fn new(chat: C, settings: Settings) -> Self {
        Self { chat, settings }
    }

    /// Read `passages` in `order` until `deadline`, `parallel` requests at a
    /// time (a server with as many slots decodes them together: on a CPU
    /// nearly as fast as one), handing each passage's candidates to `take` in
    /// order (it verifies them and says whether to go on). Returns what the
    /// source did; a server that fails `max_failures` times in a row ends it
    /// with the reason.
    pub async fn read_passages(
        &self,
        title: &str,
        passages: &[Passage],
        order: &[usize],
        req: &Request,
        deadline: Instant,
        take: &mut (dyn FnMut(Vec<Candidate>) -> Flow + Send),
    ) -> SourceReport {
        use futures::StreamExt;
        let started = Instant::now();
        let mut report = SourceReport { name: format!("llm:{}", self.settings.model), ..Default::default() };
        let mut failures = 0;
        let mut last_error = None;
        // A lecture of few passages gets more facts asked of each.
        let total = req.n_mcq + req.n_tfq;
        let per_passage = (total * 3).div_ceil(2 * order.len().max(1)).clamp(self.settings.facts_per_passage, MAX_FACTS_PER_PASSAGE);
        let ask = |i: usize| async move {
            let now = Instant::now();
            if now >= deadline {
                return (i, None);
            }
            let timeout = self.settings.request_timeout.min(deadline - now);
            let n = per_passage.min(1 + passages[i].words / 20);
            let body = prompt::request(&self.settings.model, title, &passages[i], n, req.n_options);
            (i, Some(self.chat.complete(body, timeout).await.and_then(|content| prompt::parse(&content))))
        };
        let mut answers = futures::stream::iter(order.iter().copied()).map(ask).buffered(self.settings.parallel.max(1));
        while let Some((i, answer)) = answers.next().await {
            let Some(answer) = answer else {
                report.stopped = Some("the time for the language model was used up".into());
                break;
            };
            report.passages += 1;
            match answer {
                Ok(items) => {
                    failures = 0;
                    let cands = facts::candidates(&items, &passages[i], &self.settings.model);
                    report.candidates += cands.len();
                    if take(cands) == Flow::Stop {
                        break;
                    }
                }
                Err(e) => {
                    failures += 1;
                    last_error = Some(e.to_string());
                    if failures >= self.settings.max_failures || matches!(e, ChatError::Unavailable(_)) && failures >= 2 {
                        report.stopped = Some(format!("stopped after {failures} failed requests: {e}"));
                        break;
                    }
                }
            }
        }
        if report.stopped.is_none() && report.candidates == 0 {
            report.stopped = last_error.or_else(|| Some("no passage to read".into()));
        }
        report.time_ms = started.elapsed().as_millis() as u64;
        report
    }
}

/// One fact as the model writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Item {
    pub statement: String,
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub distractors: Vec<String>,
}
