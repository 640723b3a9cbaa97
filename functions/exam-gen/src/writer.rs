//! Writing one exam from a lecture's text: analysis → sources → verify and
//! select ([`examfn_questions::write`]).
//!
//! 1. On a blocking thread: the lecture is analysed once, the rule-based
//!    source proposes its candidates and each is verified.
//! 2. On the runtime: the language model (when configured and reachable, one
//!    exam at a time) reads the lecture's passages in an order that covers
//!    it, until enough of its candidates are verified or its time budget
//!    (`LLM_BUDGET_MS`) is spent; progress is reported after each passage.
//! 3. On a blocking thread: the selector fills exactly the count asked.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use examfn_questions::candidate::{Candidate, SourceReport, Writing};
use futures::FutureExt;
use examfn_questions::llm::{Chat, LlmSource, Settings};
use examfn_questions::source::{QuestionSource, RulesSource};
use examfn_questions::write::{Lecture, Writer};
use examfn_questions::Request;

use crate::llm::LlmBackend;
use crate::Ranker;

/// How far an exam is, for the status document's `progress`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// `extracting`, `waiting` (for the model server), `writing`, `selecting`, `storing`.
    pub stage: &'static str,
    /// Questions that could be asked now.
    pub written: usize,
    pub total: usize,
    /// About how long is left (None until it can be estimated).
    pub eta_seconds: Option<u64>,
}

/// What writing found out besides the exam.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notes {
    /// Why the language model wrote nothing (configured but unreachable,
    /// failing, garbage), for the sidecar's `llm_fallback_reason`.
    pub llm_fallback: Option<String>,
    /// Why candidates were rejected, most common first.
    pub rejections: Vec<(String, usize)>,
    /// Examples of rejected candidates (for the benchmark).
    pub rejected: Vec<examfn_questions::write::Rejected>,
}

/// Longest time the CPU phases (analysis + rules, selection) may take.
pub const CPU_DEADLINE: Duration = Duration::from_secs(60);

/// Write the exam of `pages`. Err only when a CPU phase fails or overruns
/// (the reason, for the status).
pub async fn write_exam(
    pages: Vec<String>,
    req: Request,
    ranker: &Ranker,
    llm: Option<&LlmBackend>,
    progress: &(dyn Fn(Update) + Send + Sync),
) -> Result<(Writing, Notes), String> {
    write_exam_with(pages, req, ranker, llm.map(|b| (b, b)), progress).await
}

/// [`write_exam`] with the model's completions asked of `chat` (the
/// benchmark puts a cache in front of the backend); the backend still says
/// whether the server is reachable and whose turn it is.
pub async fn write_exam_with<C: Chat + Clone + Send + Sync>(
    pages: Vec<String>,
    req: Request,
    ranker: &Ranker,
    llm: Option<(&LlmBackend, &C)>,
    progress: &(dyn Fn(Update) + Send + Sync),
) -> Result<(Writing, Notes), String> {
    let total = req.n_mcq + req.n_tfq;
    let ranker = ranker.clone();
    let (lecture, mut writer) = blocking(move || {
        let (embed, without) = ranker.embed();
        let lecture = Arc::new(Lecture::analyse(pages, embed, &without));
        let mut writer = Writer::new(lecture.clone(), req);
        let far = Instant::now() + CPU_DEADLINE;
        let report = ready_now(RulesSource.propose(&lecture, &req, far, &mut |c| writer.take(c))).expect("the rule-based source does no I/O");
        writer.report(report);
        (lecture, writer)
    })
    .await?;
    let rules_fill = writer.fill().written;
    let mut notes = Notes::default();
    if let Some((backend, chat)) = llm {
        progress(Update { stage: "waiting", written: rules_fill, total, eta_seconds: None });
        match backend.reachable().await {
            Err(why) => notes.llm_fallback = Some(why),
            Ok(()) => {
                let _turn = backend.permit().await;
                let started = Instant::now();
                let deadline = started + backend.config.budget;
                let mut settings = Settings::new(backend.config.model.clone());
                settings.request_timeout = backend.config.timeout;
                settings.parallel = backend.config.parallel;
                settings.check = backend.config.check;
                let source = LlmSource::new(chat.clone(), settings);
                progress(Update { stage: "writing", written: rules_fill, total, eta_seconds: None });
                // The model reads passages until the exam is filled with verified
                // questions and a few spares remain (or its time is up).
                let mut take = |cands: Vec<Candidate>| {
                    let flow = writer.take(cands);
                    let fill = writer.fill();
                    let gained = fill.written.saturating_sub(rules_fill);
                    let elapsed = started.elapsed().as_secs_f64();
                    let eta = (gained > 0).then(|| {
                        let per_question = elapsed / gained as f64;
                        let left = per_question * (fill.total + fill.total / 5).saturating_sub(fill.written + fill.spares.min(fill.total / 5)) as f64;
                        left.min(deadline.saturating_duration_since(Instant::now()).as_secs_f64()).ceil() as u64
                    });
                    progress(Update { stage: "writing", written: fill.written, total, eta_seconds: eta });
                    flow
                };
                // A panic in the source (a bug met by some model output) ends
                // the model's part, not the exam: the rules' questions and
                // what the model gave before are kept.
                let report = match AssertUnwindSafe(source.propose(&lecture, &req, deadline, &mut take)).catch_unwind().await {
                    Ok(report) => report,
                    Err(panic) => {
                        let why = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
                        tracing::error!(error = %why, "the language model source panicked");
                        SourceReport { name: format!("llm:{}", backend.config.model), stopped: Some(format!("the language model source failed: {why}")), ..Default::default() }
                    }
                };
                if report.candidates == 0 {
                    notes.llm_fallback = Some(report.stopped.clone().unwrap_or_else(|| "the language model wrote no question".into()));
                }
                tracing::info!(
                    model = %backend.config.model,
                    passages = report.passages,
                    candidates = report.candidates,
                    verified = writer.verified_from("llm"),
                    ms = report.time_ms,
                    stopped = ?report.stopped,
                    "language model source done"
                );
                writer.report(report);
            }
        }
    }
    let p = writer.progress();
    progress(Update { stage: "selecting", written: p.written, total, eta_seconds: Some(1) });
    notes.rejections = writer.rejections();
    notes.rejected = writer.rejected_samples().to_vec();
    let writing = blocking(move || writer.finish()).await?;
    if notes.llm_fallback.is_none() && llm.is_some() && !writing.generator.starts_with("llm:") {
        notes.llm_fallback = Some("no question of the language model passed the checks".into());
    }
    Ok((writing, notes))
}

/// The output of a future that is ready when first polled (a source that does no I/O).
fn ready_now<F: std::future::Future>(f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

/// Run CPU work on a blocking thread under [`CPU_DEADLINE`].
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    match tokio::time::timeout(CPU_DEADLINE, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(join)) => Err(format!("the generator failed: {join}")),
        Err(_) => Err(format!("generation took longer than {} s", CPU_DEADLINE.as_secs())),
    }
}
