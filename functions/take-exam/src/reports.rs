//! The educator's reports on one exam: its export for learning-management
//! systems (Moodle XML, GIFT, QTI 1.2 for Canvas, QTI 2.1), the CSV of its
//! attempts and its item analysis. The formats and the computation live in
//! the domain crate (`export`, `analysis`); this module reads the exam and
//! the attempts and answers with downloads or JSON. Educators only.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use serde::Deserialize;
use serde_json::{json, Value};

use examfn_domain::analysis::{item_analysis, match_answers, results_csv_with, Attempt};
use examfn_domain::export::{content_disposition, export as export_exam, file_stem, Format};
use examfn_domain::grading::{Detail, ExamName};
use examfn_domain::names::SCORE_COLLECTION;
use examfn_runtime::mongo::classify;
use examfn_runtime::FnError;

use crate::api::{owned, ApiError, Educator};
use crate::exams::LoadedExam;
use crate::results::attempt_json;
use crate::AppState;

/// Content-Type of the attempts CSV (RFC 4180 with its optional `header` parameter).
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8; header=present";
/// A question's flags (too easy, too hard, negative discrimination) are
/// given once this many attempts had it; with fewer they say little, and
/// are returned as `tentative_flags` instead.
pub const MIN_ATTEMPTS_FOR_FLAGS: usize = 5;
/// The CSV's `submitted_by` for an attempt submitted when the time ran out.
pub const SUBMITTED_AUTOMATICALLY: &str = "automatically (time ran out)";

/// The educator UI's reports page (`#/reports/<exam>`), loaded by `index.html` after `app.js`.
pub const REPORTS_JS: &str = include_str!("../ui/reports.js");

/// The report routes (and the reports page's script), merged into the API router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/reports.js",
            get(|| async {
                ([(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"))], REPORTS_JS)
            }),
        )
        .route("/educator/exams/{name}/export", get(export))
        .route("/educator/exams/{name}/results.csv", get(csv))
        .route("/educator/exams/{name}/analysis", get(analysis))
        .with_state(state)
}

fn exam_name(name: &str) -> Result<ExamName, ApiError> {
    ExamName::parse(name).map_err(|e| ApiError::Fn(FnError::bad_input(e.to_string())))
}

/// A file download: its type, `Content-Disposition: attachment` and the bytes.
fn download(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&content_disposition(filename))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type)), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

/// 400 naming the formats there are.
fn bad_format(message: String) -> Response {
    let formats: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message, "kind": "bad_input", "status": 400, "formats": formats})),
    )
        .into_response()
}

/// `GET /educator/exams/{name}/export?format=moodle|gift|qti12|qti21`.
async fn export(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path(name): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let format = match q.format.as_deref().map(str::trim) {
        None | Some("") => {
            return Ok(bad_format(format!(
                "give the export format as ?format=, one of {}",
                examfn_domain::export::format_names()
            )))
        }
        Some(f) => match Format::parse(f) {
            Ok(f) => f,
            Err(e) => return Ok(bad_format(e.to_string())),
        },
    };
    let exam = st.exams.get(&name).await?;
    let e = export_exam(name.base(), &exam.questions, format)
        .map_err(|e| FnError::permanent(format!("exam {name} cannot be exported: {e}")))?;
    tracing::info!(exam = %name, format = format.name(), bytes = e.body.len(), "exam exported");
    Ok(download(e.content_type, &e.filename, e.body))
}

/// A stored attempt for the reports (through the same reading as `GET /me/attempts`).
fn attempt_of(d: &Document) -> (Attempt, bool) {
    let v = attempt_json(d, true);
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let details = v["details"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| Detail {
                    question: s(&x["question"]),
                    user_answer: s(&x["user_answer"]),
                    correct_answer: s(&x["correct_answer"]),
                    is_correct: x["is_correct"].as_bool().unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default();
    let automatic = v["submission"] == "automatic";
    (Attempt {
        student: s(&v["email"]),
        attempt_id: s(&v["attempt_id"]),
        submitted_at: s(&v["submitted_at"]),
        score: v["score"].as_i64().unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32,
        percentage: v["percentage"].as_u64().unwrap_or(0).min(100) as u32,
        result: s(&v["result"]),
        details,
    }, automatic)
}

/// The exam and all its attempts, oldest first (with whether each was
/// submitted automatically); attempts whose time ran out are closed first.
async fn exam_and_attempts(
    st: &AppState,
    id: &crate::auth::Identity,
    name: &str,
) -> Result<(ExamName, std::sync::Arc<LoadedExam>, Vec<(Attempt, bool)>), ApiError> {
    let name = exam_name(name)?;
    owned(st, &name, id).await?;
    let exam = st.exams.get(&name).await?;
    crate::educator::close_for_exam(st, &name).await;
    let docs: Vec<Document> = st
        .results
        .db()
        .collection::<Document>(SCORE_COLLECTION)
        .find(doc! {"exam": name.as_str()})
        .sort(doc! {"submitted_at": 1, "_id": 1})
        .await
        .map_err(classify)?
        .try_collect()
        .await
        .map_err(classify)?;
    Ok((name, exam, docs.iter().map(attempt_of).collect()))
}

/// The attempts as CSV (RFC 4180: CRLF, a header row, the domain's quoting
/// and formula guard): student, attempt id, submission time, score, number
/// of questions, percentage, result, who submitted it (`student`, or
/// [`SUBMITTED_AUTOMATICALLY`]), then one column per exam question (`Q1:
/// <text>`) holding the answer given (empty when unanswered or when the
/// attempt did not have the question).
pub fn attempts_csv(exam: &[examfn_domain::exam::Question], attempts: &[(Attempt, bool)]) -> String {
    let who = |automatic: bool| if automatic { SUBMITTED_AUTOMATICALLY } else { "student" }.to_string();
    results_csv_with(exam, &["submitted_by"], attempts.iter().map(|(a, automatic)| (a, vec![who(*automatic)])))
}

/// `GET /educator/exams/{name}/results.csv`: one row per attempt.
async fn csv(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> Result<Response, ApiError> {
    let (name, exam, attempts) = exam_and_attempts(&st, &id, &name).await?;
    let body = attempts_csv(&exam.questions, &attempts);
    Ok(download(CSV_CONTENT_TYPE, &format!("{}-results.csv", file_stem(name.base())), body.into_bytes()))
}

/// `GET /educator/exams/{name}/analysis`: the item analysis as JSON. A
/// question's flags come once [`MIN_ATTEMPTS_FOR_FLAGS`] attempts had it
/// (before, they are `tentative_flags`); `automatic` counts the attempts
/// submitted when the time ran out; per question `unanswered` counts the
/// attempts that left it unanswered (scored wrong, not counted in
/// `other_answers`).
async fn analysis(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let (name, exam, attempts) = exam_and_attempts(&st, &id, &name).await?;
    let automatic = attempts.iter().filter(|a| a.1).count();
    let attempts: Vec<Attempt> = attempts.into_iter().map(|a| a.0).collect();
    let mut v = serde_json::to_value(item_analysis(&exam.questions, &attempts))
        .map_err(|e| FnError::permanent(format!("analysis: {e}")))?;
    v["exam"] = json!(name.as_str());
    v["automatic"] = json!(automatic);
    v["thresholds"]["min_attempts_for_flags"] = json!(MIN_ATTEMPTS_FOR_FLAGS);
    // A question left unanswered is not an answer that is "no longer an option".
    let mut unanswered = vec![0usize; exam.questions.len()];
    for a in &attempts {
        for (i, d) in match_answers(&exam.questions, a).into_iter().enumerate() {
            if d.is_some_and(|d| d.user_answer.is_empty()) {
                unanswered[i] += 1;
            }
        }
    }
    if let Some(qs) = v["questions"].as_array_mut() {
        for (i, q) in qs.iter_mut().enumerate() {
            let blank = unanswered.get(i).copied().unwrap_or(0);
            q["unanswered"] = json!(blank);
            q["other_answers"] = json!((q["other_answers"].as_u64().unwrap_or(0) as usize).saturating_sub(blank));
            let n = q["attempts"].as_u64().unwrap_or(0) as usize;
            let flags = q["flags"].take();
            if n >= MIN_ATTEMPTS_FOR_FLAGS {
                q["flags"] = flags;
                q["tentative_flags"] = json!([]);
            } else {
                q["flags"] = json!([]);
                q["tentative_flags"] = flags;
            }
        }
    }
    Ok(Json(v))
}
