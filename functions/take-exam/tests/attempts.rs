//! No attempt is lost, and what students see of an exam, against the real
//! MongoDB and S3 servers (`cargo run -- test`), through the whole app:
//! answers saved as the student goes, partial submits, attempts closed by
//! the server when their time ran out (on read and by the sweep, stored
//! exactly once, listed for the student and in the educator's CSV and
//! analysis as submitted automatically), the intro's facts, pass marks,
//! when correct answers show, results in the order seen, ordered option
//! sets, per-student extra time and attempts, and the educator's preview.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use examfn_take_exam::attempts::Scope;
use examfn_take_exam::auth::Role;
use examfn_take_exam::{devauth, service, AppState, Inner};
use futures::TryStreamExt;
use http_body_util::BodyExt;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};
use tower::ServiceExt;

mod common;

struct Fixture {
    app: Router,
    state: AppState,
    keys: devauth::DevKeys,
    db: mongodb::Database,
}

const ED: &str = "ed@example.org";

fn exam() -> Value {
    json!([
        {"question": "2+2?", "options": ["3", "4", "5"], "correct_answer": "4"},
        {"question": "The sky is green.", "options": ["True", "False"], "correct_answer": "False"},
        {"question": "Capital of France?", "options": ["Paris", "Rome", "Oslo"], "correct_answer": "Paris"},
        {"question": "Which statements hold?", "options": ["I only", "II only", "Both I and II", "Neither I nor II"], "correct_answer": "Both I and II"}
    ])
}

async fn fixture() -> Fixture {
    let common::TestConfig { cfg, bucket, dbname, keys_dir } = common::test_config("ta", 64 * 1024, Duration::from_millis(1), false);
    let state = Inner::from_config(&cfg).await.unwrap();
    let s3 = examfn_runtime::s3::client(&cfg.s3);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("questions_bank/quiz.json")
        .body(ByteStream::from(exam().to_string().into_bytes()))
        .send()
        .await
        .unwrap();
    let db = examfn_runtime::mongo::client(&cfg.mongo).await.unwrap().database(&dbname);
    let app = service(state.clone()).app(1024 * 1024);
    let keys = devauth::ensure_keys(&keys_dir).unwrap();
    Fixture { app, state, keys, db }
}

impl Fixture {
    fn token(&self, email: &str, role: Role) -> String {
        self.keys.mint(email, role, Duration::from_secs(300)).unwrap()
    }
    fn stu(&self, email: &str) -> String {
        self.token(email, Role::Student)
    }
    fn ed(&self) -> String {
        self.token(ED, Role::Educator)
    }
    async fn call(&self, method: Method, path: &str, token: &str, body: Option<Value>, key: Option<&str>) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(k) = key {
            b = b.header("Idempotency-Key", k);
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let resp = self.app.clone().oneshot(b.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())))
    }
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None, None).await
    }
    async fn settings(&self, s: Value) {
        let (st, v) = self.call(Method::PUT, "/educator/exams/quiz.json/settings", &self.ed(), Some(s), None).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    async fn start(&self, token: &str) -> (StatusCode, Value) {
        self.call(Method::POST, "/exam/quiz.json/attempts/start", token, None, None).await
    }
    async fn save(&self, token: &str, aid: &str, n: usize, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, &format!("/exam/quiz.json/attempts/{aid}/answers/{n}"), token, Some(body), None).await
    }
    async fn submit(&self, token: &str, body: Value, key: &str) -> (StatusCode, Value) {
        self.call(Method::POST, "/exam/quiz.json/attempts", token, Some(body), Some(key)).await
    }
    async fn docs(&self, coll: &str) -> Vec<Document> {
        self.db.collection::<Document>(coll).find(doc! {}).await.unwrap().try_collect().await.unwrap()
    }
    /// Move an attempt's deadline `secs` seconds into the past.
    async fn expire(&self, aid: &str, secs: i64) {
        let past = (chrono::Utc::now() - chrono::Duration::seconds(secs)).to_rfc3339();
        self.db.collection::<Document>("attempts").update_one(doc! {"_id": aid}, doc! {"$set": {"deadline": &past}}).await.unwrap();
    }
}

/// An integer however the server stored it.
fn int(d: &Document, k: &str) -> i64 {
    match d.get(k) {
        Some(mongodb::bson::Bson::Int32(v)) => i64::from(*v),
        Some(mongodb::bson::Bson::Int64(v)) => *v,
        other => panic!("{k}: {other:?}"),
    }
}

/// The option to pick for a shown question: right or wrong, by its text.
fn pick(q: &Value, right: bool) -> String {
    let src = exam().as_array().unwrap().iter().find(|e| e["question"] == q["question"]).unwrap().clone();
    let c = src["correct_answer"].as_str().unwrap().to_string();
    if right {
        c
    } else {
        src["options"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_string()).find(|o| *o != c).unwrap()
    }
}

#[tokio::test]
async fn a_timed_attempt_that_runs_out_is_submitted_with_the_saved_answers_exactly_once() {
    let f = fixture().await;
    f.settings(json!({"time_limit_seconds": 60, "shuffle_questions": true, "pass_percentage": 25})).await;
    let ann = f.stu("ann@example.org");

    // The intro: the facts before the clock starts; nothing is started by reading them.
    let (s, intro) = f.get("/me/exams/quiz.json", &ann).await;
    assert_eq!(s, StatusCode::OK, "{intro}");
    assert_eq!(
        (intro["questions"].as_u64(), intro["time_limit_seconds"].as_u64(), intro["status"].as_str(), intro["pass_percentage"].as_u64()),
        (Some(4), Some(60), Some("available"), Some(25)),
        "{intro}"
    );
    assert_eq!((intro["attempts_left"].clone(), intro["in_progress"].clone()), (Value::Null, Value::Null));
    assert!(f.docs("attempts").await.is_empty(), "reading the intro starts nothing");

    let (s, a) = f.start(&ann).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let aid = a["attempt_id"].as_str().unwrap().to_string();
    let shown = a["questions"].as_array().unwrap().clone();
    assert_eq!((&a["answers"], &a["flagged"]), (&json!([null, null, null, null]), &json!([false, false, false, false])));

    // Skip question 1, answer 2 wrongly then change it to right (one request per change), flag 4, answer 3 right.
    let (s, v) = f.save(&ann, &aid, 2, json!({"answer": pick(&shown[1], false)})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = f.save(&ann, &aid, 2, json!({"answer": pick(&shown[1], true)})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = f.save(&ann, &aid, 2, json!({"answer": pick(&shown[1], true)})).await;
    assert_eq!(s, StatusCode::OK, "saving the same answer again is harmless");
    let (s, v) = f.save(&ann, &aid, 4, json!({"flagged": true})).await;
    assert_eq!((s, v["flagged"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    f.save(&ann, &aid, 3, json!({"answer": pick(&shown[2], true)})).await;
    // Answer 3 then clear it, then answer again: null clears.
    f.save(&ann, &aid, 1, json!({"answer": pick(&shown[0], true)})).await;
    let (s, v) = f.save(&ann, &aid, 1, json!({"answer": null})).await;
    assert_eq!((s, v["answer"].clone()), (StatusCode::OK, Value::Null), "{v}");
    // Refusals: not an option 422, no such question 404, nothing to save 400, someone else's attempt 404.
    let (s, _) = f.save(&ann, &aid, 2, json!({"answer": "Lyon"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = f.save(&ann, &aid, 9, json!({"answer": null})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = f.save(&ann, &aid, 2, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = f.save(&f.stu("bob@example.org"), &aid, 2, json!({"answer": null})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A reload resumes with what was saved.
    let (s, again) = f.start(&ann).await;
    assert_eq!((s, again["resumed"].as_bool()), (StatusCode::OK, Some(true)));
    assert_eq!(again["answers"], json!([null, pick(&shown[1], true), pick(&shown[2], true), null]));
    assert_eq!(again["flagged"], json!([false, false, false, true]));
    let (_, intro) = f.get("/me/exams/quiz.json", &ann).await;
    assert_eq!((intro["status"].as_str(), intro["in_progress"]["answered"].as_u64()), (Some("in_progress"), Some(2)), "{intro}");

    // The student walks away; the time and the grace run out. Nothing is stored until someone reads.
    f.expire(&aid, 31).await;
    assert!(f.docs("score").await.is_empty());
    let (s, mine) = f.get("/me/attempts", &ann).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let r = &mine[0];
    assert_eq!(
        (r["submission"].as_str(), r["score"].as_i64(), r["total"].as_i64(), r["unanswered"].as_i64(), r["result"].as_str()),
        (Some("automatic"), Some(2), Some(4), Some(2), Some("passed")),
        "{r}"
    );
    // In the order the student saw the questions; unanswered ones have an empty answer.
    let seen: Vec<&Value> = r["details"].as_array().unwrap().iter().map(|d| &d["question"]).collect();
    assert_eq!(seen, shown.iter().map(|q| &q["question"]).collect::<Vec<_>>());
    assert_eq!((r["details"][0]["user_answer"].as_str(), r["details"][0]["is_correct"].as_bool()), (Some(""), Some(false)));
    assert_eq!(r["details"][1]["is_correct"], true);

    // Exactly once, whoever reads next: the student, the educator, the sweep, a late submit or answer.
    let (_, _) = f.get("/me/attempts", &ann).await;
    let (s, csv) = f.get("/educator/exams/quiz.json/results.csv", &f.ed()).await;
    assert_eq!(s, StatusCode::OK);
    let n = examfn_take_exam::closing::close_overdue(&f.state, &Scope::All).await.unwrap();
    assert_eq!(n, 0, "nothing left to close");
    let (s, v) = f.submit(&ann, json!({"answers": [null, null, null, null], "attempt_id": aid}), "late-key").await;
    assert_eq!((s, v["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("time_up")), "{v}");
    assert_eq!(v["result"]["attempt_id"], json!(aid), "the late submit is answered with the stored result: {v}");
    let (s, v) = f.save(&ann, &aid, 1, json!({"answer": "4"})).await;
    assert_eq!((s, v["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("time_up")), "{v}");
    let docs = f.docs("score").await;
    assert_eq!(docs.len(), 1, "one result for the attempt: {docs:?}");
    let d = &docs[0];
    assert_eq!(d.get_str("submission").unwrap(), "automatic");
    assert_eq!(d.get_str("idempotency_key").unwrap(), format!("auto:{aid}"));
    assert_eq!(d.get_str("attempt_id").unwrap(), aid);
    assert_eq!(int(d, "pass_percentage"), 25);
    // The AWS fields score-calc and the score card read are all there.
    for k in ["email", "score", "result", "details", "exam", "submitted_at", "percentage"] {
        assert!(d.contains_key(k), "{k} in {d:?}");
    }
    // score-calc and the score card read it as any result (the new fields are extra).
    let as_json = mongodb::bson::Bson::Document(d.clone()).into_relaxed_extjson();
    let summary = examfn_domain::scorecard::ResultSummary::from_doc(&as_json);
    assert_eq!((summary.exam.as_str(), summary.score, summary.percentage, summary.passed), ("quiz.json", 2.0, 50, true));
    let card = examfn_domain::scorecard::score_card(&as_json);
    assert!(card.starts_with("Exam-Generator - Score Card\n\nStudent: ann@example.org\nScore: 2\nResult: PASSED\n"), "{card}");
    assert!(card.contains("  Your Answer:  (Incorrect)\n"), "an unanswered question: {card}");
    // The CSV says who submitted it; the analysis counts it.
    let csv = csv.as_str().unwrap().to_string();
    assert!(csv.lines().nth(1).unwrap().contains(",passed,automatically (time ran out),"), "{csv}");
    let (_, an) = f.get("/educator/exams/quiz.json/analysis", &f.ed()).await;
    assert_eq!((an["attempts"].as_u64(), an["automatic"].as_u64()), (Some(1), Some(1)), "{an}");
    // Left unanswered is not "no longer an option"; below 5 attempts flags are only tentative.
    let q1 = an["questions"].as_array().unwrap().iter().find(|q| q["question"] == shown[0]["question"]).unwrap();
    assert_eq!((q1["unanswered"].as_u64(), q1["other_answers"].as_u64()), (Some(1), Some(0)), "{q1}");
    assert_eq!((q1["flags"].clone(), q1["tentative_flags"].clone()), (json!([]), json!(["too_hard"])), "the first question shown was left unanswered: {q1}");
    // The educator's list of attempts and the attempt itself, in the order seen.
    let (_, list) = f.get("/educator/exams/quiz.json/attempts", &f.ed()).await;
    assert_eq!((list["attempts"][0]["submission"].as_str(), list["attempts"][0]["email"].as_str()), (Some("automatic"), Some("ann@example.org")));
    let (s, one) = f.get(&format!("/educator/exams/quiz.json/attempts/{aid}"), &f.ed()).await;
    assert_eq!(s, StatusCode::OK, "{one}");
    assert_eq!(one["details"][1]["question"], shown[1]["question"]);
    assert_eq!(one["details"][0]["correct_answer"], pick(&shown[0], true));
}

#[tokio::test]
async fn the_sweep_closes_abandoned_attempts_and_a_submit_in_the_grace_takes_partial_answers() {
    let f = fixture().await;
    f.settings(json!({"time_limit_seconds": 60})).await;
    let (a_tok, b_tok, c_tok) = (f.stu("a@example.org"), f.stu("b@example.org"), f.stu("c@example.org"));
    let (_, a) = f.start(&a_tok).await;
    let (_, b) = f.start(&b_tok).await;
    let (_, c) = f.start(&c_tok).await;
    let ids = |v: &Value| v["attempt_id"].as_str().unwrap().to_string();
    f.save(&a_tok, &ids(&a), 1, json!({"answer": "4"})).await;
    f.save(&b_tok, &ids(&b), 1, json!({"answer": "3"})).await;
    // a and b abandoned long ago; c is still in its grace period (deadline 10 s ago).
    f.expire(&ids(&a), 120).await;
    f.expire(&ids(&b), 120).await;
    f.expire(&ids(&c), 10).await;
    // Two sweeps at once (two replicas): each attempt is stored once.
    let (x, y) = tokio::join!(
        examfn_take_exam::closing::close_overdue(&f.state, &Scope::All),
        examfn_take_exam::closing::close_overdue(&f.state, &Scope::All)
    );
    assert!(x.unwrap() + y.unwrap() >= 2);
    let docs = f.docs("score").await;
    assert_eq!(docs.len(), 2, "a and b closed, c untouched: {docs:?}");
    for d in &docs {
        assert_eq!(d.get_str("submission").unwrap(), "automatic");
    }
    let a_doc = docs.iter().find(|d| d.get_str("email") == Ok("a@example.org")).unwrap();
    assert_eq!(int(a_doc, "score"), 1);
    // Its submit_at is when the time ran out, not when the sweep came by.
    let at = a_doc.get_datetime("submitted_at").unwrap().timestamp_millis();
    assert!(chrono::Utc::now().timestamp_millis() - at > 100_000, "submitted_at is the deadline");
    // A crash between the claim and the insert is finished by the next close.
    let (_, d) = f.start(&f.stu("d@example.org")).await;
    f.expire(&ids(&d), 120).await;
    f.db.collection::<Document>("attempts")
        .update_one(doc! {"_id": ids(&d)}, doc! {"$set": {"submitted_key": format!("auto:{}", ids(&d)), "auto_pending": true}})
        .await
        .unwrap();
    examfn_take_exam::closing::close_overdue(&f.state, &Scope::All).await.unwrap();
    assert_eq!(f.docs("score").await.len(), 3);
    examfn_take_exam::closing::close_overdue(&f.state, &Scope::All).await.unwrap();
    assert_eq!(f.docs("score").await.len(), 3, "and only once");

    // c submits within the grace with two of four answered (the browser's submit at the deadline).
    let shown = c["questions"].as_array().unwrap();
    let answers = json!([pick(&shown[0], true), null, "", pick(&shown[3], true)]);
    let (s, v) = f.submit(&c_tok, json!({"answers": answers, "attempt_id": ids(&c), "automatic": true}), "c-key").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["score"].as_i64(), v["unanswered"].as_i64(), v["submission"].as_str()), (Some(2), Some(2), Some("automatic")), "{v}");
    // Its replay is the first response again.
    let (s, again) = f.submit(&c_tok, json!({"answers": answers, "attempt_id": ids(&c), "automatic": true}), "c-key").await;
    assert_eq!((s, &again), (StatusCode::CREATED, &v));
    // A plain submit (no attempt) of a client from before may leave questions unanswered too.
    f.settings(json!({})).await;
    let (s, v) = f.submit(&f.stu("e@example.org"), json!({"answers": ["4", null, "Paris", null]}), "e-key").await;
    assert_eq!((s, v["score"].as_i64(), v["submission"].as_str()), (StatusCode::CREATED, Some(2), Some("student")), "{v}");
    // An answer that is not an option is still refused.
    let (s, _) = f.submit(&f.stu("e@example.org"), json!({"answers": ["9", null, null, null]}), "e-key2").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn students_see_their_exams_limits_and_answers_when_the_exam_says() {
    let f = fixture().await;
    let ann = f.stu("ann@example.org");
    let closes = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    f.settings(json!({"max_attempts": 2, "feedback": "after_last_attempt", "closes_at": closes, "shuffle_options": true})).await;

    let (s, list) = f.get("/me/exams", &ann).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let e = &list[0];
    assert_eq!(
        (e["name"].as_str(), e["title"].as_str(), e["questions"].as_u64(), e["max_attempts"].as_u64(), e["attempts_left"].as_u64(), e["window"].as_str()),
        (Some("quiz.json"), Some("quiz"), Some(4), Some(2), Some(2), Some("open")),
        "{e}"
    );
    // Ordered option sets keep their order although options are shuffled.
    for k in 0..2 {
        let (_, a) = f.start(&ann).await;
        let qs = a["questions"].as_array().unwrap();
        let tf = qs.iter().find(|q| q["question"] == "The sky is green.").unwrap();
        assert_eq!(tf["options"], json!(["True", "False"]));
        let set = qs.iter().find(|q| q["question"] == "Which statements hold?").unwrap();
        assert_eq!(set["options"], json!(["I only", "II only", "Both I and II", "Neither I nor II"]));
        let answers: Vec<String> = qs.iter().map(|q| pick(q, true)).collect();
        let (s, r) = f.submit(&ann, json!({"answers": answers, "attempt_id": a["attempt_id"]}), a["attempt_id"].as_str().unwrap()).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        // After the first attempt the correct answers stay hidden; after the last they show, for both.
        assert_eq!(r["answers_shown"].as_bool(), Some(k == 1), "{r}");
        let (_, mine) = f.get("/me/attempts", &ann).await;
        for m in mine.as_array().unwrap() {
            assert_eq!(m["answers_shown"].as_bool(), Some(k == 1), "{mine}");
            assert_eq!(m["details"][0].get("correct_answer").is_some(), k == 1, "{mine}");
        }
    }
    let (_, e) = f.get("/me/exams/quiz.json", &ann).await;
    assert_eq!((e["status"].as_str(), e["attempts_left"].as_u64(), e["can_start"].as_bool()), (Some("no_attempts_left"), Some(0), Some(false)), "{e}");
    assert_eq!(e["best"]["percentage"], 100);
    let (s, _) = f.start(&ann).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // One more attempt and 5 minutes more for this student only.
    let (s, v) = f.call(Method::PUT, "/educator/exams/quiz.json/students/ANN@example.org", &f.ed(),
        Some(json!({"extra_attempts": 1, "extra_time_seconds": 300})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    f.settings(json!({"max_attempts": 2, "time_limit_seconds": 600})).await;
    let (_, e) = f.get("/me/exams/quiz.json", &ann).await;
    assert_eq!((e["attempts_left"].as_u64(), e["time_limit_seconds"].as_u64(), e["status"].as_str()), (Some(1), Some(900), Some("available")), "{e}");
    let before = chrono::Utc::now();
    let (s, a) = f.start(&ann).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let deadline = chrono::DateTime::parse_from_rfc3339(a["deadline"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
    assert!(((deadline - before).num_seconds() - 900).abs() <= 2, "10 minutes plus 5 extra");
    let (_, studs) = f.get("/educator/exams/quiz.json/students", &f.ed()).await;
    let row = studs["students"].as_array().unwrap().iter().find(|r| r["email"] == "ann@example.org").unwrap().clone();
    assert_eq!((row["results"].as_u64(), row["in_progress"].as_bool(), row["extra_attempts"].as_u64()), (Some(2), Some(true), Some(1)), "{studs}");
    // Another student does not get the extra attempt.
    let bob = f.stu("bob@example.org");
    let (_, e) = f.get("/me/exams/quiz.json", &bob).await;
    assert_eq!((e["attempts_left"].as_u64(), e["time_limit_seconds"].as_u64()), (Some(2), Some(600)));
    let (s, _) = f.call(Method::PUT, "/educator/exams/quiz.json/students/not-an-email", &f.ed(), Some(json!({"extra_attempts": 1})), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Once the exam has closed: the correct answers of every result.
    f.settings(json!({"feedback": "after_close", "closes_at": "2001-01-01T00:00:00Z"})).await;
    let (_, mine) = f.get("/me/attempts", &ann).await;
    assert!(mine.as_array().unwrap().iter().all(|m| m["answers_shown"] == true), "{mine}");
    let (_, e) = f.get("/me/exams/quiz.json", &bob).await;
    assert_eq!((e["status"].as_str(), e["window"].as_str()), (Some("closed"), Some("closed")));
}

#[tokio::test]
async fn a_pass_mark_and_score_only_and_the_preview_records_nothing() {
    let f = fixture().await;
    f.settings(json!({"pass_percentage": 80, "shuffle_questions": true, "time_limit_seconds": 120})).await;
    let ann = f.stu("ann@example.org");
    let (_, a) = f.start(&ann).await;
    let qs = a["questions"].as_array().unwrap();
    let answers: Vec<Value> = qs.iter().enumerate().map(|(i, q)| json!(pick(q, i != 0))).collect();
    let (s, r) = f.submit(&ann, json!({"answers": answers, "attempt_id": a["attempt_id"]}), "k").await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!((r["percentage"].as_i64(), r["result"].as_str(), r["pass_percentage"].as_i64()), (Some(75), Some("failed"), Some(80)), "{r}");
    assert_eq!(r["details"][0]["question"], qs[0]["question"], "in the order seen");

    // The preview: the draft as a student would get it; graded with the answers; nothing recorded.
    let ed = f.ed();
    let (s, p) = f.call(Method::POST, "/educator/exams/quiz.json/preview", &ed, None, None).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!((p["preview"].as_bool(), p["time_limit_seconds"].as_u64(), p["questions"].as_array().map(Vec::len)), (Some(true), Some(120), Some(4)));
    assert!(!p.to_string().contains("correct_answer"), "the preview shows what students see: {p}");
    let shown = p["questions"].as_array().unwrap();
    let answers: Vec<Value> = shown.iter().enumerate().map(|(i, q)| if i == 1 { Value::Null } else { json!(pick(q, true)) }).collect();
    let (s, g) = f.call(Method::POST, "/educator/exams/quiz.json/preview/grade", &ed,
        Some(json!({"version": p["version"], "order": p["order"], "answers": answers})), None).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!((g["score"].as_i64(), g["unanswered"].as_i64(), g["preview"].as_bool(), g["result"].as_str()), (Some(3), Some(1), Some(true), Some("failed")), "{g}");
    assert_eq!(g["details"][1]["question"], shown[1]["question"]);
    assert!(g["details"][0]["correct_answer"].is_string());
    let (s, _) = f.call(Method::POST, "/educator/exams/quiz.json/preview/grade", &ed,
        Some(json!({"version": p["version"], "order": [0, 0, 1, 2], "answers": answers})), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(f.docs("score").await.len(), 1, "the preview stored no result");
    assert_eq!(f.docs("attempts").await.len(), 1, "nor an attempt");
    let (s, _) = f.call(Method::POST, "/educator/exams/quiz.json/preview", &ann, None, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Score only: never the correct answers.
    f.settings(json!({"feedback": "score"})).await;
    let (_, r) = f.submit(&f.stu("bob@example.org"), json!({"answers": ["4", "False", "Paris", "I only"]}), "b").await;
    assert_eq!((r["answers_shown"].as_bool(), r["details"][0].get("is_correct")), (Some(false), None), "{r}");
}
