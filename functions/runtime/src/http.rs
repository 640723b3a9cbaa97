//! The HTTP side: the CloudEvents endpoint (`POST /`), health and metrics.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use bytes::Bytes;
use cloudevents::Event;
use http_body::Body as _;
use serde_json::json;
use tracing::Instrument;

use crate::event;
use crate::handler::{Handler, Outcome};
use crate::metrics::Metrics;
use crate::FnError;

/// Run a handler on one event with a span naming the event, record metrics
/// and log the outcome. Both transports call this.
pub async fn dispatch<H: Handler>(handler: &H, metrics: &Metrics, ev: Event) -> Result<Outcome, FnError> {
    let (id, ty, source) = event::describe(&ev);
    let span = tracing::info_span!("event", ce.id = %id, ce.type = %ty, ce.source = %source);
    async move {
        let started = Instant::now();
        let result = handler.handle(ev).await;
        let took = started.elapsed();
        match &result {
            Ok(Outcome::Done(_)) => {
                metrics.observe("ok", took);
                tracing::info!(took_ms = took.as_secs_f64() * 1e3, "handled");
            }
            Ok(Outcome::Skipped(reason)) => {
                metrics.observe("skipped", took);
                tracing::info!(%reason, "skipped");
            }
            Err(e) => {
                metrics.observe(e.kind(), took);
                tracing::warn!(kind = e.kind(), error = %e.message(), "failed");
            }
        }
        result
    }
    .instrument(span)
    .await
}

struct EventState<H> {
    handler: Arc<H>,
    metrics: Arc<Metrics>,
}

impl<H> Clone for EventState<H> {
    fn clone(&self) -> Self {
        Self { handler: self.handler.clone(), metrics: self.metrics.clone() }
    }
}

/// `POST /`: the endpoint a KafkaSource, Trigger or webhook delivers to.
/// Success is 200 with the outcome; errors carry their class's status.
pub fn event_routes<H: Handler>(handler: Arc<H>, metrics: Arc<Metrics>) -> Router {
    Router::new().route("/", post(receive::<H>)).with_state(EventState { handler, metrics })
}

async fn receive<H: Handler>(
    State(st): State<EventState<H>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rejection) => return body_rejection(rejection),
    };
    let ev = match event::from_http(&headers, &body, uri.path()) {
        Ok(ev) => ev,
        Err(e) => {
            st.metrics.observe(e.kind(), Duration::ZERO);
            tracing::warn!(error = %e.message(), "rejected request");
            return e.into_response();
        }
    };
    match dispatch(&*st.handler, &st.metrics, ev).await {
        Ok(Outcome::Done(v)) => (StatusCode::OK, Json(json!({"status": "done", "result": v}))).into_response(),
        Ok(Outcome::Skipped(reason)) => (StatusCode::OK, Json(json!({"status": "skipped", "reason": reason}))).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Map a body-reading failure to JSON: 413 over the limit (declared by
/// `Content-Length` or found while reading), 408 when the client did not send
/// the body in time, 400 otherwise.
pub fn body_rejection(rejection: BytesRejection) -> Response {
    let (status, message) = if is_body_deadline(&rejection) {
        (StatusCode::REQUEST_TIMEOUT, BodyDeadlineExceeded.to_string())
    } else if let Some(e) = declared_too_large(&rejection) {
        (StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
    } else if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        (StatusCode::PAYLOAD_TOO_LARGE, "request body is larger than the configured limit (MAX_BODY_BYTES)".to_string())
    } else {
        (rejection.status(), rejection.body_text())
    };
    (status, Json(json!({"error": message, "kind": "bad_input", "status": status.as_u16()}))).into_response()
}

/// Whether reading the body failed because it is over the limit, whether its
/// `Content-Length` said so up front or it grew past the limit (chunked).
pub fn is_too_large(rejection: &BytesRejection) -> bool {
    declared_too_large(rejection).is_some() || rejection.status() == StatusCode::PAYLOAD_TOO_LARGE
}

/// Whether reading the body failed because its deadline passed.
pub fn is_body_deadline(rejection: &BytesRejection) -> bool {
    cause::<BodyDeadlineExceeded>(rejection).is_some()
}

/// The refusal of a body whose `Content-Length` is over the limit, if that is why reading it failed.
pub fn declared_too_large(rejection: &BytesRejection) -> Option<DeclaredTooLarge> {
    cause::<DeclaredTooLarge>(rejection).copied()
}

fn cause<T: std::error::Error + 'static>(rejection: &BytesRejection) -> Option<&T> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// The error a request body yields once its deadline has passed.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive within the configured time (HTTP_BODY_TIMEOUT_MS)")]
pub struct BodyDeadlineExceeded;

/// A request body that must be complete by a deadline. Unlike an idle
/// timeout, a client trickling one byte at a time cannot extend it.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyDeadlineExceeded)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Give every request body `timeout` from the moment its headers were read;
/// reading it later fails with [`BodyDeadlineExceeded`] (408 through
/// [`body_rejection`]), and the connection is closed since the body was not
/// read to its end.
pub fn body_deadline(router: Router, timeout: Duration) -> Router {
    router.layer(axum::middleware::map_request(move |req: Request| async move {
        let (parts, body) = req.into_parts();
        if body.is_end_stream() {
            return Request::from_parts(parts, body);
        }
        let body = DeadlineBody { inner: body, deadline: Box::pin(tokio::time::sleep(timeout)) };
        Request::from_parts(parts, Body::new(body))
    }))
}

/// The readiness check a service runs for `/health/readiness`.
pub type ReadyFn = Arc<dyn Fn() -> futures::future::BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// `/health/liveness`, `/health/readiness`, `/metrics`.
pub fn health_routes(ready: ReadyFn, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/health/liveness", get(|| async { Json(json!({"status": "alive"})) }))
        .route(
            "/health/readiness",
            get(move || {
                let ready = ready.clone();
                async move {
                    match tokio::time::timeout(Duration::from_secs(3), ready()).await {
                        Ok(Ok(())) => (StatusCode::OK, Json(json!({"status": "ready"}))),
                        Ok(Err(reason)) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not ready", "reason": reason}))),
                        Err(_) => (
                            StatusCode::SERVICE_UNAVAILABLE,
                            Json(json!({"status": "not ready", "reason": "readiness check timed out"})),
                        ),
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let m = metrics.clone();
                async move { ([("content-type", "text/plain; version=0.0.4")], m.render()) }
            }),
        )
}

/// The error a request body yields when its `Content-Length` is over the
/// limit: nothing of it has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request declares a body of {declared} bytes (Content-Length), more than the limit of {limit} bytes ({setting})")]
pub struct DeclaredTooLarge {
    pub declared: u64,
    pub limit: usize,
    /// The setting that sets the limit, e.g. `MAX_BODY_BYTES`.
    pub setting: &'static str,
}

/// The body limit of one request: the service's, unless its route set its own
/// ([`route_body_limit`]); and whether the body was refused for it.
#[derive(Clone)]
struct BodyLimitGuard(Arc<Mutex<GuardState>>);

struct GuardState {
    limit: usize,
    setting: &'static str,
    refused: Option<DeclaredTooLarge>,
}

impl BodyLimitGuard {
    fn new(limit: usize, setting: &'static str) -> Self {
        Self(Arc::new(Mutex::new(GuardState { limit, setting, refused: None })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GuardState> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set(&self, limit: usize, setting: &'static str) {
        let mut st = self.state();
        st.limit = limit;
        st.setting = setting;
    }

    /// Refuse a declared length over the limit in force.
    fn check(&self, declared: u64) -> Result<(), DeclaredTooLarge> {
        let mut st = self.state();
        if declared > st.limit as u64 {
            let e = DeclaredTooLarge { declared, limit: st.limit, setting: st.setting };
            st.refused = Some(e);
            return Err(e);
        }
        Ok(())
    }

    fn refused(&self) -> Option<DeclaredTooLarge> {
        self.state().refused
    }
}

/// A body with a declared length: the first read compares the length with the
/// limit in force and fails at once, without reading anything, when it is over.
struct DeclaredLengthBody {
    inner: Body,
    declared: u64,
    guard: BodyLimitGuard,
    checked: bool,
}

impl http_body::Body for DeclaredLengthBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if !this.checked {
            this.checked = true;
            if let Err(e) = this.guard.check(this.declared) {
                return Poll::Ready(Some(Err(axum::Error::new(e))));
            }
        }
        Pin::new(&mut this.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Apply the body limit to a router (413 past it). A request whose
/// `Content-Length` is over the limit is answered 413 as soon as its handler
/// asks for the body, before any of it is read (a client announcing 64 MiB is
/// not kept waiting for `HTTP_BODY_TIMEOUT_MS`); a body without a length
/// (chunked) gets 413 once it grows past the limit. Every 413 closes the
/// connection (`Connection: close`): the rest of that body is never read.
/// A route can set its own limit with [`route_body_limit`].
pub fn limit_body(router: Router, max_body_bytes: usize) -> Router {
    router
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(max_body_bytes, refuse_declared_oversize))
}

async fn refuse_declared_oversize(State(max): State<usize>, mut req: Request, next: Next) -> Response {
    let guard = BodyLimitGuard::new(max, "MAX_BODY_BYTES");
    req.extensions_mut().insert(guard.clone());
    if let Some(declared) = declared_length(req.headers()).filter(|n| *n > 0) {
        let g = guard.clone();
        req = req.map(|inner| Body::new(DeclaredLengthBody { inner, declared, guard: g, checked: false }));
    }
    let mut resp = next.run(req).await;
    if let Some(refused) = guard.refused() {
        // Whatever the handler made of the failed read, the answer is 413.
        if resp.status() != StatusCode::PAYLOAD_TOO_LARGE {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            resp = (status, Json(json!({"error": refused.to_string(), "kind": "bad_input", "status": 413}))).into_response();
        }
    }
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// A route with its own body limit (a larger one for uploads), named by the
/// setting that configures it (shown in the 413). Works under [`limit_body`],
/// which it overrides for this route.
pub fn route_body_limit<S>(route: MethodRouter<S>, max: usize, setting: &'static str) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    route.layer(DefaultBodyLimit::max(max)).layer(axum::middleware::map_request(move |req: Request| async move {
        if let Some(guard) = req.extensions().get::<BodyLimitGuard>() {
            guard.set(max, setting);
        }
        req
    }))
}

/// A JSON 404 for unknown paths.
pub async fn not_found(uri: Uri) -> impl IntoResponse {
    (StatusCode::NOT_FOUND, Json(json!({"error": format!("no route for {}", uri.path()), "status": 404})))
}
