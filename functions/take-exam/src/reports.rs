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

use examfn_domain::analysis::{item_analysis, results_csv, Attempt};
use examfn_domain::export::{content_disposition, export as export_exam, file_stem, Format};
use examfn_domain::grading::{Detail, ExamName};
use examfn_domain::names::SCORE_COLLECTION;
use examfn_runtime::mongo::classify;
use examfn_runtime::FnError;

use crate::api::{ApiError, Educator};
use crate::exams::LoadedExam;
use crate::results::attempt_json;
use crate::AppState;

/// Content-Type of the attempts CSV (RFC 4180 with its optional `header` parameter).
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8; header=present";

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
    Educator(_): Educator,
    Path(name): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let name = exam_name(&name)?;
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
fn attempt_of(d: &Document) -> Attempt {
    let v = attempt_json(d);
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
    Attempt {
        student: s(&v["email"]),
        attempt_id: s(&v["attempt_id"]),
        submitted_at: s(&v["submitted_at"]),
        score: v["score"].as_i64().unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32,
        percentage: v["percentage"].as_u64().unwrap_or(0).min(100) as u32,
        result: s(&v["result"]),
        details,
    }
}

/// The exam and all its attempts, oldest first.
async fn exam_and_attempts(st: &AppState, name: &str) -> Result<(ExamName, std::sync::Arc<LoadedExam>, Vec<Attempt>), ApiError> {
    let name = exam_name(name)?;
    let exam = st.exams.get(&name).await?;
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

/// `GET /educator/exams/{name}/results.csv`: one row per attempt.
async fn csv(State(st): State<AppState>, Educator(_): Educator, Path(name): Path<String>) -> Result<Response, ApiError> {
    let (name, exam, attempts) = exam_and_attempts(&st, &name).await?;
    let body = results_csv(&exam.questions, &attempts);
    Ok(download(CSV_CONTENT_TYPE, &format!("{}-results.csv", file_stem(name.base())), body.into_bytes()))
}

/// `GET /educator/exams/{name}/analysis`: the item analysis as JSON.
async fn analysis(State(st): State<AppState>, Educator(_): Educator, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let (name, exam, attempts) = exam_and_attempts(&st, &name).await?;
    let mut v = serde_json::to_value(item_analysis(&exam.questions, &attempts))
        .map_err(|e| FnError::permanent(format!("analysis: {e}")))?;
    v["exam"] = json!(name.as_str());
    Ok(Json(v))
}
