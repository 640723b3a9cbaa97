//! The HTTP API (documented in `ui/openapi.json`, served at `/openapi.json`).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use mongodb::bson::Bson;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use chrono::{DateTime, Utc};
use examfn_domain::exam::{Exam, Question};
use examfn_domain::grading::{ExamName, GradingError};
use examfn_domain::names::UPLOAD_PREFIX;
use examfn_domain::upload::LectureFormat;
use examfn_runtime::http::route_body_limit;
use examfn_runtime::FnError;

use crate::auth::{bearer, AuthError, Identity, Role};
use crate::exams::ExamError;
use crate::attempts::{grade_partial, new_attempt};
use crate::provenance;
use crate::results::{request_fingerprint, Provenance};
use crate::review::{validate_questions, Feedback, PubState, Review, Settings, Visibility, DEFAULT_PASS_PERCENTAGE};
use crate::AppState;

/// Header that makes a submit idempotent.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Response header marking the replay of a stored submit (as Stripe's API does).
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;
/// Lifetime of tokens minted by the dev sign-in page.
pub const DEV_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);

/// Content-Security-Policy of every response: no inline script, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Any error an API handler returns.
#[derive(Debug)]
pub enum ApiError {
    Auth(AuthError),
    Fn(FnError),
    NotFound(String),
    Unsupported(String),
    /// The body could not be read (too large, too slow, broken).
    Body(BytesRejection),
    /// A JSON error with its own status and fields (`{error, kind, status, …}`):
    /// 409 conflicts, 422 `time_up` carrying the result.
    Json(StatusCode, Value),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self::Auth(e)
    }
}
impl From<FnError> for ApiError {
    fn from(e: FnError) -> Self {
        Self::Fn(e)
    }
}
impl From<ExamError> for ApiError {
    fn from(e: ExamError) -> Self {
        match e {
            ExamError::NotFound(n) => Self::NotFound(format!("no exam named {n}")),
            ExamError::Failed(e) => Self::Fn(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Auth(e) => e.into_response(),
            Self::Fn(e) => e.into_response(),
            Self::NotFound(m) => {
                (StatusCode::NOT_FOUND, Json(json!({"error": m, "kind": "not_found", "status": 404}))).into_response()
            }
            Self::Body(r) => examfn_runtime::http::body_rejection(r),
            Self::Unsupported(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Json(json!({"error": m, "kind": "bad_input", "status": 415})),
            )
                .into_response(),
            Self::Json(status, v) => (status, Json(v)).into_response(),
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn exam_name(name: &str) -> Result<ExamName, ApiError> {
    ExamName::parse(name).map_err(|e| ApiError::Fn(FnError::bad_input(e.to_string())))
}

/// Any signed-in caller.
pub struct Caller(pub Identity);
/// A caller with the student role (403 otherwise).
pub struct Student(pub Identity);
/// A caller with the educator role (403 otherwise).
pub struct Educator(pub Identity);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)?;
        Ok(Self(state.verifier.verify(token).await?))
    }
}

impl FromRequestParts<AppState> for Student {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(id) = Caller::from_request_parts(parts, state).await?;
        if id.role != Role::Student {
            return Err(AuthError::Forbidden(Role::Student).into());
        }
        Ok(Self(id))
    }
}

impl FromRequestParts<AppState> for Educator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(id) = Caller::from_request_parts(parts, state).await?;
        if id.role != Role::Educator {
            return Err(AuthError::Forbidden(Role::Educator).into());
        }
        Ok(Self(id))
    }
}

fn json_bytes(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

#[derive(Deserialize)]
pub struct ExamQuery {
    object_name: Option<String>,
}

/// `GET /exam` (names) and `GET /exam?object_name=N` (one exam; answers only
/// for educators). Students see only published exams: a draft is 404.
async fn get_exam(State(st): State<AppState>, Caller(id): Caller, Query(q): Query<ExamQuery>) -> ApiResult<Response> {
    match (q.object_name, id.role) {
        (None, Role::Educator) => {
            // The educator's own exams (and those shared with them).
            let (files, owners) = tokio::join!(st.exams.list(), st.owners.all());
            let owners = owners?;
            let mine: Vec<String> =
                files?.into_iter().filter(|f| st.owners.access_of(owners.get(f), &id.email).is_some()).collect();
            Ok(Json(mine).into_response())
        }
        (None, Role::Student) => Ok(Json(crate::student::visible_exams(&st, &id.email).await?).into_response()),
        (Some(n), Role::Educator) => {
            let name = exam_name(&n)?;
            owned(&st, &name, &id).await?;
            Ok(json_bytes(st.exams.get(&name).await?.full_json.clone()))
        }
        (Some(n), Role::Student) => {
            let name = exam_name(&n)?;
            Ok(json_bytes(student_exam(&st, &name, &id.email).await?.1))
        }
    }
}

fn not_published(name: &ExamName) -> ApiError {
    ApiError::NotFound(format!(
        "no published exam named {} (a draft or unpublished exam is not shown to students, nor one for other students)",
        name.base()
    ))
}

/// 404 unless this educator owns the exam, is a co-owner, or the exam is
/// shared by every educator (no owner and no `EXAM_ADMIN_EMAIL`): another
/// educator's exam is answered as if it did not exist.
pub(crate) async fn owned(st: &AppState, name: &ExamName, id: &Identity) -> ApiResult<crate::owners::Access> {
    st.owners.access(name, &id.email).await?.ok_or_else(|| ApiError::NotFound(format!("no exam named {}", name.base())))
}

/// What a student takes of an exam: the version (0 = the exam file), its
/// student view, its questions and the exam's settings. 404 when not
/// published, or when the exam has a list of students without them.
pub(crate) async fn student_exam(st: &AppState, name: &ExamName, email: &str) -> ApiResult<(i64, Bytes, Exam, Settings)> {
    match st.reviews.visibility(name).await? {
        Visibility::Hidden => Err(not_published(name)),
        Visibility::File => {
            let e = st.exams.get(name).await?;
            Ok((0, e.student_json.clone(), e.questions.clone(), Settings::default()))
        }
        Visibility::Version(_, settings) if !settings.admits(email) => Err(not_published(name)),
        Visibility::Version(v, settings) => {
            let ver = st.reviews.published(name, v).await?;
            Ok((v, ver.student_json.clone(), ver.questions.clone(), settings))
        }
    }
}

/// 422 `time_up`: the attempt's time and grace ran out; it was closed with
/// the answers saved by then, and `result` is what was stored (as the
/// student may see it).
pub(crate) async fn time_up(st: &AppState, email: &str, a: &crate::attempts::Attempt, doc: Option<mongodb::bson::Document>) -> ApiError {
    let result = match &doc {
        Some(d) => crate::results::attempt_json(d, crate::student::reveal_for(st, email, d).await),
        None => Value::Null,
    };
    let due = a.deadline.map(|d| d.to_rfc3339()).unwrap_or_default();
    ApiError::Json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "error": format!(
                "time is up: this attempt had to be submitted by {due} (plus {} s grace); the answers saved by then were submitted automatically",
                st.attempt_grace.num_seconds()
            ),
            "kind": "time_up", "status": 422, "deadline": a.deadline.map(|d| d.to_rfc3339()), "result": result,
        }),
    )
}

/// The questions of a version a student's attempt was started against.
/// Version 0 is the exam file of an exam never reviewed; once it has been
/// reviewed, that file is version 1 (imported as it was: the file may since
/// have been rewritten by a publish).
pub(crate) async fn attempt_questions(st: &AppState, name: &ExamName, version: i64) -> ApiResult<Exam> {
    if version == 0 {
        if st.reviews.get(name).await?.is_none() {
            return Ok(st.exams.get(name).await?.questions.clone());
        }
        return Ok(st.reviews.published(name, 1).await?.questions.clone());
    }
    Ok(st.reviews.published(name, version).await?.questions.clone())
}

pub(crate) fn refuse(msg: String) -> ApiError {
    ApiError::Fn(FnError::permanent(msg))
}

/// Attempts may start (and plain submits arrive) only inside the window.
pub(crate) fn check_window(name: &ExamName, s: &Settings, now: DateTime<Utc>) -> ApiResult<()> {
    if let Some(o) = s.opens_at {
        if now < o {
            return Err(refuse(format!("{} opens at {}; it cannot be taken before", name.base(), o.to_rfc3339())));
        }
    }
    if let Some(c) = s.closes_at {
        if now > c {
            return Err(refuse(format!("{} closed at {}; it can no longer be taken", name.base(), c.to_rfc3339())));
        }
    }
    Ok(())
}

/// Body of a submit. Unknown fields are refused (400 naming the field): the
/// email, score and grading come from the token and the server, so a client
/// sending `email` or `score` learns at once that they are not taken.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// One per question; `null` (or "") for a question left unanswered, which scores zero.
    answers: Vec<Option<String>>,
    /// The started attempt (`POST /exam/{name}/attempts/start`) these answers close;
    /// the answers are then in the order that attempt showed the questions.
    #[serde(default)]
    attempt_id: Option<String>,
    /// Sent by the browser when it submits because the time ran out.
    #[serde(default)]
    automatic: bool,
}

/// Read a JSON request body: 413 past the limit, 408 when it arrived too
/// slowly, 400 for malformed JSON or unknown fields (serde names the field
/// and position), with `expected` showing the right shape.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>, expected: &str) -> Result<T, ApiError> {
    let body = body.map_err(ApiError::Body)?;
    serde_json::from_slice(&body).map_err(|e| FnError::bad_input(format!("expected {expected}: {e}")).into())
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    match headers.get(IDEMPOTENCY_KEY) {
        None => Ok(uuid::Uuid::new_v4().to_string()),
        Some(v) => {
            let s = v.to_str().unwrap_or("").trim();
            if s.is_empty() || s.len() > MAX_IDEMPOTENCY_KEY || !s.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(FnError::bad_input(format!(
                    "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
                ))
                .into());
            }
            Ok(s.to_string())
        }
    }
}

/// `POST /exam/{name}/attempts`: grade on the server, store once per key.
/// A repeat of a stored submit (same `Idempotency-Key`, same answers) gets the
/// first response again, status and body unchanged, marked by the header
/// `Idempotent-Replayed: true`; the key with other answers is 422.
///
/// With `attempt_id` the answers close a started attempt: graded against the
/// version it was started on, refused (422) after its deadline plus the grace,
/// or when the attempt was already submitted. Without it (clients from before
/// settings): allowed only when the exam needs no start (no time limit, no
/// shuffling), inside its window and under its attempt limit.
async fn submit(
    State(st): State<AppState>,
    Student(id): Student,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let name = exam_name(&name)?;
    let key = idempotency_key(&headers)?;
    let sub: Submission = json_body(body, r#"{"answers": ["<option>" or null, ...], "attempt_id": "<optional>"}"#)?;
    let answers: Vec<Option<String>> = sub.answers.into_iter().map(|a| a.filter(|a| !a.is_empty())).collect();
    let fingerprint = request_fingerprint(&answers);
    if let Some(rec) = st.results.earlier(&id.email, &name, &key, &fingerprint).await? {
        return Ok(recorded(&st, &id.email, rec).await);
    }
    let now = Utc::now();
    let grace = st.attempt_grace;
    let (graded, from, claim) = match &sub.attempt_id {
        Some(aid) => {
            let a = crate::student::own_attempt(&st, &id.email, &name, aid).await?;
            if !a.submitted_key.is_empty() && a.submitted_key != key {
                if a.submitted_key == crate::attempts::auto_key(&a.id) {
                    // The server closed it when its time ran out: answer with that result.
                    let doc = match st.results.by_attempt(&name, &a.id).await? {
                        Some(d) => Some(d),
                        None => crate::closing::close(&st, &a).await?,
                    };
                    return Err(time_up(&st, &id.email, &a, doc).await);
                }
                return Err(refuse(format!("this attempt at {} was already submitted; start a new attempt", name.base())));
            }
            if !a.open_at(now, grace) {
                // Too late even with the grace: closed with the answers saved by then.
                let doc = crate::closing::close(&st, &a).await?;
                return Err(time_up(&st, &id.email, &a, doc).await);
            }
            let questions = attempt_questions(&st, &name, a.version).await?;
            let answers = a.canonical_answers(&answers).ok_or_else(|| {
                refuse(GradingError::WrongCount { expected: a.order.len(), got: answers.len() }.to_string())
            })?;
            let settings = crate::student::settings_of(&st, &name).await?;
            let graded = grade_partial(&questions, &answers, settings.pass_mark())
                .map_err(|e: GradingError| FnError::permanent(e.to_string()))?;
            let from = Provenance {
                attempt_id: Some(a.id.clone()),
                version: (a.version > 0).then_some(a.version),
                feedback: (settings.feedback != Feedback::Answers).then_some(settings.feedback.as_str()),
                automatic: sub.automatic,
                shown_order: a.shown_order(),
                pass_percentage: settings.pass_percentage.filter(|p| *p != DEFAULT_PASS_PERCENTAGE),
                submitted_at: None,
            };
            (graded, from, Some(a.id))
        }
        None => {
            let (version, _, questions, settings) = student_exam(&st, &name, &id.email).await?;
            if settings.needs_start() {
                return Err(refuse(format!(
                    "{name} has a time limit or shuffled questions: start an attempt first \
                     (POST /exam/{name}/attempts/start) and send its attempt_id with the answers"
                )));
            }
            check_window(&name, &settings, now)?;
            let al = crate::student::allowance(&st, &id.email, &name, &settings, now).await?;
            if let Some(max) = al.allowed {
                if al.used >= max {
                    return Err(refuse(format!("you have used all {max} attempt(s) allowed at {}", name.base())));
                }
            }
            let graded = grade_partial(&questions, &answers, settings.pass_mark())
                .map_err(|e: GradingError| FnError::permanent(e.to_string()))?;
            let from = Provenance {
                attempt_id: None,
                version: (version > 0).then_some(version),
                feedback: (settings.feedback != Feedback::Answers).then_some(settings.feedback.as_str()),
                automatic: sub.automatic,
                shown_order: None,
                pass_percentage: settings.pass_percentage.filter(|p| *p != DEFAULT_PASS_PERCENTAGE),
                submitted_at: None,
            };
            (graded, from, None)
        }
    };
    if let Some(aid) = &claim {
        if !st.attempts.claim(aid, &key).await? {
            return Err(refuse(format!("this attempt at {} was already submitted; start a new attempt", name.base())));
        }
    }
    let rec = st.results.record(&id.email, &name, &graded, &key, &fingerprint, &from).await?;
    if let Some(aid) = &claim {
        st.attempts.mark_stored(aid).await?;
    }
    Ok(recorded(&st, &id.email, rec).await)
}

async fn recorded(st: &AppState, email: &str, rec: crate::results::Recorded) -> Response {
    let reveal = crate::student::reveal_for(st, email, &rec.doc).await;
    let mut resp = (StatusCode::CREATED, Json(crate::results::attempt_json(&rec.doc, reveal))).into_response();
    if !rec.created {
        resp.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    resp
}

/// `POST /exam/{name}/attempts/start`: start (or resume) an attempt. Returns
/// its id, the version, the deadline (RFC 3339, null without a time limit or
/// close), and the questions in this attempt's order with options in its
/// order (201 new, 200 resumed, with the answers and flags saved so far).
/// Refused (422) outside the window or over the attempt limit (the exam's
/// plus the student's extra attempts); 404 when the exam is not published
/// or not for this student. Attempts of this student whose time ran out are
/// closed first.
async fn start_attempt(State(st): State<AppState>, Student(id): Student, Path(name): Path<String>) -> ApiResult<Response> {
    let name = exam_name(&name)?;
    let (version, _, questions, settings) = student_exam(&st, &name, &id.email).await?;
    let scope = crate::attempts::Scope::StudentExam(id.email.clone(), name.as_str().to_string());
    if let Err(e) = crate::closing::close_overdue(&st, &scope).await {
        tracing::warn!(error = %e, "overdue attempts not closed before a start");
    }
    let now = Utc::now();
    let open = st.attempts.unsubmitted(&id.email, &name).await?;
    // Resume the open attempt, also in its grace period (the browser then submits it at once).
    if let Some(a) = open.iter().filter(|a| a.open_at(now, st.attempt_grace)).max_by_key(|a| a.started_at) {
        let qs = attempt_questions(&st, &name, a.version).await?;
        let al = crate::student::allowance(&st, &id.email, &name, &settings, now).await?;
        let mut body = a.to_json(&qs, &settings, st.attempt_grace, al.used + 1);
        body["max_attempts"] = json!(al.allowed);
        body["resumed"] = json!(true);
        return Ok((StatusCode::OK, Json(body)).into_response());
    }
    check_window(&name, &settings, now)?;
    let al = crate::student::allowance(&st, &id.email, &name, &settings, now).await?;
    if let Some(max) = al.allowed {
        if al.used >= max {
            return Err(refuse(format!("you have used all {max} attempt(s) allowed at {}", name.base())));
        }
    }
    let extra = if settings.time_limit_seconds.is_some() || settings.closes_at.is_some() {
        i64::from(al.extra.extra_time_seconds)
    } else {
        0
    };
    let a = new_attempt(&id.email, &name, version, &questions, &settings, now, extra);
    st.attempts.insert(&a).await?;
    let mut body = a.to_json(&questions, &settings, st.attempt_grace, al.used + 1);
    body["max_attempts"] = json!(al.allowed);
    body["resumed"] = json!(false);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /me/attempts`: the student's own results, newest first, each with
/// the correct answers only where the exam shows them now. Attempts whose
/// time ran out are closed (submitted automatically) first.
async fn my_attempts(State(st): State<AppState>, Student(id): Student) -> ApiResult<Json<Value>> {
    if let Err(e) = crate::closing::close_overdue(&st, &crate::attempts::Scope::Student(id.email.clone())).await {
        tracing::warn!(error = %e, "overdue attempts not closed before listing results");
    }
    let docs = st.results.for_student(&id.email).await?;
    let mut out = Vec::with_capacity(docs.len());
    let mut decided: std::collections::HashMap<String, bool> = Default::default();
    for d in &docs {
        let reveal = match crate::results::stored_reveal(d) {
            Some(r) => r,
            None => {
                let k = format!("{}\n{}", d.get_str("exam").unwrap_or_default(), d.get_str("feedback").unwrap_or_default());
                match decided.get(&k) {
                    Some(r) => *r,
                    None => {
                        let r = crate::student::reveal_for(&st, &id.email, d).await;
                        decided.insert(k, r);
                        r
                    }
                }
            }
        };
        out.push(crate::results::attempt_json(d, reveal));
    }
    Ok(Json(Value::Array(out)))
}

/// `GET /me`: who the token says the caller is.
async fn me(Caller(id): Caller) -> Json<Identity> {
    Json(id)
}

fn bson_json(b: Option<&Bson>) -> Value {
    match b {
        None | Some(Bson::Null) => Value::Null,
        Some(Bson::DateTime(t)) => t.try_to_rfc3339_string().map(Value::String).unwrap_or(Value::Null),
        Some(b) => b.clone().into_relaxed_extjson(),
    }
}

/// `GET /educator/exams`: the caller's exams (owned, shared with them, or
/// shared by every educator) known from S3 and `exams.exams`, with their
/// status, newest first (by when the exam was created: its owner record,
/// else its upload, else its file).
async fn educator_exams(State(st): State<AppState>, Educator(id): Educator) -> ApiResult<Json<Value>> {
    let (files, statuses, uploads, reviews, owners) = tokio::join!(
        st.exams.objects(examfn_domain::names::QUESTIONS_PREFIX),
        st.results.statuses(),
        st.exams.objects(UPLOAD_PREFIX),
        st.reviews.all(),
        st.owners.all()
    );
    let reviews = reviews?;
    let owners = owners?;
    let mut created: std::collections::HashMap<String, DateTime<Utc>> = Default::default();
    let mut seen = |base: &str, t: Option<DateTime<Utc>>| {
        if let Some(t) = t {
            created.entry(base.to_string()).and_modify(|c| *c = (*c).min(t)).or_insert(t);
        }
    };
    let files: Vec<String> = files?
        .into_iter()
        .filter_map(|(k, t)| {
            let n = ExamName::from_key(&k)?;
            seen(n.base(), t);
            Some(n.as_str().to_string())
        })
        .collect();
    let statuses = statuses?;
    let uploads = uploads?;
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    for (key, t) in uploads {
        let Some((base, _)) = key.strip_prefix(UPLOAD_PREFIX).and_then(LectureFormat::split_name) else { continue };
        if let Ok(n) = ExamName::parse(&format!("{base}.json")) {
            seen(n.base(), t);
            rows.insert(n.base().to_string(), json!({"name": n.as_str(), "state": "uploaded", "available": false}));
        }
    }
    for d in &statuses {
        let Some(base) = d.get_str("_id").ok() else { continue };
        let Ok(n) = ExamName::parse(&format!("{base}.json")) else { continue };
        rows.insert(
            base.to_string(),
            json!({
                "name": n.as_str(),
                "state": d.get_str("state").unwrap_or("unknown"),
                "available": false,
                "source_key": bson_json(d.get("source_key")),
                "requested": bson_json(d.get("requested")),
                "written": bson_json(d.get("written")),
                "reason": bson_json(d.get("reason")),
                "updated_at": bson_json(d.get("updated_at")),
            }),
        );
        if d.get_str("state") == Ok("generating") {
            if let Some(p) = progress_json(d) {
                rows.get_mut(base).expect("row just inserted")["progress"] = p;
            }
        }
    }
    for f in files {
        let Ok(n) = ExamName::parse(&f) else { continue };
        let generated = rows.contains_key(n.base());
        let row = rows
            .entry(n.base().to_string())
            .or_insert_with(|| json!({"name": n.as_str(), "state": "ready"}));
        row["available"] = json!(true);
        // Publication: from the review, else as an unreviewed exam counts.
        match reviews.get(n.as_str()) {
            Some(r) => {
                row["publication"] = json!(r.state.as_str());
                row["published_version"] = json!(r.published_version);
                row["draft_version"] = json!(r.draft_version);
            }
            None => {
                let visible = st.reviews.unreviewed_visible(generated);
                row["publication"] = json!(if visible { "published" } else { "draft" });
                row["published_version"] = if visible { json!(0) } else { Value::Null };
                row["draft_version"] = if visible { Value::Null } else { json!(0) };
            }
        }
    }
    // Generated exams that are ready: how many questions still need the educator's review.
    let generated: std::collections::HashSet<&str> = statuses.iter().filter_map(|d| d.get_str("_id").ok()).collect();
    let ready: Vec<(String, ExamName)> = rows
        .iter()
        .filter(|(base, r)| r["state"] == "ready" && r["available"] == true && generated.contains(base.as_str()))
        .filter_map(|(base, r)| Some((base.clone(), ExamName::parse(r["name"].as_str()?).ok()?)))
        .collect();
    let counts =
        futures::future::join_all(ready.iter().map(|(_, n)| needs_review_of(&st, n, reviews.get(n.as_str())))).await;
    for ((base, _), n) in ready.iter().zip(counts) {
        if let (Some(n), Some(row)) = (n, rows.get_mut(base)) {
            row["needs_review"] = json!(n);
        }
    }
    // Only the caller's exams; newest first.
    let mut out: Vec<(String, Value)> = Vec::new();
    for (base, mut row) in rows {
        let name = format!("{base}.json");
        let o = owners.get(&name);
        let Some(access) = st.owners.access_of(o, &id.email) else { continue };
        let when = o
            .and_then(|o| o.created_at.as_deref())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| created.get(&base).copied());
        row["access"] = json!(access.as_str());
        row["owner"] = json!(st.owners.owner_of(o));
        row["co_owners"] = json!(o.map(|o| o.co_owners.clone()).unwrap_or_default());
        row["created_at"] = json!(when.map(|t| t.to_rfc3339()));
        out.push((when.map(|t| t.to_rfc3339()).unwrap_or_default(), row));
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1["name"].as_str().cmp(&b.1["name"].as_str())));
    Ok(Json(Value::Array(out.into_iter().map(|r| r.1).collect())))
}

/// exam-gen's `progress` of a generating exam, as the list shows it:
/// `{stage, written, total, eta_seconds}`, each only when it has the right
/// type (`eta_seconds` null when unknown); None without a progress document.
fn progress_json(status: &mongodb::bson::Document) -> Option<Value> {
    let p = status.get_document("progress").ok()?;
    let count = |k: &str| crate::review::int_of(p, k).filter(|v| *v >= 0);
    let mut v = json!({"eta_seconds": count("eta_seconds")});
    if let Some(stage) = p.get_str("stage").ok().filter(|s| !s.is_empty()) {
        v["stage"] = json!(stage);
    }
    for k in ["written", "total"] {
        if let Some(n) = count(k) {
            v[k] = json!(n);
        }
    }
    Some(v)
}

/// How many questions of an exam's current questions (the draft, else the
/// latest version, else the exam file) still need review; 0 without a
/// sidecar or when no entry of it was flagged. None when it cannot be told
/// now (logged): the list is shown without it.
async fn needs_review_of(st: &AppState, name: &ExamName, review: Option<&Review>) -> Option<usize> {
    let count = async {
        let Some(sidecar) = st.exams.sidecar(name).await? else { return Ok(0) };
        if !sidecar.any_needs_review {
            return Ok(0);
        }
        Ok::<usize, ApiError>(match review {
            Some(r) => {
                let c = st.reviews.working_copy(r).await?;
                provenance::needs_review(&c.questions, &c.sources, &sidecar)
            }
            None => provenance::needs_review(&st.exams.get(name).await?.questions, &[], &sidecar),
        })
    };
    match count.await {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(exam = %name, error = ?e, "questions needing review not counted");
            None
        }
    }
}

/// `GET /educator/exams/{name}`: the complete exam.
async fn educator_exam(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<Response> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    Ok(json_bytes(st.exams.get(&name).await?.full_json.clone()))
}

/// `GET /educator/exams/{name}/scoreboard`.
async fn scoreboard(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    crate::educator::close_for_exam(&st, &name).await;
    Ok(Json(st.results.scoreboard(&name).await?))
}

/// The review of an exam for an educator action, created at the first one
/// (the exam file becomes version 1). When the exam file was rewritten by
/// someone else since (exam-gen, after the lecture was uploaded again), its
/// questions become the draft.
async fn reviewed(st: &AppState, name: &ExamName, by: &str) -> ApiResult<Review> {
    let file = st.exams.fresh(name).await?;
    let r = st.reviews.ensure(name, (&file.questions, &file.etag), by).await?;
    if !r.file_etag.is_empty() && r.file_etag != file.etag {
        tracing::info!(exam = %name, "the exam file was rewritten: its questions become the draft");
        return Ok(st.reviews.adopt_file(&r, &file.questions, &file.etag).await?);
    }
    Ok(r)
}

async fn review_json(st: &AppState, name: &ExamName, r: &Review) -> ApiResult<Value> {
    let (copy, history, sidecar) =
        tokio::join!(st.reviews.working_copy(r), st.reviews.history(name), st.exams.sidecar(name));
    let copy = copy?;
    let (questions, needs_review) = provenance::annotate(&copy.questions, &copy.sources, sidecar?.as_deref());
    let mut v = r.to_json();
    v["reviewed"] = json!(true);
    v["working_version"] = json!(copy.version);
    v["editable"] = json!(r.draft_version == Some(copy.version));
    v["questions"] = json!(questions);
    v["needs_review"] = json!(needs_review);
    v["versions"] = json!(history?);
    Ok(v)
}

/// `GET /educator/exams/{name}/review`: publication state, settings, versions
/// and the draft's questions (or the latest version's when there is no draft).
async fn get_review(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    if st.reviews.get(&name).await?.is_none() {
        // Not reviewed yet: shown as it counts, nothing written.
        let file = st.exams.get(&name).await?;
        let visible = st.reviews.unreviewed_visible(st.reviews.generated(&name).await?);
        let sidecar = st.exams.sidecar(&name).await?;
        let (questions, needs_review) = provenance::annotate(&file.questions, &[], sidecar.as_deref());
        return Ok(Json(json!({
            "exam": name.as_str(), "reviewed": false,
            "state": if visible { "published" } else { "draft" },
            "published_version": if visible { json!(0) } else { Value::Null },
            "draft_version": if visible { Value::Null } else { json!(0) },
            "latest_version": 0, "working_version": 0, "editable": true,
            "settings": Settings::default(), "questions": questions, "needs_review": needs_review, "versions": [],
        })));
    }
    let r = reviewed(&st, &name, &id.email).await?;
    Ok(Json(review_json(&st, &name, &r).await?))
}

/// Body of an edit: the whole question list, in order (edits, deletions and
/// reordering are all this one call).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    questions: Vec<EditQuestion>,
}

/// An edited question: the AWS fields, plus the `source_id` the review gave
/// it (optional: it keeps the question joined to where exam-gen wrote it
/// from whatever the edit changed). Other fields (`provenance`) are ignored.
#[derive(Deserialize)]
pub struct EditQuestion {
    #[serde(flatten)]
    question: Question,
    #[serde(default)]
    source_id: Option<String>,
}

impl EditBody {
    /// The validated questions and the identities the client sent back.
    fn validate(self) -> ApiResult<(Exam, Vec<Option<String>>)> {
        let mut questions = Vec::with_capacity(self.questions.len());
        let mut sent = Vec::with_capacity(self.questions.len());
        for (i, q) in self.questions.into_iter().enumerate() {
            if let Some(id) = &q.source_id {
                if !provenance::valid_source_id(id) {
                    return Err(FnError::bad_input(format!(
                        "question {}: source_id must be one the review gave (q and hexadecimal digits), not {id:?}",
                        i + 1
                    ))
                    .into());
                }
            }
            questions.push(q.question);
            sent.push(q.source_id);
        }
        Ok((validate_questions(questions)?, sent))
    }
}

const EDIT_SHAPE: &str =
    r#"{"questions": [{"question": "...", "options": ["..."], "correct_answer": "...", "source_id": "<optional, from the review>"}]}"#;

/// `PUT /educator/exams/{name}/draft`: replace the draft's questions; without
/// a draft (the exam is published) a new draft version is created first. The
/// published version is never changed.
async fn put_draft(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let edit: EditBody = json_body(body, EDIT_SHAPE)?;
    let (questions, sent) = edit.validate()?;
    let r = reviewed(&st, &name, &id.email).await?;
    save_edit(&st, &name, &r, &questions, &sent, &id.email).await
}

/// Save an edit as the draft and answer with the review as it is now. Each
/// question keeps the identity of the question it was edited from
/// ([`provenance::carry_ids`]): its provenance follows it.
async fn save_edit(
    st: &AppState,
    name: &ExamName,
    r: &Review,
    questions: &[Question],
    sent: &[Option<String>],
    by: &str,
) -> ApiResult<Json<Value>> {
    let before = st.reviews.working_copy(r).await?;
    let sources = provenance::carry_ids(questions, sent, &before.questions, &before.sources);
    st.reviews.save_draft(r, questions, &sources, by, "edited").await?;
    Ok(Json(current_review(st, name).await?))
}

/// The review as it is after a change, read again ([`review_json`]).
async fn current_review(st: &AppState, name: &ExamName) -> ApiResult<Value> {
    let r = st.reviews.get(name).await?.ok_or_else(|| FnError::unavailable("review not readable yet"))?;
    review_json(st, name, &r).await
}

/// `PUT /educator/exams/{name}/versions/{v}`: edit one version in place — only
/// the draft; a version that was ever published is refused (422): students
/// may have taken it, and their attempts are graded against it.
async fn put_version(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path((name, v)): Path<(String, i64)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let edit: EditBody = json_body(body, EDIT_SHAPE)?;
    let (questions, sent) = edit.validate()?;
    let r = reviewed(&st, &name, &id.email).await?;
    if r.draft_version != Some(v) {
        if v < 1 || v > r.latest_version {
            return Err(ApiError::NotFound(format!("{name} has no version {v}")));
        }
        let next = r.draft_version.map(|d| format!("the draft is version {d}")).unwrap_or_else(|| {
            format!("PUT /educator/exams/{name}/draft creates version {}", r.latest_version + 1)
        });
        let what = if r.published_version == Some(v) && r.state == PubState::Published {
            "is published"
        } else {
            "was published"
        };
        return Err(refuse(format!(
            "version {v} of {name} {what} and cannot be edited in place (attempts are graded against it); edit the draft: {next}"
        )));
    }
    save_edit(&st, &name, &r, &questions, &sent, &id.email).await
}

/// `GET /educator/exams/{name}/versions/{v}`: one version's questions.
async fn get_version(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path((name, v)): Path<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let ver = st.reviews.version(&name, v).await?.ok_or_else(|| ApiError::NotFound(format!("{name} has no version {v}")))?;
    Ok(Json(json!({"exam": name.as_str(), "version": v, "questions": ver.questions})))
}

/// `POST /educator/exams/{name}/publish`: the draft becomes the published
/// version (after an unpublish without a draft: the published version again).
/// `questions_bank/<name>.json` is rewritten with it (the AWS format).
async fn publish(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let r = reviewed(&st, &name, &id.email).await?;
    let v = r.draft_version.or(r.published_version).ok_or_else(|| refuse(format!("{name} has no version to publish")))?;
    let ver = st.reviews.version(&name, v).await?.ok_or_else(|| FnError::unavailable(format!("version {v} not readable")))?;
    st.exams.put(&name, &ver.questions).await?;
    let etag = st.exams.fresh(&name).await?.etag.clone();
    st.reviews.publish(&r, &etag).await?;
    tracing::info!(exam = %name, version = v, educator = %id.email, "exam published");
    Ok(Json(current_review(&st, &name).await?))
}

/// `POST /educator/exams/{name}/unpublish`: students no longer list or open it.
async fn unpublish(State(st): State<AppState>, Educator(id): Educator, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let r = reviewed(&st, &name, &id.email).await?;
    st.reviews.unpublish(&r).await?;
    tracing::info!(exam = %name, educator = %id.email, "exam unpublished");
    Ok(Json(current_review(&st, &name).await?))
}

/// `POST /educator/exams/{name}/questions/{number}/replace`: question
/// `number` (1-based) of the draft is replaced by a question the generator
/// wrote from the same lecture that no version of the exam has had (exam-gen
/// keeps them in the sidecar's `spares`); the draft is created first when the
/// exam is published. 422 when none is left.
async fn replace_question(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path((name, number)): Path<(String, usize)>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let r = reviewed(&st, &name, &id.email).await?;
    let copy = st.reviews.working_copy(&r).await?;
    if number == 0 || number > copy.questions.len() {
        return Err(ApiError::NotFound(format!("{name} has no question {number} (it has {})", copy.questions.len())));
    }
    let sidecar = st.exams.fresh_sidecar(&name).await?;
    if let Some(why) = sidecar.as_ref().and_then(|s| s.spares_error.as_ref()) {
        return Err(FnError::permanent(format!("the spare questions of {name} are not readable: {why}")).into());
    }
    let Some((sidecar, spares)) = sidecar.and_then(|s| s.spares.clone().map(|spares| (s, spares))) else {
        return Err(refuse(format!(
            "no spare questions were kept for {name} (generated before exam-gen kept spares, or not generated by exam-gen): \
             edit the question by hand, or upload the lecture again"
        )));
    };
    let mut used = st.reviews.question_texts(&name).await?;
    used.extend(copy.questions.iter().map(|q| q.question.clone()));
    used.extend(r.rejected.iter().cloned());
    // By identity too: a spare in the draft under an edited text is in use.
    let in_use: std::collections::HashSet<String> =
        copy.questions.iter().enumerate().map(|(i, q)| provenance::effective_id(q, copy.sources.get(i))).collect();
    let Some(new) = spares.into_iter().find(|q| {
        !used.contains(&q.question) && !in_use.contains(&provenance::source_id(&q.question)) && q.options.contains(&q.correct_answer)
    }) else {
        return Err(refuse(format!("every spare question of {name}'s lecture is already used: edit the question by hand")));
    };
    // The replacement's identity joins it to its entry in the sidecar's spare_details.
    let mut sources = copy.sources.clone();
    sources.resize(copy.questions.len(), None);
    sources[number - 1] = Some(provenance::source_id(&new.question));
    let mut questions = copy.questions.clone();
    let old = std::mem::replace(&mut questions[number - 1], new);
    st.reviews.save_draft(&r, &questions, &sources, &id.email, "replaced").await?;
    // Never proposed again: the replaced question, and what exam-gen wrote when the educator had edited it.
    let mut out = vec![old.question.clone()];
    let old_id = provenance::effective_id(&old, copy.sources.get(number - 1));
    if let Some(d) = sidecar.detail(&old_id).filter(|d| d.original.question != old.question) {
        out.push(d.original.question.clone());
    }
    st.reviews.reject(&r, &out).await?;
    let mut v = current_review(&st, &name).await?;
    v["replaced"] = json!(number);
    Ok(Json(v))
}

/// `PUT /educator/exams/{name}/settings`: the exam's settings (every field optional; see [`Settings`]).
async fn put_settings(
    State(st): State<AppState>,
    Educator(id): Educator,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    owned(&st, &name, &id).await?;
    let mut settings: Settings = json_body(
        body,
        r#"{"time_limit_seconds": 600, "opens_at": "<RFC 3339>", "closes_at": "<RFC 3339>", "max_attempts": 1, "shuffle_questions": true, "shuffle_options": true, "feedback": "answers"|"after_last_attempt"|"after_close"|"score", "pass_percentage": 50, "students": ["ann@school.edu", "@school.edu"]}"#,
    )?;
    settings.validate()?;
    let r = reviewed(&st, &name, &id.email).await?;
    st.reviews.set_settings(&r, &settings).await?;
    Ok(Json(current_review(&st, &name).await?))
}

#[derive(Deserialize)]
pub struct UploadQuery {
    name: Option<String>,
    n_mcq: Option<String>,
    n_tfq: Option<String>,
    n_mcq_options: Option<String>,
    /// The OCR language of a scanned PDF (Tesseract's code: `eng`, `deu`, `eng+fra`).
    lang: Option<String>,
    /// `true`: the name is the caller's existing exam and the new lecture replaces its draft questions.
    replace: Option<String>,
}

fn count(name: &str, v: Option<&str>, default: u32, min: u32, max: u32) -> Result<u32, ApiError> {
    let Some(v) = v.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(default) };
    let n: u32 = v.parse().map_err(|_| FnError::bad_input(format!("{name} must be a whole number")))?;
    if n < min || n > max {
        return Err(FnError::bad_input(format!("{name} must be between {min} and {max}")).into());
    }
    Ok(n)
}

/// `POST /educator/uploads?name=&n_mcq=&n_tfq=&n_mcq_options=&lang=`: the
/// raw lecture body goes to `exams/<name>.<ext>` with the generation
/// parameters (and the OCR language of a scan) as metadata. The format is
/// the name's extension (`lecture1.pptx`), else the `Content-Type`, else a
/// PDF when the body starts with `%PDF-`; the body must look like it.
async fn upload(
    State(st): State<AppState>,
    Educator(id): Educator,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let raw = q.name.as_deref().map(str::trim).unwrap_or("");
    let (base, named_format) = match LectureFormat::split_name(raw) {
        Some((base, f)) => (base, Some(f)),
        None => (raw, None),
    };
    let name = exam_name(&format!("{base}.json"))
        .map_err(|_| FnError::bad_input("name must be a plain file name such as lecture1, lecture1.pdf or lecture1.pptx"))?;
    let lang = match q.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => Some(
            examfn_domain::upload::ocr_lang([(&"lang".to_string(), &l.to_string())]).map_err(|e| FnError::bad_input(e.0))?,
        ),
    };
    let n_mcq = count("n_mcq", q.n_mcq.as_deref(), 5, 0, 50)?;
    let n_tfq = count("n_tfq", q.n_tfq.as_deref(), 3, 0, 50)?;
    let n_opts = count("n_mcq_options", q.n_mcq_options.as_deref(), 4, 2, 8)?;
    if n_mcq + n_tfq == 0 {
        return Err(FnError::bad_input("ask for at least one question (n_mcq + n_tfq > 0)").into());
    }
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ctype.starts_with("multipart/") {
        return Err(ApiError::Unsupported(
            "send the lecture itself as the request body (Content-Type: application/pdf, or the file's own type)".into(),
        ));
    }
    let body = match body {
        Ok(b) => b,
        Err(r) if examfn_runtime::http::is_too_large(&r) => {
            let msg = match examfn_runtime::http::declared_too_large(&r) {
                Some(e) => format!(
                    "the lecture is larger than the limit of {} bytes (UPLOAD_MAX_BYTES): the request declares {} bytes",
                    e.limit, e.declared
                ),
                None => format!("the lecture is larger than the limit of {} bytes (UPLOAD_MAX_BYTES)", st.upload_max_bytes),
            };
            return Ok((StatusCode::PAYLOAD_TOO_LARGE, Json(json!({"error": msg, "kind": "bad_input", "status": 413})))
                .into_response());
        }
        Err(r) => return Err(ApiError::Body(r)),
    };
    let format = named_format
        .or_else(|| LectureFormat::from_content_type(ctype))
        .or_else(|| body.starts_with(b"%PDF-").then_some(LectureFormat::Pdf))
        .ok_or_else(|| {
            FnError::bad_input(format!(
                "say which kind of lecture this is: name it with its extension ({}) or send its Content-Type",
                LectureFormat::EXTENSIONS_TEXT
            ))
        })?;
    if let Err(why) = format.sniff(&body) {
        return Err(FnError::bad_input(format!("the body is not a {format}: {why}")).into());
    }
    // The name is the educator's own, or free; reusing one of theirs must be meant.
    let owner = st.owners.get(&name).await?;
    let exists = exam_exists(&st, &name).await?;
    // A name no exam has is free; an exam from before ownership is its admin's (or everyone's).
    if (owner.is_some() || exists) && st.owners.access_of(owner.as_ref(), &id.email).is_none() {
        return Err(ApiError::Json(
            StatusCode::CONFLICT,
            json!({"error": format!("The name {:?} is taken by another educator's exam: choose another name.", name.base()),
                "kind": "name_taken", "status": 409}),
        ));
    }
    let replace = q.replace.as_deref().is_some_and(|r| matches!(r.trim(), "true" | "1" | "yes"));
    if !replace && exists {
        return Err(ApiError::Json(
            StatusCode::CONFLICT,
            json!({"error": format!(
                "You already have an exam named {:?}. Uploading again replaces its draft questions with ones written from the new lecture \
                 (the published version stays what students take until you publish again). Choose another name, or confirm the replacement (replace=true).",
                name.base()), "kind": "exists", "status": 409, "exam": name.as_str()}),
        ));
    }
    if owner.is_none() {
        st.owners.claim(&name, &id.email).await?;
    }
    let key = format!("{UPLOAD_PREFIX}{}.{}", name.base(), format.extension());
    let mut put = st.exams.client().put_object();
    if let Some(l) = &lang {
        put = put.metadata("lang", l.clone());
    }
    put.bucket(st.exams.bucket())
        .key(&key)
        .content_type(format.content_type())
        .metadata("n_mcq", n_mcq.to_string())
        .metadata("n_tfq", n_tfq.to_string())
        .metadata("n_mcq_options", n_opts.to_string())
        .metadata("uploaded_by", id.email.clone())
        .body(body.clone().into())
        .send()
        .await
        .map_err(|e| examfn_runtime::s3::classify("upload lecture", e))?;
    tracing::info!(key = %key, bytes = body.len(), educator = %id.email, "lecture uploaded");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "name": name.as_str(), "key": key, "bytes": body.len(), "state": "uploaded", "format": format.extension(),
            "n_mcq": n_mcq, "n_tfq": n_tfq, "n_mcq_options": n_opts,
        })),
    )
        .into_response())
}

/// Whether an exam of this name exists in any form: its file, exam-gen's
/// status, or a lecture uploaded under it.
async fn exam_exists(st: &AppState, name: &ExamName) -> ApiResult<bool> {
    if st.exams.exists(name).await? || st.reviews.generated(name).await? {
        return Ok(true);
    }
    let prefix = format!("{UPLOAD_PREFIX}{}.", name.base());
    Ok(st
        .exams
        .keys(&prefix)
        .await?
        .iter()
        .any(|k| k.strip_prefix(UPLOAD_PREFIX).and_then(LectureFormat::split_name).is_some_and(|(b, _)| b == name.base())))
}

/// `GET /auth/config`: how the UI signs in.
async fn auth_config(State(st): State<AppState>) -> Json<Value> {
    Json(json!({
        "mode": if st.dev.is_some() { "development" } else { "gateway" },
        "issuer": st.verifier.issuer(),
        "audience": st.verifier.audience(),
    }))
}

/// Body of `POST /dev/token`; unknown fields are refused like a submit's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSignIn {
    email: String,
    role: String,
}

/// `POST /dev/token` (development mode only): mint a token for the dev sign-in page.
async fn dev_token(State(st): State<AppState>, body: Result<Bytes, BytesRejection>) -> ApiResult<Json<Value>> {
    let Some(keys) = &st.dev else {
        return Err(ApiError::NotFound("development sign-in is not enabled".into()));
    };
    let req: DevSignIn = json_body(body, r#"{"email": "<address>", "role": "student|educator"}"#)?;
    let role: Role = req.role.parse().map_err(|e: String| FnError::bad_input(e))?;
    let token = keys
        .mint_with(st.verifier.issuer(), st.verifier.audience(), &req.email, role, DEV_TOKEN_TTL)
        .map_err(|e| FnError::bad_input(e.to_string()))?;
    Ok(Json(json!({"token": token, "expires_in": DEV_TOKEN_TTL.as_secs(), "email": req.email.trim(), "role": role})))
}

fn security_headers(router: Router, cache: &'static str) -> Router {
    let set = |name: HeaderName, value: &'static str| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    router
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin"))
        .layer(set(HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"))
        .layer(set(header::CACHE_CONTROL, cache))
}

/// All routes of take-exam (health and metrics come from the runtime).
pub fn router(state: AppState) -> Router {
    let upload_limit = state.upload_max_bytes;
    let api = Router::new()
        .route("/exam", get(get_exam))
        .route("/exam/{name}/attempts", post(submit))
        .route("/exam/{name}/attempts/start", post(start_attempt))
        .route("/me", get(me))
        .route("/me/attempts", get(my_attempts))
        .route("/educator/exams", get(educator_exams))
        .route("/educator/exams/{name}", get(educator_exam))
        .route("/educator/exams/{name}/scoreboard", get(scoreboard))
        .route("/educator/exams/{name}/review", get(get_review))
        .route("/educator/exams/{name}/draft", put(put_draft))
        .route("/educator/exams/{name}/versions/{version}", get(get_version).put(put_version))
        .route("/educator/exams/{name}/publish", post(publish))
        .route("/educator/exams/{name}/unpublish", post(unpublish))
        .route("/educator/exams/{name}/settings", put(put_settings))
        .route("/educator/exams/{name}/questions/{number}/replace", post(replace_question))
        .route("/educator/uploads", route_body_limit(post(upload), upload_limit, "UPLOAD_MAX_BYTES"))
        .route("/auth/config", get(auth_config))
        .route("/dev/token", post(dev_token))
        .with_state(state.clone());
    let api = api
        .merge(crate::reports::router(state.clone()))
        .merge(crate::student::router(state.clone()))
        .merge(crate::educator::router(state.clone()));
    let mut api = security_headers(api, "no-store");
    if !state.cors_allowed_origins.is_empty() {
        let origins: Vec<HeaderValue> =
            state.cors_allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        api = api.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::PUT])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, HeaderName::from_static(IDEMPOTENCY_KEY)])
                .expose_headers([HeaderName::from_static(IDEMPOTENT_REPLAYED)])
                .max_age(Duration::from_secs(600)),
        );
    }
    let ui = security_headers(crate::ui::routes(), "no-cache");
    api.merge(ui)
}
