//! No attempt is lost: an attempt whose time ran out unsubmitted is closed
//! by the server with the answers the student saved as they went (each
//! unanswered question scores zero), and its result goes into
//! `exams.score` exactly once, like any submit (score-calc and the score
//! card follow from that insert), marked `submission: "automatic"`.
//!
//! When: an attempt is overdue once its deadline plus the grace period has
//! passed (until then the student's own submit, or their browser's at the
//! deadline, is accepted). It is closed
//! - when it is read: a student's results, exam list, intro or start, a late
//!   submit or answer; an educator's results, CSV, analysis or scoreboard
//!   of the exam — so what anyone sees is complete even on an instance that
//!   was scaled to zero while the time ran out;
//! - by a sweep of every overdue attempt when the process starts and every
//!   `ATTEMPT_SWEEP_SECONDS` while it runs, so the score card does not wait
//!   for someone to look.
//!
//! Exactly once: the server first claims the attempt (`submitted_key` from
//! "" to `auto:<attempt_id>`, `auto_pending: true`; a student's submit claims
//! it with its own key the same way, so one of the two wins), then inserts
//! the result under the idempotency key `auto:<attempt_id>` (the unique index
//! `{email, exam, idempotency_key}` turns a second insert into a replay), then
//! clears `auto_pending`. A crash between claim and insert leaves
//! `auto_pending`, which the next close picks up.

use chrono::Utc;
use mongodb::bson::Document;

use examfn_domain::grading::ExamName;
use examfn_runtime::FnError;

use crate::attempts::{auto_key, grade_partial, Attempt, Scope};
use crate::results::{request_fingerprint, Provenance};
use crate::review::{Feedback, DEFAULT_PASS_PERCENTAGE};
use crate::AppState;

/// True when the attempt's time (and grace) ran out without a submit, or
/// the server claimed it and has not stored the result yet.
pub fn overdue(st: &AppState, a: &Attempt) -> bool {
    a.auto_pending || (a.submitted_key.is_empty() && !a.open_at(Utc::now(), st.attempt_grace))
}

/// Close every overdue attempt in `scope`; returns how many were closed now.
/// A failure to close one is logged and the others are still closed.
pub async fn close_overdue(st: &AppState, scope: &Scope) -> Result<usize, FnError> {
    let mut closed = 0;
    for a in st.attempts.closable(scope).await? {
        if !overdue(st, &a) {
            continue;
        }
        match close(st, &a).await {
            Ok(Some(_)) => closed += 1,
            Ok(None) => {}
            Err(e) => tracing::warn!(attempt = %a.id, exam = %a.exam, error = %e, "an overdue attempt could not be closed yet"),
        }
    }
    Ok(closed)
}

/// Close one overdue attempt with its saved answers. Returns the stored
/// result document, or None when a student's submit holds the attempt.
pub async fn close(st: &AppState, a: &Attempt) -> Result<Option<Document>, FnError> {
    if !st.attempts.claim_auto(&a.id).await? {
        return Ok(None);
    }
    let name = ExamName::parse(&a.exam).map_err(|e| FnError::permanent(format!("attempt {}: {e}", a.id)))?;
    let questions = crate::api::attempt_questions(st, &name, a.version).await.map_err(|e| match e {
        crate::api::ApiError::Fn(e) => e,
        other => FnError::permanent(format!("the questions of attempt {} are not readable: {other:?}", a.id)),
    })?;
    // Saved answers in the version's order; one that is no longer an option counts as unanswered.
    let answers: Vec<Option<String>> = a
        .saved_canonical()
        .into_iter()
        .enumerate()
        .map(|(i, x)| x.filter(|x| questions.get(i).is_some_and(|q| q.options.contains(x))))
        .collect();
    let settings = crate::student::settings_of(st, &name).await?;
    let graded = grade_partial(&questions, &answers, settings.pass_mark()).map_err(|e| FnError::permanent(e.to_string()))?;
    let now = Utc::now();
    let from = Provenance {
        attempt_id: Some(a.id.clone()),
        version: (a.version > 0).then_some(a.version),
        feedback: (settings.feedback != Feedback::Answers).then_some(settings.feedback.as_str()),
        automatic: true,
        shown_order: a.shown_order(),
        pass_percentage: settings.pass_percentage.filter(|p| *p != DEFAULT_PASS_PERCENTAGE),
        // The moment the time ran out, not the moment someone looked.
        submitted_at: Some(a.deadline.map_or(now, |d| d.min(now))),
    };
    let key = auto_key(&a.id);
    let rec = st.results.record(&a.email, &name, &graded, &key, &request_fingerprint(&answers), &from).await?;
    st.attempts.mark_stored(&a.id).await?;
    if rec.created {
        tracing::info!(attempt = %a.id, exam = %name, student = %a.email, answered = a.answered(), score = graded.score,
            "time ran out: the saved answers were submitted automatically");
    }
    Ok(Some(rec.doc))
}
