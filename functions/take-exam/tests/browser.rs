//! The web UI in a real browser: take-exam on a loopback socket (dev sign-in,
//! real MongoDB and S3 with a seeded exam), driven by headless Debian chromium
//! through playwright-core (`ui-tests/take-exam.js`). A student takes the exam
//! and sees the result; an educator uploads a PDF, sees it become ready
//! (exam-gen is simulated here by writing its status and exam file), previews
//! an exam and reads its scoreboard; the uploaded exam is a draft, which the
//! educator edits, gives a time limit and publishes, and a second student takes
//! it with the countdown running. While the upload generates, its row shows
//! exam-gen's progress; once ready, that one question needs review, and the
//! review page shows the badge, the question's page and source, and its
//! lecture passage. Screenshots land in `target/ui-artifacts/take-exam/`.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use examfn_runtime::testing;
use examfn_take_exam::{service, Inner};
use mongodb::bson::{doc, Document};
use serde_json::json;

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn student_takes_an_exam_and_educator_uploads_in_a_browser() {
    let common::TestConfig { cfg, bucket, dbname, keys_dir: _ } = common::test_config("te-ui", 1024 * 1024, Duration::from_secs(1), false);
    let s3 = examfn_runtime::s3::client(&cfg.s3);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let exam = json!([
        {"question": "2+2?", "options": ["3", "4", "5"], "correct_answer": "4"},
        {"question": "The sky is green.", "options": ["True", "False"], "correct_answer": "False"},
        {"question": "Capital of France?", "options": ["Rome", "Paris", "Oslo"], "correct_answer": "Paris"},
        {"question": "Rust has a garbage collector.", "options": ["True", "False"], "correct_answer": "False"}
    ]);
    s3.put_object()
        .bucket(&bucket)
        .key("questions_bank/lecture1.json")
        .body(ByteStream::from(exam.to_string().into_bytes()))
        .send()
        .await
        .unwrap();
    let db = examfn_runtime::mongo::client(&cfg.mongo).await.unwrap().database(&dbname);

    let state = Inner::from_config(&cfg).await.unwrap();
    let app = service(state).app(4 * 1024 * 1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let work = std::env::temp_dir().join(testing::unique("te-ui"));
    std::fs::create_dir_all(&work).unwrap();
    let model = "qwen2.5-coder-1.5b-instruct";
    let flagged = json!({
        "reason": "the key is not found in its passage",
        "origin": format!("Page 4 · written by the language model ({model})"),
        "source": "The lecture was uploaded by the educator.",
    });

    // exam-gen stand-in: once the PDF is in the bucket, report generating with its
    // progress (held until the browser has seen it), then write the exam and its sidecar, ready.
    let upload_name = "uploaded-lecture";
    let gen = {
        let (s3, bucket, db, work) = (s3.clone(), bucket.clone(), db.clone(), work.clone());
        tokio::spawn(async move {
            let key = format!("exams/{upload_name}.pdf");
            loop {
                if let Ok(head) = s3.head_object().bucket(&bucket).key(&key).send().await {
                    let meta = head.metadata().cloned().unwrap_or_default();
                    assert_eq!(meta.get("n_mcq").map(String::as_str), Some("4"));
                    assert_eq!(meta.get("n_tfq").map(String::as_str), Some("2"));
                    assert_eq!(meta.get("n_mcq_options").map(String::as_str), Some("3"));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let exams = db.collection::<Document>("exams");
            exams
                .insert_one(doc! {"_id": upload_name, "source_key": &key, "state": "generating",
                    "requested": {"mcq": 4, "tfq": 2, "options": 3},
                    "progress": {"stage": "extracting", "written": 0, "total": 6, "eta_seconds": null}})
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(1500)).await;
            exams
                .update_one(doc! {"_id": upload_name},
                    doc! {"$set": {"progress": {"stage": "writing", "written": 2, "total": 6, "eta_seconds": 95}}})
                .await
                .unwrap();
            let seen = work.join("progress-seen");
            for _ in 0..600 {
                if seen.exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let sidecar = json!({
                "name": upload_name, "generator": format!("llm:{model}+rules"), "needs_review": 1,
                "questions": [{"question": "Uploaded?", "options": ["True", "False"], "correct_answer": "True",
                    "type": "true_false", "page": 4, "source": "The lecture was uploaded by the educator.",
                    "origin": "llm", "model": model, "needs_review": "the key is not found in its passage",
                    "passage": "Slides come first.\nThe lecture was uploaded by the educator. Questions follow."}]
            });
            s3.put_object()
                .bucket(&bucket)
                .key(format!("questions_bank/{upload_name}.meta.json"))
                .body(ByteStream::from(sidecar.to_string().into_bytes()))
                .send()
                .await
                .unwrap();
            let q = json!([{"question": "Uploaded?", "options": ["True", "False"], "correct_answer": "True"}]);
            s3.put_object()
                .bucket(&bucket)
                .key(format!("questions_bank/{upload_name}.json"))
                .body(ByteStream::from(q.to_string().into_bytes()))
                .send()
                .await
                .unwrap();
            exams
                .update_one(doc! {"_id": upload_name}, doc! {"$set": {"state": "ready", "written": {"mcq": 0, "tfq": 1}}})
                .await
                .unwrap();
        })
    };

    let pdf = work.join("lecture.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").unwrap();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let artifacts = manifest.join("../../target/ui-artifacts/take-exam");

    common::run_browser_script(
        "take-exam.js",
        &base,
        &artifacts,
        &[
            ("EXAMFN_UI_PDF", pdf.display().to_string()),
            ("EXAMFN_UI_EXAM", "lecture1.json".into()),
            ("EXAMFN_UI_ANSWERS", json!(["4", "False", "Rome", "False"]).to_string()),
            ("EXAMFN_UI_EXPECT_SCORE", "3 / 4 (75%) — PASSED".into()),
            ("EXAMFN_UI_UPLOAD_NAME", upload_name.to_string()),
            ("EXAMFN_UI_PROGRESS", "Writing questions: 2 of 6, about 2 min left".into()),
            ("EXAMFN_UI_SIGNAL_DIR", work.display().to_string()),
            ("EXAMFN_UI_NEEDS_REVIEW", flagged.to_string()),
        ],
    )
    .await;

    // What the browser did reached the database: one attempt despite the double click.
    let docs: Vec<Document> = {
        use futures::TryStreamExt;
        db.collection::<Document>("score").find(doc! {}).await.unwrap().try_collect().await.unwrap()
    };
    assert_eq!(docs.len(), 2, "{docs:?}");
    let seeded: Vec<&Document> = docs.iter().filter(|d| d.get_str("exam") == Ok("lecture1.json")).collect();
    assert_eq!(seeded.len(), 1, "{docs:?}");
    assert_eq!(seeded[0].get_str("email").unwrap(), "ui-student@example.org");
    assert_eq!(seeded[0].get_str("result").unwrap(), "passed");
    // The reviewed, timed exam: graded against the edited version 1.
    let timed = docs.iter().find(|d| d.get_str("exam") == Ok("uploaded-lecture.json")).expect("the timed attempt");
    assert_eq!(timed.get_str("email").unwrap(), "ui-student2@example.org");
    let version = match timed.get("exam_version") {
        Some(mongodb::bson::Bson::Int32(v)) => i64::from(*v),
        Some(mongodb::bson::Bson::Int64(v)) => *v,
        other => panic!("exam_version: {other:?}"),
    };
    assert_eq!(version, 1);
    let q = timed.get_array("details").unwrap()[0].as_document().unwrap().get_str("question").unwrap().to_string();
    assert_eq!(q, "Was the lecture uploaded and reviewed?");
    assert!(artifacts.join("13-timed-question.png").exists());
    assert!(artifacts.join("07b-generating-progress.png").exists());
    assert!(artifacts.join("11a-review-needs-review.png").exists());
    assert!(artifacts.join("04-result.png").exists());
    gen.await.unwrap();
    server.abort();
    let _ = std::fs::remove_dir_all(&work);
}
