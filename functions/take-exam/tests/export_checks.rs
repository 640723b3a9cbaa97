//! Exams put straight into the bucket, exported through the route against the
//! real S3 server (`cargo run -- test -- -p examfn-take-exam --test
//! export_checks`): what the export handler sends is the domain crate's export
//! (which `functions/domain/tests/lms_readers.rs` reads back with third-party
//! readers), and an exam file with a repeated or blank option is refused with
//! 422 naming the question, in every format. The handler needs no check of its
//! own: it exports through `examfn_domain::export::export`, which checks first.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use examfn_domain::exam::Exam;
use examfn_domain::export::{export, Format};
use examfn_take_exam::auth::Role;
use examfn_take_exam::{devauth, service, Inner};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

mod common;

/// A valid exam name with what GIFT escapes, and its path segment.
const NAME: &str = "Week 1: Intro #2 {draft}";
const NAME_IN_PATH: &str = "Week%201%3A%20Intro%20%232%20%7Bdraft%7D.json";

/// The cases of issue #27 that export: GIFT weights and format markers at the
/// start of a text, line breaks.
fn edge_exam() -> Value {
    json!([
        {"question": "Which option carries no weight?", "options": ["%100%x", "%50%half", "plain"], "correct_answer": "plain"},
        {"question": "[html]Format <b>markers</b>", "options": ["[plain]a", "[markdown]b", "[moodle]c", "[html]d"], "correct_answer": "[html]d"},
        {"question": "Line one\nline two", "options": ["first\nsecond", "single"], "correct_answer": "first\nsecond"},
        {"question": "The sky is green.", "options": ["True", "False"], "correct_answer": "False"}
    ])
}

struct Fixture {
    app: Router,
    token: String,
}

async fn fixture() -> Fixture {
    let common::TestConfig { cfg, bucket, keys_dir, .. } = common::test_config("te-exp", 64 * 1024, Duration::from_secs(1), true);
    let state = Inner::from_config(&cfg).await.unwrap();
    let s3 = examfn_runtime::s3::client(&cfg.s3);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let files = [
        (format!("{NAME}.json"), edge_exam()),
        // The correct option twice: Moodle XML and GIFT would give two 100 % answers, QTI one.
        (
            "repeated.json".to_string(),
            json!([
                {"question": "ok?", "options": ["a", "b"], "correct_answer": "a"},
                {"question": "2+2?", "options": ["4", "5", "4"], "correct_answer": "4"}
            ]),
        ),
        // Differs only in white space: the same option once laid out.
        ("spaced.json".to_string(), json!([{"question": "2+2?", "options": ["3", "4 ", " 4"], "correct_answer": "4 "}])),
        ("blank.json".to_string(), json!([{"question": "2+2?", "options": ["4", "  ", "5"], "correct_answer": "4"}])),
    ];
    for (name, body) in files {
        s3.put_object()
            .bucket(&bucket)
            .key(format!("questions_bank/{name}"))
            .body(ByteStream::from(body.to_string().into_bytes()))
            .send()
            .await
            .unwrap();
    }
    let app = service(state).app(1024 * 1024);
    let keys = devauth::ensure_keys(&keys_dir).unwrap();
    let token = keys.mint("ed@example.org", Role::Educator, Duration::from_secs(300)).unwrap();
    Fixture { app, token }
}

impl Fixture {
    async fn export(&self, exam_in_path: &str, format: Format) -> (StatusCode, bytes::Bytes) {
        let req = Request::get(format!("/educator/exams/{exam_in_path}/export?format={}", format.name()))
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .body(Body::empty())
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        (resp.status(), resp.into_body().collect().await.unwrap().to_bytes())
    }
}

#[tokio::test]
async fn the_route_sends_the_domain_export_of_a_bucket_exam() {
    let f = fixture().await;
    let exam: Exam = serde_json::from_value(edge_exam()).unwrap();
    for format in Format::ALL {
        let (status, body) = f.export(NAME_IN_PATH, format).await;
        assert_eq!(status, StatusCode::OK, "{}: {}", format.name(), String::from_utf8_lossy(&body));
        let want = export(NAME, &exam, format).unwrap();
        assert!(body == want.body, "{}: the route's bytes are not the domain export", format.name());
        if format == Format::Gift {
            let text = String::from_utf8(body.to_vec()).unwrap();
            assert!(text.contains(&format!("\n$CATEGORY: $course$/top/{NAME}\n")), "{text}");
            assert!(text.contains("\t~[moodle]%100%x\n") && text.contains("\t=[moodle][html]d\n"), "{text}");
        }
    }
}

#[tokio::test]
async fn bucket_exams_with_repeated_or_blank_options_are_refused_naming_the_question() {
    let f = fixture().await;
    let cases = [
        ("repeated.json", "question 2: options 1 and 3 are the same (\"4\"); every option must differ"),
        ("spaced.json", "question 1: options 2 and 3 are the same (\" 4\"); every option must differ"),
        ("blank.json", "question 1: option 2 is blank"),
    ];
    for (exam, message) in cases {
        for format in Format::ALL {
            let (status, body) = f.export(exam, format).await;
            let v: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{exam}: {}", String::from_utf8_lossy(&body)));
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{exam} as {}: {v}", format.name());
            let error = v["error"].as_str().unwrap_or_default();
            assert!(error.contains(&format!("exam {exam} cannot be exported: {message}")), "{exam} as {}: {v}", format.name());
        }
    }
}
