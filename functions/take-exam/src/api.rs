//! The HTTP API (documented in `ui/openapi.json`, served at `/openapi.json`).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mongodb::bson::Bson;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use examfn_domain::grading::{grade, ExamName, GradingError};
use examfn_domain::names::UPLOAD_PREFIX;
use examfn_runtime::http::route_body_limit;
use examfn_runtime::FnError;

use crate::auth::{bearer, AuthError, Identity, Role};
use crate::exams::ExamError;
use crate::results::request_fingerprint;
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
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn exam_name(name: &str) -> Result<ExamName, ApiError> {
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

/// `GET /exam` (names) and `GET /exam?object_name=N` (one exam; answers only for educators).
async fn get_exam(State(st): State<AppState>, Caller(id): Caller, Query(q): Query<ExamQuery>) -> ApiResult<Response> {
    match q.object_name {
        None => Ok(Json(st.exams.list().await?).into_response()),
        Some(n) => {
            let name = exam_name(&n)?;
            let exam = st.exams.get(&name).await?;
            Ok(json_bytes(match id.role {
                Role::Educator => exam.full_json.clone(),
                Role::Student => exam.student_json.clone(),
            }))
        }
    }
}

/// Body of a submit. Unknown fields are refused (400 naming the field): the
/// email, score and grading come from the token and the server, so a client
/// sending `email` or `score` learns at once that they are not taken.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    answers: Vec<String>,
}

/// Read a JSON request body: 413 past the limit, 408 when it arrived too
/// slowly, 400 for malformed JSON or unknown fields (serde names the field
/// and position), with `expected` showing the right shape.
fn json_body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>, expected: &str) -> Result<T, ApiError> {
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
async fn submit(
    State(st): State<AppState>,
    Student(id): Student,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let name = exam_name(&name)?;
    let key = idempotency_key(&headers)?;
    let sub: Submission = json_body(body, r#"{"answers": ["<option>", ...]}"#)?;
    let exam = st.exams.get(&name).await?;
    let graded = grade(&exam.questions, &sub.answers).map_err(|e: GradingError| FnError::permanent(e.to_string()))?;
    let fingerprint = request_fingerprint(&sub.answers);
    let rec = st.results.record(&id.email, &name, &graded, &key, &fingerprint).await?;
    let mut resp = (StatusCode::CREATED, Json(rec.body)).into_response();
    if !rec.created {
        resp.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// `GET /me/attempts`: the student's own results.
async fn my_attempts(State(st): State<AppState>, Student(id): Student) -> ApiResult<Json<Value>> {
    Ok(Json(json!(st.results.for_student(&id.email).await?)))
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

/// `GET /educator/exams`: every exam known from S3 and `exams.exams`, with its status.
async fn educator_exams(State(st): State<AppState>, Educator(_): Educator) -> ApiResult<Json<Value>> {
    let (files, statuses, uploads) =
        tokio::join!(st.exams.list(), st.results.statuses(), st.exams.keys(UPLOAD_PREFIX));
    let files = files?;
    let statuses = statuses?;
    let uploads = uploads?;
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    for key in uploads {
        let Some(base) = key.strip_prefix(UPLOAD_PREFIX).and_then(|k| k.strip_suffix(".pdf")) else { continue };
        if let Ok(n) = ExamName::parse(&format!("{base}.json")) {
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
    }
    for f in files {
        let Ok(n) = ExamName::parse(&f) else { continue };
        let row = rows
            .entry(n.base().to_string())
            .or_insert_with(|| json!({"name": n.as_str(), "state": "ready"}));
        row["available"] = json!(true);
    }
    Ok(Json(Value::Array(rows.into_values().collect())))
}

/// `GET /educator/exams/{name}`: the complete exam.
async fn educator_exam(State(st): State<AppState>, Educator(_): Educator, Path(name): Path<String>) -> ApiResult<Response> {
    let name = exam_name(&name)?;
    Ok(json_bytes(st.exams.get(&name).await?.full_json.clone()))
}

/// `GET /educator/exams/{name}/scoreboard`.
async fn scoreboard(State(st): State<AppState>, Educator(_): Educator, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let name = exam_name(&name)?;
    Ok(Json(st.results.scoreboard(&name).await?))
}

#[derive(Deserialize)]
pub struct UploadQuery {
    name: Option<String>,
    n_mcq: Option<String>,
    n_tfq: Option<String>,
    n_mcq_options: Option<String>,
}

fn count(name: &str, v: Option<&str>, default: u32, min: u32, max: u32) -> Result<u32, ApiError> {
    let Some(v) = v.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(default) };
    let n: u32 = v.parse().map_err(|_| FnError::bad_input(format!("{name} must be a whole number")))?;
    if n < min || n > max {
        return Err(FnError::bad_input(format!("{name} must be between {min} and {max}")).into());
    }
    Ok(n)
}

/// `POST /educator/uploads?name=&n_mcq=&n_tfq=&n_mcq_options=`: the raw PDF
/// body goes to `exams/<name>.pdf` with the generation parameters as metadata.
async fn upload(
    State(st): State<AppState>,
    Educator(id): Educator,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let raw = q.name.as_deref().map(str::trim).unwrap_or("");
    let base = raw.strip_suffix(".pdf").or_else(|| raw.strip_suffix(".PDF")).unwrap_or(raw);
    let name = exam_name(&format!("{base}.json"))
        .map_err(|_| FnError::bad_input("name must be a plain file name such as lecture1 or lecture1.pdf"))?;
    let n_mcq = count("n_mcq", q.n_mcq.as_deref(), 5, 0, 50)?;
    let n_tfq = count("n_tfq", q.n_tfq.as_deref(), 3, 0, 50)?;
    let n_opts = count("n_mcq_options", q.n_mcq_options.as_deref(), 4, 2, 8)?;
    if n_mcq + n_tfq == 0 {
        return Err(FnError::bad_input("ask for at least one question (n_mcq + n_tfq > 0)").into());
    }
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ctype.starts_with("multipart/") {
        return Err(ApiError::Unsupported("send the PDF itself as the request body (Content-Type: application/pdf)".into()));
    }
    let body = match body {
        Ok(b) => b,
        Err(r) if examfn_runtime::http::is_too_large(&r) => {
            let msg = match examfn_runtime::http::declared_too_large(&r) {
                Some(e) => format!(
                    "the PDF is larger than the limit of {} bytes (UPLOAD_MAX_BYTES): the request declares {} bytes",
                    e.limit, e.declared
                ),
                None => format!("the PDF is larger than the limit of {} bytes (UPLOAD_MAX_BYTES)", st.upload_max_bytes),
            };
            return Ok((StatusCode::PAYLOAD_TOO_LARGE, Json(json!({"error": msg, "kind": "bad_input", "status": 413})))
                .into_response());
        }
        Err(r) => return Err(ApiError::Body(r)),
    };
    if !body.starts_with(b"%PDF-") {
        return Err(FnError::bad_input("the body is not a PDF (it must start with %PDF-)").into());
    }
    let key = format!("{UPLOAD_PREFIX}{}.pdf", name.base());
    st.exams
        .client()
        .put_object()
        .bucket(st.exams.bucket())
        .key(&key)
        .content_type("application/pdf")
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
            "name": name.as_str(), "key": key, "bytes": body.len(), "state": "uploaded",
            "n_mcq": n_mcq, "n_tfq": n_tfq, "n_mcq_options": n_opts,
        })),
    )
        .into_response())
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
        .route("/me", get(me))
        .route("/me/attempts", get(my_attempts))
        .route("/educator/exams", get(educator_exams))
        .route("/educator/exams/{name}", get(educator_exam))
        .route("/educator/exams/{name}/scoreboard", get(scoreboard))
        .route("/educator/uploads", route_body_limit(post(upload), upload_limit, "UPLOAD_MAX_BYTES"))
        .route("/auth/config", get(auth_config))
        .route("/dev/token", post(dev_token))
        .with_state(state.clone());
    let api = api.merge(crate::reports::router(state.clone()));
    let mut api = security_headers(api, "no-store");
    if !state.cors_allowed_origins.is_empty() {
        let origins: Vec<HeaderValue> =
            state.cors_allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        api = api.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, HeaderName::from_static(IDEMPOTENCY_KEY)])
                .expose_headers([HeaderName::from_static(IDEMPOTENT_REPLAYED)])
                .max_age(Duration::from_secs(600)),
        );
    }
    let ui = security_headers(crate::ui::routes(), "no-cache");
    api.merge(ui)
}
