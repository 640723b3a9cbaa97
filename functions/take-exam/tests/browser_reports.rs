//! The educator's reports page in a real browser: take-exam on a loopback
//! socket (dev sign-in, real MongoDB and S3 with a seeded exam and five seeded
//! attempts), driven by headless Debian chromium through playwright-core
//! (`ui-tests/reports-page.js`): the item analysis with its charts and flags,
//! and the downloads of the exports and the CSV. Screenshots and the
//! downloaded files land in `target/ui-artifacts/take-exam-reports/`.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use examfn_take_exam::{service, Inner};
use mongodb::bson::{doc, Bson, Document};
use serde_json::json;

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn educator_reads_the_item_analysis_and_downloads_exports_in_a_browser() {
    // Written before review and publication: exams are published as generated.
    let common::TestConfig { cfg, bucket, dbname, keys_dir: _ } = common::test_config("te-uirep", 1024 * 1024, Duration::from_secs(1), true);
    let s3 = examfn_runtime::s3::client(&cfg.s3);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let questions = [
        ("2+2?", vec!["3", "4", "5"], "4"),
        ("The sky is green.", vec!["True", "False"], "False"),
        ("Capital of France?", vec!["Rome", "Paris", "Oslo"], "Paris"),
        ("Largest planet?", vec!["Jupiter", "Mars"], "Jupiter"),
    ];
    let exam: Vec<_> =
        questions.iter().map(|(q, o, c)| json!({"question": q, "options": o, "correct_answer": c})).collect();
    s3.put_object()
        .bucket(&bucket)
        .key("questions_bank/stats-lecture.json")
        .body(ByteStream::from(json!(exam).to_string().into_bytes()))
        .send()
        .await
        .unwrap();

    // Five attempts. Scores: s1 3, s2 3, s3 2, s4 2, s5 2; g = round(0.27·5) = 1.
    // Q1 everyone right: facility 1 > 0.9, too easy.
    // Q3 right only for the three weaker ones: upper 0, lower 1, discrimination -1.
    let answers = [
        ("s1@example.org", ["4", "False", "Rome", "Jupiter"]),
        ("s2@example.org", ["4", "False", "Oslo", "Jupiter"]),
        ("s3@example.org", ["4", "True", "Paris", "Mars"]),
        ("s4@example.org", ["4", "True", "Paris", "Mars"]),
        ("s5@example.org", ["4", "True", "Paris", "Mars"]),
    ];
    let db = examfn_runtime::mongo::client(&cfg.mongo).await.unwrap().database(&dbname);
    for (i, (email, given)) in answers.iter().enumerate() {
        let details: Vec<Bson> = questions
            .iter()
            .zip(given)
            .map(|((q, _, c), a)| Bson::Document(doc! {"question": *q, "user_answer": *a, "correct_answer": *c, "is_correct": a == c}))
            .collect();
        let score = questions.iter().zip(given).filter(|((_, _, c), a)| c == *a).count() as i64;
        db.collection::<Document>("score")
            .insert_one(doc! {
                "email": *email, "score": score, "result": if score >= 2 { "passed" } else { "failed" },
                "details": details, "exam": "stats-lecture.json", "attempt_id": format!("attempt-{i}"),
                "submitted_at": mongodb::bson::DateTime::from_millis(1_780_000_000_000 + i as i64 * 60_000),
                "percentage": score * 100 / 4,
            })
            .await
            .unwrap();
    }

    let state = Inner::from_config(&cfg).await.unwrap();
    let app = service(state).app(4 * 1024 * 1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let artifacts = manifest.join("../../target/ui-artifacts/take-exam-reports");
    let expect = json!({
        "questions": 4,
        "attempts": 5,
        "flags": {"1": ["too_easy"], "3": ["negative_discrimination"]},
        "students": answers.iter().map(|a| a.0).collect::<Vec<_>>(),
    });
    common::run_browser_script(
        "reports-page.js",
        &base,
        &artifacts,
        &[("EXAMFN_UI_EXAM", "stats-lecture.json".into()), ("EXAMFN_UI_EXPECT", expect.to_string())],
    )
    .await;
    assert!(artifacts.join("reports-01-analysis.png").exists());
    assert!(artifacts.join("stats-lecture-moodle.xml").exists(), "the download was saved");
    server.abort();
}
