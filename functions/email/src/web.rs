//! HTTP routes beside the event endpoint:
//!
//! * `POST /hooks/kratos/after-registration`: Ory Kratos' `web_hook` after
//!   registration; educators are subscribed, students ignored.
//! * `GET|POST /unsubscribe?email=…&token=…`: the signed link in every email
//!   (POST is RFC 8058 one-click from `List-Unsubscribe-Post`).
//! * `GET /unsubscribe` without a link, and `POST /unsubscribe/request`: ask
//!   for a link by address (the footer of Bcc-mode messages points here).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use examfn_domain::email::{
    html_escape, normalize_address, parse_registration, EmailMessage, Recipients,
};
use examfn_runtime::FnError;
use serde::Deserialize;
use serde_json::json;

use crate::deliver::EmailFn;
use crate::mailer::Addressing;
use crate::store::{Claim, SubscribeOutcome, UnsubscribeOutcome};
use crate::token;

/// The routes; merge them into the service with `Service::routes`.
pub fn routes(state: Arc<EmailFn>) -> Router {
    Router::new()
        .route(
            "/hooks/kratos/after-registration",
            post(kratos_after_registration),
        )
        .route("/unsubscribe", get(unsubscribe).post(unsubscribe))
        .route("/unsubscribe/request", post(request_link))
        .with_state(state)
}

fn json_error(status: StatusCode, msg: impl Into<String>) -> Response {
    let kind = if status == StatusCode::UNAUTHORIZED {
        "unauthorized"
    } else {
        "bad_input"
    };
    (
        status,
        Json(json!({"error": msg.into(), "kind": kind, "status": status.as_u16()})),
    )
        .into_response()
}

/// The secret from `X-Webhook-Secret: <s>` or `Authorization: Bearer <s>`.
fn presented_secret(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get("x-webhook-secret")
        .and_then(|v| v.to_str().ok())
    {
        return Some(v.trim());
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = auth.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

async fn kratos_after_registration(
    State(st): State<Arc<EmailFn>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(secret) = st.settings().kratos_webhook_secret.clone() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "the sign-up webhook is disabled: KRATOS_WEBHOOK_SECRET is not set", "kind": "unavailable", "status": 503})),
        )
            .into_response();
    };
    match presented_secret(&headers) {
        Some(p) if token::secret_matches(p, secret.expose()) => {}
        Some(_) => return unauthorized("wrong webhook secret"),
        None => {
            return unauthorized(
                "missing webhook secret (X-Webhook-Secret or Authorization: Bearer)",
            )
        }
    }
    let body = match body {
        Ok(b) => b,
        Err(r) => return examfn_runtime::http::body_rejection(r),
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("the body is not JSON: {e}"),
            )
        }
    };
    let reg = match parse_registration(&value) {
        Ok(r) => r,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e),
    };
    if !reg.is_educator() {
        tracing::info!(email = %reg.email, user_type = ?reg.user_type, "sign-up ignored: not an educator");
        return Json(json!({
            "subscribed": false,
            "email": reg.email,
            "note": format!(
                "only educators are subscribed to notifications (user_type: {})",
                reg.user_type.as_deref().unwrap_or("none")
            ),
        }))
        .into_response();
    }
    match st
        .store()
        .subscribe(
            &reg.email,
            reg.user_type.as_deref(),
            reg.identity_id.as_deref(),
        )
        .await
    {
        Ok(outcome) => {
            let o = match outcome {
                SubscribeOutcome::Created => "created",
                SubscribeOutcome::Reactivated => "reactivated",
                SubscribeOutcome::AlreadyActive => "already_active",
            };
            tracing::info!(email = %reg.email, outcome = o, "educator subscribed");
            Json(json!({"subscribed": true, "email": reg.email, "outcome": o})).into_response()
        }
        Err(e) => e.into_response(),
    }
}

fn unauthorized(msg: &str) -> Response {
    let mut r = json_error(StatusCode::UNAUTHORIZED, msg);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        "Bearer".parse().expect("static header"),
    );
    r
}

/// A small, self-contained HTML page.
pub fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#222}}\
         h1{{font-size:1.4rem}}input,button{{font-size:1rem;padding:.4rem}}</style></head>\
         <body><h1>{t}</h1>{body_html}<p style=\"color:#777;font-size:small\">Exam-Generator</p></body></html>",
        t = html_escape(title)
    );
    let mut r = (status, Html(html)).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    r
}

#[derive(Debug, Deserialize)]
struct LinkQuery {
    email: Option<String>,
    token: Option<String>,
}

fn request_form(note: &str) -> String {
    format!(
        "{note}<form method=\"post\" action=\"unsubscribe/request\">\
         <label>Your email address <input type=\"email\" name=\"email\" required></label> \
         <button type=\"submit\">Send me an unsubscribe link</button></form>"
    )
}

async fn unsubscribe(
    State(st): State<Arc<EmailFn>>,
    q: Result<Query<LinkQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid unsubscribe link",
            "<p>This link is damaged. Copy the whole link from the email.</p>",
        );
    };
    let (email, tok) = match (q.email.as_deref().map(str::trim), q.token.as_deref().map(str::trim)) {
        (None | Some(""), None | Some("")) => {
            return page(
                StatusCode::OK,
                "Unsubscribe from Exam-Generator notifications",
                &request_form("<p>Enter the address that receives the notifications; we will email it a link that unsubscribes it.</p>"),
            )
        }
        (Some(e), Some(t)) if !e.is_empty() && !t.is_empty() => (e, t),
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "Incomplete unsubscribe link",
                "<p>The link lacks the address or its signature. Copy the whole link from the email.</p>",
            )
        }
    };
    let Ok(email) = normalize_address(email) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid unsubscribe link",
            "<p>The address in this link is not valid.</p>",
        );
    };
    if !token::verify(st.settings().unsubscribe_secret.expose(), &email, tok) {
        tracing::warn!(email = %email, "unsubscribe refused: bad signature");
        return page(
            StatusCode::FORBIDDEN,
            "This unsubscribe link is not valid",
            &request_form(
                "<p>The signature does not match the address. You can ask for a fresh link:</p>",
            ),
        );
    }
    match st.store().unsubscribe(&email).await {
        Ok(o) => {
            tracing::info!(email = %email, outcome = ?o, "unsubscribe");
            let note = match o {
                UnsubscribeOutcome::Unsubscribed => {
                    "You will no longer receive Exam-Generator notifications."
                }
                UnsubscribeOutcome::AlreadyInactive => {
                    "You were already unsubscribed; nothing changed."
                }
                UnsubscribeOutcome::NotSubscribed => {
                    "This address is not subscribed; nothing to do."
                }
            };
            page(
                StatusCode::OK,
                "You are unsubscribed",
                &format!("<p><strong>{}</strong>: {note}</p><p>Signing up again as an educator subscribes you again.</p>", html_escape(&email)),
            )
        }
        Err(e) => {
            tracing::warn!(email = %email, error = %e, "unsubscribe failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again later",
                "<p>We could not record your request right now.</p>",
            )
        }
    }
}

#[derive(Debug, Deserialize)]
struct RequestForm {
    email: String,
}

/// Send a signed link to an active subscriber, at most once an hour per
/// address (through the sent-log); the answer never reveals whether the
/// address is subscribed.
async fn request_link(
    State(st): State<Arc<EmailFn>>,
    form: Result<Form<RequestForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page(
            StatusCode::BAD_REQUEST,
            "Unsubscribe",
            &request_form("<p>Enter an email address.</p>"),
        );
    };
    let Ok(email) = normalize_address(&form.email) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Unsubscribe",
            &request_form("<p>That is not a valid email address.</p>"),
        );
    };
    let done = page(
        StatusCode::OK,
        "Check your inbox",
        &format!("<p>If <strong>{}</strong> receives Exam-Generator notifications, a link that unsubscribes it is on its way.</p>", html_escape(&email)),
    );
    match send_link(&st, &email).await {
        Ok(()) => done,
        Err(e) => {
            tracing::warn!(email = %email, error = %e, "cannot send an unsubscribe link");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again later",
                "<p>We could not send the link right now.</p>",
            )
        }
    }
}

async fn send_link(st: &EmailFn, email: &str) -> Result<(), FnError> {
    st.store().ensure_indexes().await?;
    if !st.store().is_active_subscriber(email).await? {
        return Ok(());
    }
    let hour = chrono::Utc::now().format("%Y%m%d%H");
    let msg = EmailMessage {
        message_id: format!("unsubscribe-request:{email}:{hour}"),
        subject: "Unsubscribe from Exam-Generator notifications".into(),
        text:
            "Someone (hopefully you) asked to stop Exam-Generator notifications to this address.\n\
               Open the link below to unsubscribe; ignore this email to keep receiving them."
                .into(),
        html: None,
        recipients: Recipients {
            subscribers: false,
            extra: vec![email.to_string()],
        },
    };
    let Claim::Owned(claim) = st.store().claim(&msg.message_id, email).await? else {
        return Ok(()); // sent (or being sent) within the hour
    };
    let out = st.render(&msg, Addressing::To(email.to_string()));
    match st.mailer().send(&out).await {
        Ok(acc) => {
            st.store()
                .mark_sent(
                    &msg.message_id,
                    email,
                    &claim,
                    st.mailer().name(),
                    &acc.provider_reply,
                    &msg.subject,
                )
                .await
        }
        Err(e) => {
            st.store().release(&msg.message_id, email, &claim).await;
            Err(e)
        }
    }
}
