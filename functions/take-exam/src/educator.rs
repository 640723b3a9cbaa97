//! Educator routes beyond review and reports: who shares an exam
//! (`…/owners`), each student's attempts and exceptions (`…/students`,
//! `…/attempts`), and a preview that takes the exam as a student would
//! without recording anything (`…/preview`). Every route answers 404 for
//! an exam this educator neither owns nor shares ([`crate::api::owned`]).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use examfn_domain::exam::Exam;
use examfn_domain::grading::ExamName;
use examfn_runtime::FnError;

use crate::api::{exam_name, json_body, owned, ApiError, Educator};
use crate::attempts::{grade_partial, new_attempt, Scope};
use crate::overrides::Override;
use crate::owners::{normal_email, valid_email, Access, MAX_CO_OWNERS};
use crate::results::{attempt_json, request_fingerprint, result_document, Provenance};
use crate::review::{Feedback, Settings, DEFAULT_PASS_PERCENTAGE};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/educator/exams/{name}/owners", get(get_owners).put(put_owners))
        .route("/educator/exams/{name}/students", get(students))
        .route("/educator/exams/{name}/students/{email}", axum::routing::put(put_student))
        .route("/educator/exams/{name}/attempts", get(attempts))
        .route("/educator/exams/{name}/attempts/{attempt_id}", get(attempt))
        .route("/educator/exams/{name}/preview", post(preview))
        .route("/educator/exams/{name}/preview/grade", post(preview_grade))
        .with_state(state)
}

/// Close the exam's attempts whose time ran out, so results read complete.
pub async fn close_for_exam(st: &AppState, name: &ExamName) {
    if let Err(e) = crate::closing::close_overdue(st, &Scope::Exam(name.as_str().to_string())).await {
        tracing::warn!(exam = %name, error = %e, "overdue attempts not closed before reading results");
    }
}

/// `GET /educator/exams/{name}/owners`: `{owner, co_owners, access, shared_with_every_educator}`.
async fn get_owners(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let o = st.owners.get(&name).await?;
    Ok(Json(st.owners.to_json(&name, o.as_ref(), &id.email)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnersBody {
    co_owners: Vec<String>,
}

/// `PUT /educator/exams/{name}/owners` `{"co_owners": ["colleague@school.edu"]}`:
/// the educators who share the exam with its owner (the list replaces the
/// previous one). Only the owner changes it (a co-owner: 422). On an exam
/// every educator shared (no owner, no `EXAM_ADMIN_EMAIL`) the caller becomes its owner.
async fn put_owners(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    let access = owned(&st, &name, &id).await?;
    let req: OwnersBody = json_body(body, r#"{"co_owners": ["colleague@school.edu"]}"#)?;
    let mut list: Vec<String> = Vec::new();
    for e in &req.co_owners {
        let e = normal_email(e);
        if e.is_empty() {
            continue;
        }
        if !valid_email(&e) {
            return Err(FnError::bad_input(format!("{e:?} is not an email address (co_owners)")).into());
        }
        if !list.contains(&e) {
            list.push(e);
        }
    }
    if list.len() > MAX_CO_OWNERS {
        return Err(FnError::bad_input(format!("An exam can be shared with at most {MAX_CO_OWNERS} educators.")).into());
    }
    let current = st.owners.get(&name).await?;
    if access == Access::CoOwner {
        let owner = st.owners.owner_of(current.as_ref()).unwrap_or_default();
        return Err(FnError::permanent(format!("Only the exam's owner, {owner}, can change who shares it.")).into());
    }
    let owner = st.owners.owner_of(current.as_ref()).unwrap_or_else(|| normal_email(&id.email));
    let o = st.owners.set_co_owners(&name, &owner, &list).await?;
    tracing::info!(exam = %name, educator = %id.email, co_owners = o.co_owners.len(), "co-owners set");
    Ok(Json(st.owners.to_json(&name, Some(&o), &id.email)))
}

/// `GET /educator/exams/{name}/students`: every student with a result, an
/// attempt in progress or an exception: `{email, results, best_percentage,
/// last_submitted_at, in_progress, extra_time_seconds, extra_attempts}`.
async fn students(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    close_for_exam(&st, &name).await;
    let (docs, open, overrides) =
        tokio::join!(st.results.for_exam(&name, None), st.attempts.unsubmitted_for_exam(&name), st.overrides.for_exam(&name));
    let mut rows: std::collections::BTreeMap<String, Value> = Default::default();
    let blank = |e: &str| {
        json!({"email": e, "results": 0, "best_percentage": null, "last_submitted_at": null, "in_progress": false,
            "extra_time_seconds": 0, "extra_attempts": 0})
    };
    for d in docs? {
        let v = attempt_json(&d, true);
        let email = v["email"].as_str().unwrap_or_default().to_string();
        let row = rows.entry(email.to_lowercase()).or_insert_with(|| blank(&email));
        row["results"] = json!(row["results"].as_u64().unwrap_or(0) + 1);
        if row["best_percentage"].as_u64().is_none_or(|b| v["percentage"].as_u64().unwrap_or(0) > b) {
            row["best_percentage"] = v["percentage"].clone();
        }
        row["last_submitted_at"] = v["submitted_at"].clone();
    }
    let now = Utc::now();
    for a in open? {
        if a.open_at(now, st.attempt_grace) {
            rows.entry(a.email.to_lowercase()).or_insert_with(|| blank(&a.email))["in_progress"] = json!(true);
        }
    }
    for (email, o) in overrides? {
        let row = rows.entry(email.to_lowercase()).or_insert_with(|| blank(&email));
        row["extra_time_seconds"] = json!(o.extra_time_seconds);
        row["extra_attempts"] = json!(o.extra_attempts);
    }
    Ok(Json(json!({"exam": name.as_str(), "students": rows.into_values().collect::<Vec<_>>()})))
}

/// `PUT /educator/exams/{name}/students/{email}` `{"extra_time_seconds": 600,
/// "extra_attempts": 1}`: one student's extra time on each attempt (and past
/// the closing time by as much) and extra attempts; zeros remove them.
async fn put_student(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path((name, email)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let email = normal_email(&email);
    if !valid_email(&email) {
        return Err(FnError::bad_input(format!("{email:?} is not a student's email address")).into());
    }
    let o: Override = json_body(body, r#"{"extra_time_seconds": 600, "extra_attempts": 1}"#)?;
    o.validate()?;
    st.overrides.set(&name, &email, &o, &id.email).await?;
    tracing::info!(exam = %name, student = %email, educator = %id.email, extra_time = o.extra_time_seconds, extra_attempts = o.extra_attempts, "student exception set");
    Ok(Json(json!({"exam": name.as_str(), "email": email, "extra_time_seconds": o.extra_time_seconds, "extra_attempts": o.extra_attempts})))
}

/// `GET /educator/exams/{name}/attempts`: every stored attempt, newest first
/// (`{attempt_id, email, submitted_at, score, total, percentage, result,
/// submission, unanswered}`), attempts whose time ran out closed first.
async fn attempts(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    close_for_exam(&st, &name).await;
    let docs = st.results.for_exam(&name, None).await?;
    let rows: Vec<Value> = docs
        .iter()
        .rev()
        .map(|d| {
            let mut v = attempt_json(d, true);
            if let Some(o) = v.as_object_mut() {
                o.remove("details");
            }
            v
        })
        .collect();
    Ok(Json(json!({"exam": name.as_str(), "attempts": rows})))
}

/// `GET /educator/exams/{name}/attempts/{attempt_id}`: one attempt with every
/// answer, verdict and correct answer, in the order the student saw them.
async fn attempt(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path((name, aid)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    close_for_exam(&st, &name).await;
    let d = st
        .results
        .by_attempt(&name, &aid)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{} has no stored attempt {aid:?}", name.base())))?;
    Ok(Json(attempt_json(&d, true)))
}

/// The questions and settings a preview takes: the draft (else the latest
/// version), or the exam file of an exam never reviewed (version 0).
async fn preview_source(st: &AppState, name: &ExamName, version: Option<i64>) -> ApiResult<(i64, Exam, Settings)> {
    match st.reviews.get(name).await? {
        None => Ok((0, st.exams.get(name).await?.questions.clone(), Settings::default())),
        Some(r) => {
            let ver = match version {
                Some(v) if v > 0 => st
                    .reviews
                    .version(name, v)
                    .await?
                    .ok_or_else(|| ApiError::NotFound(format!("{} has no version {v}", name.base())))?,
                _ => st.reviews.working_copy(&r).await?,
            };
            Ok((ver.version, ver.questions, r.settings))
        }
    }
}

/// `POST /educator/exams/{name}/preview`: the exam as a student would get it
/// now from the draft (else the latest version): the questions in an
/// attempt's order, options shuffled as the settings say, the time limit;
/// `preview: true`, and `order` for the grading call. Nothing is recorded:
/// no attempt, no result, no score card.
async fn preview(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let (version, questions, settings) = preview_source(&st, &name, None).await?;
    let now = Utc::now();
    let mut a = new_attempt(&id.email, &name, version, &questions, &settings, now, 0);
    // The window does not cut a preview short.
    a.deadline = settings.time_limit_seconds.map(|t| now + chrono::Duration::seconds(i64::from(t)));
    let mut body = a.to_json(&questions, &settings, st.attempt_grace, 1);
    body["preview"] = json!(true);
    body["order"] = json!(a.order);
    body["max_attempts"] = json!(settings.max_attempts);
    body["question_count"] = json!(questions.len());
    Ok((StatusCode::OK, Json(body)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewGrade {
    version: i64,
    order: Vec<usize>,
    answers: Vec<Option<String>>,
    #[serde(default)]
    automatic: bool,
}

/// `POST /educator/exams/{name}/preview/grade` `{version, order, answers}`:
/// the preview's answers (in its order, null when unanswered) graded as a
/// submit would be, with the correct answers; nothing is stored.
async fn preview_grade(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let req: PreviewGrade = json_body(body, r#"{"version": 1, "order": [0, 1], "answers": ["<option>" or null, ...]}"#)?;
    let (version, questions, settings) = preview_source(&st, &name, Some(req.version)).await?;
    let n = questions.len();
    let mut seen = vec![false; n];
    if req.order.len() != n || !req.order.iter().all(|&i| i < n && !std::mem::replace(&mut seen[i], true)) {
        return Err(FnError::bad_input(format!("order must list each of the {n} questions once, as the preview gave it")).into());
    }
    if req.answers.len() != n {
        return Err(FnError::permanent(format!("expected {n} answers (null for a question left unanswered), got {}", req.answers.len())).into());
    }
    let mut canonical = vec![None; n];
    for (k, &i) in req.order.iter().enumerate() {
        canonical[i] = req.answers[k].clone().filter(|a| !a.is_empty());
    }
    let graded = grade_partial(&questions, &canonical, settings.pass_mark()).map_err(|e| FnError::permanent(e.to_string()))?;
    let from = Provenance {
        attempt_id: Some(format!("preview-{}", uuid::Uuid::new_v4())),
        version: (version > 0).then_some(version),
        feedback: (settings.feedback != Feedback::Answers).then_some(settings.feedback.as_str()),
        automatic: req.automatic,
        shown_order: (!req.order.iter().enumerate().all(|(k, &i)| k == i)).then(|| req.order.clone()),
        pass_percentage: settings.pass_percentage.filter(|p| *p != DEFAULT_PASS_PERCENTAGE),
        submitted_at: None,
    };
    let doc = result_document(&id.email, &name, &graded, "preview", &request_fingerprint(&canonical), &from);
    let mut v = attempt_json(&doc, true);
    v["preview"] = json!(true);
    Ok(Json(v))
}
