//! The Kratos after-registration webhook and the unsubscribe link, through
//! the whole app (no socket), on the real MongoDB and SMTP server.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use examfn_email::config::DeliveryMode;
use examfn_email::store::{is_inactive, millis};
use examfn_email::EmailFn;
use examfn_runtime::{Handler, Outcome};
use mongodb::bson::doc;
use serde_json::json;

fn active(d: &mongodb::bson::Document) -> bool {
    !is_inactive(d)
}

fn hook(secret_header: Option<(&str, String)>, body: &str) -> Request<Body> {
    let mut b = Request::post("/hooks/kratos/after-registration")
        .header("content-type", "application/json");
    if let Some((k, v)) = secret_header {
        b = b.header(k, v);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn with_secret() -> Option<(&'static str, String)> {
    Some(("X-Webhook-Secret", WEBHOOK_SECRET.to_string()))
}

fn identity(email: &str, user_type: &str) -> String {
    json!({"identity": {"id": "7d8e-identity", "schema_id": "default", "traits": {"email": email, "user_type": user_type}}}).to_string()
}

#[tokio::test]
async fn educator_is_subscribed_once_even_when_posted_twice() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    let app = examfn_email::service(f.clone()).app(1 << 20);
    let email = address("prof");
    let (s, body) = call(
        &app,
        hook(
            with_secret(),
            &identity(&format!("  {}", email.to_uppercase()), "educator"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        json!({"subscribed": true, "email": email, "outcome": "created"})
    );
    // Kratos retries, or the Jsonnet sends the bare identity: same row.
    let bare = json!({"id": "7d8e-identity", "traits": {"email": email, "user_type": "educator"}})
        .to_string();
    let bearer = Some(("Authorization", format!("Bearer {WEBHOOK_SECRET}")));
    let (s, body) = call(&app, hook(bearer, &bare)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("already_active"), "{body}");
    assert_eq!(count(&db, "subscribers", doc! {}).await, 1);
    let d = subscriber(&db, &email).await.expect("row");
    assert!(active(&d));
    assert_eq!(d.get_str("user_type").unwrap(), "educator");
    assert_eq!(d.get_str("kratos_identity_id").unwrap(), "7d8e-identity");
    assert!(millis(&d, "created_at").is_some());
    // The library entry point the CLI uses is idempotent too.
    assert!(!examfn_email::subscribe(&db, &email).await.unwrap());
    let other = address("local");
    assert!(examfn_email::subscribe(&db, &other).await.unwrap());
    assert!(!examfn_email::subscribe(&db, &other.to_uppercase())
        .await
        .unwrap());
    assert_eq!(count(&db, "subscribers", doc! {}).await, 2);
}

#[tokio::test]
async fn students_are_ignored_with_a_note() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    let app = examfn_email::service(f).app(1 << 20);
    for user_type in ["student", ""] {
        let (s, body) = call(
            &app,
            hook(with_secret(), &identity(&address("student"), user_type)),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("\"subscribed\":false") && body.contains("only educators"),
            "{body}"
        );
    }
    assert_eq!(count(&db, "subscribers", doc! {}).await, 0);
}

#[tokio::test]
async fn missing_or_wrong_secret_is_401_and_malformed_body_is_400() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    let app = examfn_email::service(f).app(1 << 20);
    let body = identity(&address("prof"), "educator");
    for header in [
        None,
        Some(("X-Webhook-Secret", "not-the-secret".to_string())),
        Some(("Authorization", "Bearer not-the-secret".to_string())),
        Some(("Authorization", format!("Basic {WEBHOOK_SECRET}"))),
        Some(("X-Webhook-Secret", format!("{WEBHOOK_SECRET}x"))),
    ] {
        let (s, resp) = call(&app, hook(header.clone(), &body)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{header:?}: {resp}");
    }
    assert_eq!(count(&db, "subscribers", doc! {}).await, 0);
    for (bad, needle) in [
        ("not json", "not JSON"),
        ("{}", "traits"),
        (
            r#"{"identity": {"traits": {"email": "nope", "user_type": "educator"}}}"#,
            "traits.email",
        ),
    ] {
        let (s, resp) = call(&app, hook(with_secret(), bad)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {resp}");
        assert!(resp.contains(needle), "{bad}: {resp}");
    }
}

#[tokio::test]
async fn webhook_without_configured_secret_is_disabled() {
    let db = fresh_db().await;
    let mut st = settings(DeliveryMode::PerRecipient);
    st.kratos_webhook_secret = None;
    let f = std::sync::Arc::new(EmailFn::new(db.clone(), smtp_mailer(), st));
    let app = examfn_email::service(f).app(1 << 20);
    let (s, body) = call(
        &app,
        hook(with_secret(), &identity(&address("prof"), "educator")),
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("KRATOS_WEBHOOK_SECRET"), "{body}");
}

#[tokio::test]
async fn the_link_in_an_email_unsubscribes_and_a_forged_one_is_refused() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    let app = examfn_email::service(f.clone()).app(1 << 20);
    let prof = address("prof");
    let other = address("dean");
    call(&app, hook(with_secret(), &identity(&prof, "educator"))).await;
    call(&app, hook(with_secret(), &identity(&other, "educator"))).await;

    // Deliver a message and take the link out of the delivered email.
    let id = format!("exam-ready:{}", examfn_runtime::testing::unique("l"));
    f.handle(email_event(&message(&id, "Exam ready", "ready")))
        .await
        .unwrap();
    let mails = wait_for_mail(&id, 2).await;
    let mail = mails
        .iter()
        .find(|m| m.to == vec![prof.clone()])
        .expect("mail to prof");
    let link = mail
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Unsubscribe: "))
        .expect("link in the footer")
        .trim()
        .to_string();
    let path = link
        .strip_prefix(BASE_URL)
        .expect("link on PUBLIC_BASE_URL")
        .to_string();

    // A forged token, or the token of another address: refused, nothing changes.
    let forged = path.replace("token=", "token=00");
    let (s, page) = call(&app, Request::get(&forged).body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{page}");
    let other_token = f
        .unsubscribe_link(&other)
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    let swapped = format!(
        "{}token={other_token}",
        path.split("token=").next().unwrap()
    );
    let (s, _) = call(&app, Request::get(&swapped).body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(active(&subscriber(&db, &prof).await.unwrap()));

    // The real link: unsubscribed, friendly page; again: still fine.
    let (s, page) = call(&app, Request::get(&path).body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page.contains("You are unsubscribed") && page.contains("no longer receive"),
        "{page}"
    );
    let d = subscriber(&db, &prof).await.unwrap();
    assert!(!active(&d));
    let first = millis(&d, "unsubscribed_at").expect("unsubscribed_at");
    let (s, page) = call(&app, Request::get(&path).body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("already unsubscribed"), "{page}");
    assert_eq!(
        millis(&subscriber(&db, &prof).await.unwrap(), "unsubscribed_at"),
        Some(first)
    );

    // The next message goes to the other educator only.
    let id2 = format!("exam-ready:{}", examfn_runtime::testing::unique("l"));
    let out = f
        .handle(email_event(&message(&id2, "Exam ready", "ready")))
        .await
        .unwrap();
    let Outcome::Done(v) = out else {
        panic!("{out:?}")
    };
    assert_eq!(v["sent"], json!([other.clone()]));

    // Signing up again re-activates.
    let (_, body) = call(&app, hook(with_secret(), &identity(&prof, "educator"))).await;
    assert!(body.contains("reactivated"), "{body}");
    assert!(subscriber(&db, &prof)
        .await
        .unwrap()
        .get("unsubscribed_at")
        .is_none());

    // RFC 8058 one-click: a POST to the List-Unsubscribe URL.
    let req = Request::post(&path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("List-Unsubscribe=One-Click"))
        .unwrap();
    let (s, _) = call(&app, req).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!active(&subscriber(&db, &prof).await.unwrap()));

    // Incomplete link: 400.
    let (s, _) = call(
        &app,
        Request::get(format!("/unsubscribe?email={}", prof.replace('@', "%40")))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_link_can_be_requested_by_address_once_an_hour() {
    let (f, db) = smtp_function(DeliveryMode::Bcc).await;
    let app = examfn_email::service(f.clone()).app(1 << 20);
    let prof = address("prof");
    examfn_email::subscribe(&db, &prof).await.unwrap();
    let (s, page) = call(
        &app,
        Request::get("/unsubscribe").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("<form method=\"post\" action=\"unsubscribe/request\">"),
        "{page}"
    );
    let form = |email: &str| {
        Request::post("/unsubscribe/request")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("email={}", email.replace('@', "%40"))))
            .unwrap()
    };
    for _ in 0..2 {
        let (s, page) = call(&app, form(&prof.to_uppercase())).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(page.contains("Check your inbox"), "{page}");
    }
    // Unknown addresses get the same answer and no mail.
    let stranger = address("stranger");
    let (s, page) = call(&app, form(&stranger)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Check your inbox"));
    let hour = chrono::Utc::now().format("%Y%m%d%H");
    let got = wait_for_mail(&format!("unsubscribe-request:{prof}:{hour}"), 1).await;
    assert_eq!(got.len(), 1, "one link per hour");
    assert!(maildir_messages(&format!("unsubscribe-request:{stranger}:{hour}")).is_empty());
    let link = got[0]
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Unsubscribe: "))
        .unwrap()
        .trim()
        .to_string();
    let (s, _) = call(
        &app,
        Request::get(link.strip_prefix(BASE_URL).unwrap())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!active(&subscriber(&db, &prof).await.unwrap()));
}
