//! What new teachers and students try, in a real browser (headless Debian
//! chromium through playwright-core, `ui-tests/flows.js`) against take-exam
//! on a loopback socket with real MongoDB and S3: a timed attempt that runs
//! out is submitted by the page and graded; an attempt abandoned mid-way is
//! closed by the server and listed; shuffled questions come back in the
//! order seen and ordered option sets keep their order; another educator is
//! refused the exam, a co-owner the owner adds gets in; the owner previews
//! the exam as a student without recording anything, reads the attempts,
//! opens one and gives a student another attempt; every page fits a 390 px
//! phone, charts keep readable labels on a phone and a desktop.
//! Screenshots: `target/ui-artifacts/take-exam-flows/`.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use examfn_take_exam::auth::Role;
use examfn_take_exam::{devauth, service, Inner};
use futures::TryStreamExt;
use http_body_util::BodyExt;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};
use tower::ServiceExt;

mod common;

const OWNER: &str = "owner@school.edu";
const EXAM: &str = "timed-quiz";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_attempts_ownership_preview_and_phone_layout_in_a_browser() {
    let common::TestConfig { mut cfg, bucket, dbname, keys_dir } =
        common::test_config("te-uiflow", 1024 * 1024, Duration::from_millis(200), false);
    // A short grace, so that the server's closing of an abandoned attempt comes within the test.
    cfg.attempt_grace = Duration::from_secs(2);
    let s3 = examfn_runtime::s3::client(&cfg.s3);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let db = examfn_runtime::mongo::client(&cfg.mongo).await.unwrap().database(&dbname);
    let state = Inner::from_config(&cfg).await.unwrap();
    let app = service(state).app(4 * 1024 * 1024);
    let keys = devauth::ensure_keys(&keys_dir).unwrap();
    let owner = keys.mint(OWNER, Role::Educator, Duration::from_secs(600)).unwrap();
    let call = |method: &str, path: String, body: Body, ctype: &'static str| {
        let app = app.clone();
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {owner}"))
            .header(header::CONTENT_TYPE, ctype)
            .body(body)
            .unwrap();
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status();
            let v: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap_or(Value::Null);
            (status, v)
        }
    };

    // The owner uploads the lecture; exam-gen (simulated) writes the exam; the owner
    // publishes it with a 12-second limit, one attempt and shuffling.
    let (s, v) = call("POST", format!("/educator/uploads?name={EXAM}.pdf"), Body::from("%PDF-1.4\n%x\n"), "application/pdf").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let exam = json!([
        {"question": "2+2?", "options": ["3", "4", "5"], "correct_answer": "4"},
        {"question": "The sky is green.", "options": ["True", "False"], "correct_answer": "False"},
        {"question": "Capital of France?", "options": ["Paris", "Rome", "Oslo"], "correct_answer": "Paris"},
        {"question": "Which statements hold?", "options": ["I only", "II only", "Both I and II", "Neither I nor II"], "correct_answer": "Both I and II"}
    ]);
    s3.put_object()
        .bucket(&bucket)
        .key(format!("questions_bank/{EXAM}.json"))
        .body(ByteStream::from(exam.to_string().into_bytes()))
        .send()
        .await
        .unwrap();
    db.collection::<Document>("exams")
        .insert_one(doc! {"_id": EXAM, "source_key": format!("exams/{EXAM}.pdf"), "state": "ready",
            "requested": {"mcq": 3, "tfq": 1, "options": 3}, "written": {"mcq": 3, "tfq": 1}})
        .await
        .unwrap();
    let settings = json!({"time_limit_seconds": 12, "shuffle_questions": true, "shuffle_options": true, "max_attempts": 1});
    let (s, v) = call("PUT", format!("/educator/exams/{EXAM}.json/settings"), Body::from(settings.to_string()), "application/json").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = call("POST", format!("/educator/exams/{EXAM}.json/publish"), Body::empty(), "application/json").await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server_app = app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, server_app).await });

    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let artifacts = manifest.join("../../target/ui-artifacts/take-exam-flows");
    common::run_browser_script(
        "flows.js",
        &base,
        &artifacts,
        &[("EXAMFN_UI_EXAM", format!("{EXAM}.json")), ("EXAMFN_UI_OWNER", OWNER.into()), ("EXAMFN_UI_LIMIT", "12".into())],
    )
    .await;

    // What reached the database: one automatic result per student, nothing from the preview.
    let docs: Vec<Document> = db.collection::<Document>("score").find(doc! {}).await.unwrap().try_collect().await.unwrap();
    let mut who: Vec<(String, String)> = docs
        .iter()
        .map(|d| (d.get_str("email").unwrap().to_string(), d.get_str("submission").unwrap_or("student").to_string()))
        .collect();
    who.sort();
    assert_eq!(
        who,
        vec![("ann@school.edu".into(), "automatic".into()), ("bob@school.edu".into(), "automatic".into())],
        "{docs:?}"
    );
    // (The result's order against the order seen is checked in the browser; `shown_order` is
    // absent when the shuffle happened to give the exam's own order, 1 time in 24.)
    let ann = docs.iter().find(|d| d.get_str("email") == Ok("ann@school.edu")).unwrap();
    assert_eq!(ann.get_array("details").unwrap().len(), 4);
    let owners: Vec<Document> = db.collection::<Document>("exam_owners").find(doc! {}).await.unwrap().try_collect().await.unwrap();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].get_array("co_owners").unwrap().len(), 1, "the co-owner added in the browser");
    let extra: Vec<Document> = db.collection::<Document>("student_overrides").find(doc! {}).await.unwrap().try_collect().await.unwrap();
    assert_eq!(extra.len(), 1, "bob's extra attempt: {extra:?}");
    for shot in ["f03-auto-submitted", "f05-closed-by-server", "f06-other-educator-refused", "f09-preview-result", "f10-results-phone", "f12-reports-desktop"] {
        assert!(artifacts.join(format!("{shot}.png")).exists(), "{shot}");
    }
    server.abort();
}
