//! Who may see what, against the real MongoDB and S3 servers (`cargo run --
//! test`): an exam belongs to the educator who uploaded it; another educator
//! gets 404 on every route of it (and does not list it), a co-owner gets
//! in; exams from before ownership belong to `EXAM_ADMIN_EMAIL`; a name
//! another educator uses is refused and reusing one's own must be
//! confirmed; a roster limits which students see an exam.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use examfn_take_exam::auth::Role;
use examfn_take_exam::{devauth, service, Inner};
use http_body_util::BodyExt;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};
use tower::ServiceExt;

mod common;

const OWNER: &str = "owner@school.edu";
const OTHER: &str = "other@school.edu";
const COLLEAGUE: &str = "colleague@school.edu";
const ADMIN: &str = "admin@school.edu";

struct Fixture {
    app: Router,
    keys: devauth::DevKeys,
    s3: aws_sdk_s3::Client,
    bucket: String,
    db: mongodb::Database,
}

fn questions() -> Value {
    json!([
        {"question": "2+2?", "options": ["3", "4"], "correct_answer": "4"},
        {"question": "Sky green?", "options": ["True", "False"], "correct_answer": "False"}
    ])
}

async fn fixture(admin: Option<&str>) -> Fixture {
    let common::TestConfig { mut cfg, bucket, dbname, keys_dir } = common::test_config("to", 64 * 1024, Duration::from_millis(1), false);
    cfg.exam_admin_email = admin.map(str::to_string);
    let state = Inner::from_config(&cfg).await.unwrap();
    let s3 = examfn_runtime::s3::client(&cfg.s3);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let db = examfn_runtime::mongo::client(&cfg.mongo).await.unwrap().database(&dbname);
    // An exam from before ownership: put straight into the bucket.
    s3.put_object()
        .bucket(&bucket)
        .key("questions_bank/legacy.json")
        .body(ByteStream::from(questions().to_string().into_bytes()))
        .send()
        .await
        .unwrap();
    let app = service(state).app(1024 * 1024);
    let keys = devauth::ensure_keys(&keys_dir).unwrap();
    Fixture { app, keys, s3, bucket, db }
}

impl Fixture {
    fn ed(&self, email: &str) -> String {
        self.keys.mint(email, Role::Educator, Duration::from_secs(300)).unwrap()
    }
    fn stu(&self, email: &str) -> String {
        self.keys.mint(email, Role::Student, Duration::from_secs(300)).unwrap()
    }
    async fn call(&self, method: Method, path: &str, token: &str, body: Option<Body>, ctype: &str) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
        if !ctype.is_empty() {
            b = b.header(header::CONTENT_TYPE, ctype);
        }
        let resp = self.app.clone().oneshot(b.body(body.unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())))
    }
    async fn json(&self, method: Method, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(method, path, token, Some(Body::from(body.to_string())), "application/json").await
    }
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None, "").await
    }
    async fn upload(&self, token: &str, query: &str) -> (StatusCode, Value) {
        self.call(Method::POST, &format!("/educator/uploads?{query}"), token, Some(Body::from("%PDF-1.4\n%x\n")), "application/pdf").await
    }
    /// exam-gen's part: the status document and the exam file.
    async fn generated(&self, base: &str) {
        self.db
            .collection::<Document>("exams")
            .insert_one(doc! {"_id": base, "source_key": format!("exams/{base}.pdf"), "state": "ready"})
            .await
            .unwrap();
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(format!("questions_bank/{base}.json"))
            .body(ByteStream::from(questions().to_string().into_bytes()))
            .send()
            .await
            .unwrap();
    }
    fn names(v: &Value) -> Vec<String> {
        v.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap_or_else(|| r.as_str().unwrap()).to_string()).collect()
    }
}

/// Every educator route of one exam, with a body where it takes one.
fn routes(name: &str, attempt: &str) -> Vec<(Method, String, Option<Value>)> {
    let e = format!("/educator/exams/{name}");
    vec![
        (Method::GET, format!("/exam?object_name={name}"), None),
        (Method::GET, e.clone(), None),
        (Method::GET, format!("{e}/review"), None),
        (Method::PUT, format!("{e}/draft"), Some(json!({"questions": questions()}))),
        (Method::GET, format!("{e}/versions/1"), None),
        (Method::PUT, format!("{e}/versions/1"), Some(json!({"questions": questions()}))),
        (Method::PUT, format!("{e}/settings"), Some(json!({"max_attempts": 3}))),
        (Method::POST, format!("{e}/publish"), None),
        (Method::POST, format!("{e}/unpublish"), None),
        (Method::POST, format!("{e}/questions/1/replace"), None),
        (Method::GET, format!("{e}/scoreboard"), None),
        (Method::GET, format!("{e}/export?format=moodle"), None),
        (Method::GET, format!("{e}/results.csv"), None),
        (Method::GET, format!("{e}/analysis"), None),
        (Method::GET, format!("{e}/attempts"), None),
        (Method::GET, format!("{e}/attempts/{attempt}"), None),
        (Method::GET, format!("{e}/students"), None),
        (Method::PUT, format!("{e}/students/ann@school.edu"), Some(json!({"extra_attempts": 1}))),
        (Method::GET, format!("{e}/owners"), None),
        (Method::PUT, format!("{e}/owners"), Some(json!({"co_owners": [OTHER]}))),
        (Method::POST, format!("{e}/preview"), None),
        (Method::POST, format!("{e}/preview/grade"), Some(json!({"version": 1, "order": [0, 1], "answers": [null, null]}))),
    ]
}

#[tokio::test]
async fn another_educators_exam_is_not_found_on_every_route_and_a_co_owner_gets_in() {
    let f = fixture(None).await;
    let (owner, other, colleague) = (f.ed(OWNER), f.ed(OTHER), f.ed(COLLEAGUE));
    let (s, v) = f.upload(&owner, "name=week1.pdf").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    f.generated("week1").await;
    // The owner publishes; a student takes it, so there are results to protect.
    let (s, v) = f.call(Method::POST, "/educator/exams/week1.json/publish", &owner, None, "").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, r) = f.json(Method::POST, "/exam/week1.json/attempts", &f.stu("ann@school.edu"), json!({"answers": ["4", "False"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let attempt = r["attempt_id"].as_str().unwrap().to_string();

    // Another educator: not listed, and 404 on every route, nothing changed.
    let (_, list) = f.get("/educator/exams", &other).await;
    assert_eq!(Fixture::names(&list), vec!["legacy.json"], "{list}");
    let (_, names) = f.get("/exam", &other).await;
    assert_eq!(names, json!(["legacy.json"]));
    for (m, path, body) in routes("week1.json", &attempt) {
        let (s, v) = match body {
            Some(b) => f.json(m.clone(), &path, &other, b).await,
            None => f.call(m.clone(), &path, &other, None, "").await,
        };
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {path}: {v}");
        assert!(!v.to_string().contains("correct_answer"), "{path} leaks the exam: {v}");
    }
    let (_, review) = f.get("/educator/exams/week1.json/review", &owner).await;
    assert_eq!((review["state"].as_str(), review["settings"]["max_attempts"].clone()), (Some("published"), Value::Null), "nothing changed: {review}");
    // Nor can they take the name.
    let (s, v) = f.upload(&other, "name=week1.pdf&replace=true").await;
    assert_eq!((s, v["kind"].as_str()), (StatusCode::CONFLICT, Some("name_taken")), "{v}");

    // The owner shares it with a colleague: every route works for them.
    let (s, v) = f.json(Method::PUT, "/educator/exams/week1.json/owners", &owner, json!({"co_owners": [" Colleague@School.edu ", "bad address"]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = f.json(Method::PUT, "/educator/exams/week1.json/owners", &owner, json!({"co_owners": [" Colleague@School.edu "]})).await;
    assert_eq!((s, v["co_owners"].clone(), v["owner"].as_str()), (StatusCode::OK, json!([COLLEAGUE]), Some(OWNER)), "{v}");
    let (_, list) = f.get("/educator/exams", &colleague).await;
    let row = list.as_array().unwrap().iter().find(|r| r["name"] == "week1.json").unwrap().clone();
    assert_eq!((row["access"].as_str(), row["owner"].as_str()), (Some("co_owner"), Some(OWNER)));
    for (m, path, body) in routes("week1.json", &attempt) {
        if path.ends_with("/owners") && m == Method::PUT {
            continue;
        }
        let (s, v) = match body {
            Some(b) => f.json(m.clone(), &path, &colleague, b).await,
            None => f.call(m.clone(), &path, &colleague, None, "").await,
        };
        assert_ne!(s, StatusCode::NOT_FOUND, "{m} {path}: {v}");
        assert_ne!(s, StatusCode::FORBIDDEN, "{m} {path}: {v}");
    }
    // Only the owner changes who shares it.
    let (s, v) = f.json(Method::PUT, "/educator/exams/week1.json/owners", &colleague, json!({"co_owners": []})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains(OWNER), "{v}");
    // Students never reach the owners' routes.
    let (s, _) = f.get("/educator/exams/week1.json/owners", &f.stu("ann@school.edu")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn exams_from_before_ownership_belong_to_the_admin_and_names_are_not_reused_by_accident() {
    let f = fixture(Some(ADMIN)).await;
    let (admin, other) = (f.ed(ADMIN), f.ed(OTHER));
    let (_, list) = f.get("/educator/exams", &admin).await;
    assert_eq!(Fixture::names(&list), vec!["legacy.json"]);
    assert_eq!(list[0]["access"], "owner");
    let (_, list) = f.get("/educator/exams", &other).await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    for path in ["/educator/exams/legacy.json/review", "/educator/exams/legacy.json/results.csv", "/educator/exams/legacy.json/analysis"] {
        let (s, _) = f.get(path, &other).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        let (s, _) = f.get(path, &admin).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    // Students still take it as before.
    let (_, names) = f.get("/exam", &f.stu("ann@school.edu")).await;
    assert_eq!(names, json!(["legacy.json"]));

    // Reusing one's own name asks first; confirming replaces the draft's questions.
    let (s, v) = f.upload(&other, "name=topic.pdf").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    f.generated("topic").await;
    let (s, v) = f.upload(&other, "name=topic.md").await;
    assert_eq!((s, v["kind"].as_str()), (StatusCode::CONFLICT, Some("exists")), "{v}");
    assert!(v["error"].as_str().unwrap().contains("already have an exam named \"topic\""), "{v}");
    let (s, v) = f.upload(&other, "name=topic.pdf&replace=true").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    // The admin cannot take another educator's name either, nor the other the admin's legacy one.
    let (s, v) = f.upload(&admin, "name=topic.pdf&replace=true").await;
    assert_eq!((s, v["kind"].as_str()), (StatusCode::CONFLICT, Some("name_taken")), "{v}");
    let (s, v) = f.upload(&other, "name=legacy.pdf&replace=true").await;
    assert_eq!((s, v["kind"].as_str()), (StatusCode::CONFLICT, Some("name_taken")), "{v}");
}

#[tokio::test]
async fn a_roster_limits_which_students_see_an_exam() {
    let f = fixture(None).await;
    let owner = f.ed(OWNER);
    let (s, v) = f.json(Method::PUT, "/educator/exams/legacy.json/settings", &owner,
        json!({"students": ["School.edu", "guest@other.org"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["settings"]["students"], json!(["@school.edu", "guest@other.org"]), "normalised: {v}");
    let body = json!({"answers": ["4", "False"]});
    for (email, admitted) in [("ann@school.edu", true), ("guest@other.org", true), ("bob@gmail.com", false), ("ann@school.edu.evil.org", false)] {
        let t = f.stu(email);
        let (_, names) = f.get("/exam", &t).await;
        assert_eq!(names.as_array().unwrap().len(), usize::from(admitted), "{email}: {names}");
        let (_, mine) = f.get("/me/exams", &t).await;
        assert_eq!(mine.as_array().unwrap().len(), usize::from(admitted), "{email}: {mine}");
        let want = if admitted { StatusCode::OK } else { StatusCode::NOT_FOUND };
        assert_eq!(f.get("/exam?object_name=legacy.json", &t).await.0, want, "{email}");
        assert_eq!(f.get("/me/exams/legacy.json", &t).await.0, want, "{email}");
        let (s, _) = f.json(Method::POST, "/exam/legacy.json/attempts", &t, body.clone()).await;
        assert_eq!(s, if admitted { StatusCode::CREATED } else { StatusCode::NOT_FOUND }, "{email}");
        let (s, _) = f.call(Method::POST, "/exam/legacy.json/attempts/start", &t, None, "").await;
        assert_eq!(s, if admitted { StatusCode::CREATED } else { StatusCode::NOT_FOUND }, "{email}");
    }
    // Back to every signed-in student.
    let (s, _) = f.json(Method::PUT, "/educator/exams/legacy.json/settings", &owner, json!({"students": []})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, names) = f.get("/exam", &f.stu("bob@gmail.com")).await;
    assert_eq!(names, json!(["legacy.json"]));
}
