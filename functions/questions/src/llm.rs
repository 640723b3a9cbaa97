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

pub mod check;
pub mod facts;
pub mod prompt;

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::candidate::{Candidate, CheckReport, SourceReport};
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
    /// Whether the model answers its own questions before they go on
    /// ([`check`]; off unless asked for: see its measurement there).
    pub check: bool,
}

impl Settings {
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            facts_per_passage: 3,
            request_timeout: Duration::from_secs(90),
            max_failures: 3,
            parallel: 1,
            check: false,
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
            let items = match self.chat.complete(body, timeout).await.and_then(|content| prompt::parse(&content)) {
                Ok(items) => items,
                Err(e) => return (i, Some((Err(e), None))),
            };
            if !self.settings.check {
                return (i, Some((Ok(items), None)));
            }
            let now = Instant::now();
            if now >= deadline {
                return (i, Some((Ok(items), Some(Err(ChatError::Timeout(0))))));
            }
            let body = check::request(&self.settings.model, title, &passages[i], &items);
            let timeout = self.settings.request_timeout.min(deadline - now);
            let n_facts = items.len();
            match self.chat.complete(body, timeout).await.and_then(|content| check::parse(&content, &items)) {
                Ok(picks) => {
                    let (kept, outcome) = check::apply(items, &picks);
                    (i, Some((Ok(kept), Some(Ok((n_facts, outcome))))))
                }
                Err(e) => (i, Some((Ok(items), Some(Err(e))))),
            }
        };
        // A title slide, an outline, a "this tutorial covers …" paragraph:
        // what the model writes of them is about the document, so its time
        // goes to the others.
        let order: Vec<usize> = order.iter().copied().filter(|&i| !about_the_document(&passages[i], title)).collect();
        let mut answers = futures::stream::iter(order).map(ask).buffered(self.settings.parallel.max(1));
        while let Some((i, answer)) = answers.next().await {
            let Some(answer) = answer else {
                report.stopped = Some("the time for the language model was used up".into());
                break;
            };
            report.passages += 1;
            let (answer, checked) = answer;
            if let Some(checked) = checked {
                let r = report.check.get_or_insert_with(CheckReport::default);
                match checked {
                    Ok((n, outcome)) => {
                        r.facts += n;
                        r.refused += outcome.refused;
                        r.distractors_dropped += outcome.dropped;
                    }
                    Err(_) => r.failed += 1,
                }
            }
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

/// Whether most sentences of `p` are about the document itself: they name
/// it (its title, "tutorial", "lecture", …).
fn about_the_document(p: &Passage, title: &str) -> bool {
    let title = title.trim().to_lowercase();
    let sentences: Vec<&str> = if p.texts.is_empty() { vec![p.text.as_str()] } else { p.texts.iter().map(String::as_str).collect() };
    let about = sentences
        .iter()
        .filter(|s| crate::verify::cues::about_the_document(s).is_some() || title.split_whitespace().count() >= 2 && s.to_lowercase().contains(&title))
        .count();
    about * 2 >= sentences.len().max(1)
}

/// One fact as the model writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Item {
    pub statement: String,
    /// A question of the model's own: the schema asks for none (its answers
    /// were never usable), but a server that adds one is read.
    #[serde(default)]
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub distractors: Vec<String>,
}

impl Item {
    /// What the fact asks: the model's question, else its statement with
    /// the answer blanked.
    pub fn asked(&self) -> String {
        if !self.question.is_empty() {
            return self.question.clone();
        }
        match facts::find_word_span(&self.statement, &self.answer) {
            Some((at, len)) => facts::cloze(&self.statement, at, len),
            None => format!("{} (answer: one of the options)", self.statement),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(texts: &[&str]) -> Passage {
        Passage {
            page: 1,
            title: String::new(),
            sentences: vec![],
            texts: texts.iter().map(|t| t.to_string()).collect(),
            text: texts.join(" "),
            words: 20,
            position: 0.0,
            score: 1.0,
        }
    }

    #[test]
    fn passages_about_the_document_are_not_read() {
        let title = "Debian Packaging Tutorial";
        assert!(about_the_document(&passage(&["Debian Packaging Tutorial Lucas Nussbaum.", "Outline of the lecture."]), title));
        assert!(about_the_document(&passage(&["This tutorial covers the most important points."]), title));
        assert!(!about_the_document(&passage(&["Lintian checks packages for errors.", "The rules file says how to build the package.", "See the tutorial."]), title));
    }
}
