//! What students need beyond taking the questions: their exams with the
//! facts an intro page shows (`GET /me/exams`, `GET /me/exams/{name}`), and
//! each answer saved as they go (`PUT /exam/{name}/attempts/{id}/answers/{n}`),
//! so that an attempt whose time runs out is closed with what they answered
//! ([`crate::closing`]).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use mongodb::bson::Document;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use examfn_domain::grading::ExamName;
use examfn_runtime::FnError;

use crate::api::{exam_name, json_body, student_exam, time_up, ApiError, Student};
use crate::attempts::{auto_key, Attempt, Scope};
use crate::overrides::Override;
use crate::results::stored_reveal;
use crate::review::{Feedback, Settings};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/me/exams", get(my_exams))
        .route("/me/exams/{name}", get(my_exam))
        .route("/exam/{name}/attempts/{attempt_id}/answers/{number}", put(save_answer))
        .with_state(state)
}

/// The exam's settings (the defaults for an exam never reviewed).
pub async fn settings_of(st: &AppState, name: &ExamName) -> Result<Settings, FnError> {
    Ok(st.reviews.get(name).await?.map(|r| r.settings).unwrap_or_default())
}

/// How many attempts a student has used and may use.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    /// Stored results plus started attempts that ran out unsubmitted (not closed yet).
    pub used: u64,
    /// The exam's limit plus the student's extra attempts (None: no limit).
    pub allowed: Option<u64>,
    pub extra: Override,
}

impl Allowance {
    pub fn left(&self) -> Option<u64> {
        self.allowed.map(|m| m.saturating_sub(self.used))
    }
    pub fn exhausted(&self) -> bool {
        self.left() == Some(0)
    }
}

/// The student's attempts at an exam as the limit counts them.
pub async fn allowance(st: &AppState, email: &str, name: &ExamName, settings: &Settings, now: DateTime<Utc>) -> ApiResult<Allowance> {
    let (results, open, extra) = tokio::join!(
        st.attempts.results(email, name),
        st.attempts.unsubmitted(email, name),
        st.overrides.get(name, email)
    );
    let expired = open?.iter().filter(|a| !a.open_at(now, st.attempt_grace)).count() as u64;
    let extra = extra?;
    Ok(Allowance {
        used: results? + expired,
        allowed: settings.max_attempts.map(|m| u64::from(m) + u64::from(extra.extra_attempts)),
        extra,
    })
}

/// Whether the student may see the correct answers of this stored result now.
pub async fn reveal_for(st: &AppState, email: &str, doc: &Document) -> bool {
    if let Some(r) = stored_reveal(doc) {
        return r;
    }
    let mode = doc.get_str("feedback").ok().and_then(Feedback::parse).unwrap_or_default();
    let Some(name) = doc.get_str("exam").ok().and_then(|n| ExamName::parse(n).ok()) else { return false };
    let now = Utc::now();
    let decided = async {
        let settings = settings_of(st, &name).await?;
        let al = allowance(st, email, &name, &settings, now).await?;
        Ok::<bool, ApiError>(mode.reveals(settings.closes_at, al.exhausted(), now))
    };
    match decided.await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(exam = %name, error = ?e, "whether to show the answers could not be told: not shown");
            false
        }
    }
}

/// The exams this student may see: published (or never reviewed and put
/// straight into the bucket) and, with a roster, with them on it.
pub async fn visible_exams(st: &AppState, email: &str) -> ApiResult<Vec<String>> {
    let (files, reviews, statuses) = tokio::join!(st.exams.list(), st.reviews.all(), st.results.statuses());
    let (reviews, statuses) = (reviews?, statuses?);
    let generated: std::collections::HashSet<&str> = statuses.iter().filter_map(|d| d.get_str("_id").ok()).collect();
    Ok(files?
        .into_iter()
        .filter(|f| match reviews.get(f) {
            Some(r) => r.student_version().is_some() && r.settings.admits(email),
            None => {
                let base = f.strip_suffix(".json").unwrap_or(f);
                st.reviews.unreviewed_visible(generated.contains(base))
            }
        })
        .collect())
}

fn rfc(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| json!(t.to_rfc3339())).unwrap_or(Value::Null)
}

/// What the student's list and the intro page show of one exam.
async fn exam_info(st: &AppState, email: &str, name: &ExamName) -> ApiResult<Value> {
    let now = Utc::now();
    let (_, _, questions, settings) = student_exam(st, name, email).await?;
    let (al, open, results) = tokio::join!(
        allowance(st, email, name, &settings, now),
        st.attempts.unsubmitted(email, name),
        st.results.for_exam(name, Some(email))
    );
    let (al, results) = (al?, results?);
    let in_progress = open?
        .into_iter()
        .filter(|a| a.open_at(now, st.attempt_grace))
        .max_by_key(|a| a.started_at)
        .map(|a| json!({"attempt_id": a.id, "started_at": a.started_at.to_rfc3339(), "deadline": rfc(a.deadline), "answered": a.answered(), "questions": a.order.len()}));
    let window = match (settings.opens_at, settings.closes_at) {
        (Some(o), _) if now < o => "not_open_yet",
        (_, Some(c)) if now > c => "closed",
        _ => "open",
    };
    let status = if in_progress.is_some() {
        "in_progress"
    } else if window != "open" {
        window
    } else if al.exhausted() {
        "no_attempts_left"
    } else {
        "available"
    };
    let best = results
        .iter()
        .map(|d| crate::results::attempt_json(d, false))
        .max_by_key(|v| (v["percentage"].as_u64().unwrap_or(0), v["submitted_at"].as_str().unwrap_or("").to_string()))
        .map(|v| json!({"score": v["score"], "total": v["total"], "percentage": v["percentage"], "result": v["result"], "submitted_at": v["submitted_at"]}));
    let limit = settings.time_limit_seconds.map(|t| i64::from(t) + i64::from(al.extra.extra_time_seconds));
    Ok(json!({
        "name": name.as_str(),
        "title": name.base(),
        "questions": questions.len(),
        "time_limit_seconds": limit,
        "extra_time_seconds": al.extra.extra_time_seconds,
        "opens_at": rfc(settings.opens_at),
        "closes_at": rfc(settings.closes_at),
        "window": window,
        "max_attempts": al.allowed,
        "attempts_used": al.used,
        "attempts_left": al.left(),
        "in_progress": in_progress,
        "status": status,
        "can_start": status == "available" || status == "in_progress",
        "pass_percentage": settings.pass_mark(),
        "feedback": settings.feedback,
        "shuffle_questions": settings.shuffle_questions,
        "results": results.len(),
        "best": best,
        "grace_seconds": st.attempt_grace.num_seconds(),
    }))
}

/// `GET /me/exams`: the exams this student may take, each with its time
/// limit, window, questions, attempts used and left, an attempt in progress
/// and the best result; newest exams by name order (as `GET /exam`).
async fn my_exams(State(st): State<AppState>, Student(id): Student) -> ApiResult<Json<Value>> {
    if let Err(e) = crate::closing::close_overdue(&st, &Scope::Student(id.email.clone())).await {
        tracing::warn!(error = %e, "overdue attempts not closed before listing");
    }
    let names = visible_exams(&st, &id.email).await?;
    let infos = futures::future::join_all(names.iter().filter_map(|n| ExamName::parse(n).ok()).map(|n| {
        let st = st.clone();
        let email = id.email.clone();
        async move { exam_info(&st, &email, &n).await }
    }))
    .await;
    let mut out = Vec::new();
    for i in infos {
        match i {
            Ok(v) => out.push(v),
            Err(ApiError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Json(Value::Array(out)))
}

/// `GET /me/exams/{name}`: one exam's facts for the intro page (404 when the
/// student may not take it).
async fn my_exam(State(st): State<AppState>, Student(id): Student, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    if let Err(e) = crate::closing::close_overdue(&st, &Scope::StudentExam(id.email.clone(), name.as_str().to_string())).await {
        tracing::warn!(error = %e, "overdue attempts not closed before the intro");
    }
    Ok(Json(exam_info(&st, &id.email, &name).await?))
}

/// `Some(None)` for an explicit null, `Some(Some(s))` for a string; absent: None.
fn explicit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Body of an answer save: the answer (null clears it) and/or the flag.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveAnswer {
    #[serde(default, deserialize_with = "explicit")]
    answer: Option<Option<String>>,
    #[serde(default)]
    flagged: Option<bool>,
}

/// The student's own attempt at this exam (404 otherwise).
pub async fn own_attempt(st: &AppState, email: &str, name: &ExamName, aid: &str) -> ApiResult<Attempt> {
    st.attempts
        .get(aid)
        .await?
        .filter(|a| a.email == email && a.exam == name.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("you have no attempt {aid:?} at {}", name.base())))
}

/// `PUT /exam/{name}/attempts/{attempt_id}/answers/{number}`: save one
/// answer (`number` is 1-based in the order shown) and/or its flag while the
/// attempt is open. Idempotent: the same body again changes nothing. 409
/// once the attempt was submitted; 422 `time_up` (with the result) once its
/// time and grace ran out — it is then closed with the answers saved.
async fn save_answer(
    State(st): State<AppState>,
    Student(id): Student,
    Path((name, aid, number)): Path<(String, String, usize)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = exam_name(&name)?;
    let req: SaveAnswer = json_body(body, r#"{"answer": "<option>"|null, "flagged": true|false}"#)?;
    if req.answer.is_none() && req.flagged.is_none() {
        return Err(FnError::bad_input("send the answer (an option, or null to clear it) or flagged").into());
    }
    let a = own_attempt(&st, &id.email, &name, &aid).await?;
    if !a.submitted_key.is_empty() {
        if a.submitted_key == auto_key(&a.id) {
            let doc = match st.results.by_attempt(&name, &a.id).await? {
                Some(d) => Some(d),
                None => crate::closing::close(&st, &a).await?,
            };
            return Err(time_up(&st, &id.email, &a, doc).await);
        }
        return Err(ApiError::Json(
            StatusCode::CONFLICT,
            json!({"error": "This attempt was already submitted; its answers can no longer change.", "kind": "submitted", "status": 409}),
        ));
    }
    if !a.open_at(Utc::now(), st.attempt_grace) {
        let doc = crate::closing::close(&st, &a).await?;
        return Err(time_up(&st, &id.email, &a, doc).await);
    }
    let k = number.checked_sub(1).filter(|k| *k < a.order.len()).ok_or_else(|| {
        ApiError::NotFound(format!("this attempt has no question {number} (it has {})", a.order.len()))
    })?;
    if let Some(Some(ans)) = &req.answer {
        let questions = crate::api::attempt_questions(&st, &name, a.version).await?;
        let q = questions.get(a.order[k]).ok_or_else(|| FnError::unavailable("the attempt's questions are not readable"))?;
        if !q.options.contains(ans) {
            return Err(FnError::permanent(format!("{ans:?} is not one of the options of question {number}")).into());
        }
    }
    let answer = req.answer.as_ref().map(|a| a.as_deref());
    if !st.attempts.save_answer(&a.id, k, answer, req.flagged).await? {
        return Err(ApiError::Json(
            StatusCode::CONFLICT,
            json!({"error": "This attempt was already submitted; its answers can no longer change.", "kind": "submitted", "status": 409}),
        ));
    }
    let saved = req.answer.clone().unwrap_or_else(|| a.answers.get(k).cloned().flatten());
    let flagged = req.flagged.unwrap_or_else(|| a.flagged.get(k).copied().unwrap_or(false));
    Ok((StatusCode::OK, Json(json!({"attempt_id": a.id, "number": number, "answer": saved, "flagged": flagged}))))
}
