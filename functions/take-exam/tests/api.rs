//! The API against the real MongoDB and S3 servers (`cargo run -- test`),
//! driven through the whole app (`tower::ServiceExt::oneshot`, no socket).

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use examfn_runtime::config::Env;
use examfn_runtime::testing;
use examfn_take_exam::auth::Role;
use examfn_take_exam::{devauth, service, AppState, Config, Inner};
use http_body_util::BodyExt;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};
use tower::ServiceExt;

mod common;

struct Fixture {
    app: Router,
    state: AppState,
    keys: devauth::DevKeys,
    s3: aws_sdk_s3::Client,
    bucket: String,
    db: mongodb::Database,
}

fn exam_json() -> Value {
    json!([
        {"question": "2+2?", "options": ["3", "4", "5", "22"], "correct_answer": "4"},
        {"question": "The sky is green.", "options": ["True", "False"], "correct_answer": "False"},
        {"question": "Capital of France?", "options": ["Paris", "Rome", "Oslo"], "correct_answer": "Paris"},
        {"question": "Rust has a GC.", "options": ["True", "False"], "correct_answer": "False"}
    ])
}

async fn fixture_with(ttl: Duration) -> Fixture {
    let common::TestConfig { cfg, bucket, dbname, keys_dir } = common::test_config("te", 64 * 1024, ttl, false);
    let state = Inner::from_config(&cfg).await.unwrap();
    let s3 = examfn_runtime::s3::client(&cfg.s3);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&s3, &bucket, "questions_bank/lecture1.json", exam_json().to_string()).await;
    put(&s3, &bucket, "questions_bank/lecture1.meta.json", "{}".into()).await;
    let client = examfn_runtime::mongo::client(&cfg.mongo).await.unwrap();
    let db = client.database(&dbname);
    let app = service(state.clone()).app(1024 * 1024);
    let keys = devauth::ensure_keys(&keys_dir).unwrap();
    Fixture { app, state, keys, s3, bucket, db }
}

async fn fixture() -> Fixture {
    fixture_with(Duration::from_secs(1)).await
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: String) {
    s3.put_object().bucket(bucket).key(key).body(ByteStream::from(body.into_bytes())).send().await.unwrap();
}

impl Fixture {
    fn token(&self, email: &str, role: Role) -> String {
        self.keys.mint(email, role, Duration::from_secs(300)).unwrap()
    }

    async fn call(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, headers, v)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut b = Request::get(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let (s, _, v) = self.call(b.body(Body::empty()).unwrap()).await;
        (s, v)
    }

    async fn submit(&self, name: &str, token: &str, answers: Value, key: Option<&str>) -> (StatusCode, Value) {
        let mut b = Request::post(format!("/exam/{name}/attempts"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            b = b.header("Idempotency-Key", k);
        }
        let (s, _, v) = self.call(b.body(Body::from(json!({"answers": answers}).to_string())).unwrap()).await;
        (s, v)
    }

    /// A submit as the client sees it: status, headers and the body's bytes.
    async fn submit_raw(&self, token: &str, answers: Value, key: &str) -> (StatusCode, axum::http::HeaderMap, bytes::Bytes) {
        let req = Request::post("/exam/lecture1.json/attempts")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .body(Body::from(json!({"answers": answers}).to_string()))
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.into_body().collect().await.unwrap().to_bytes())
    }

    async fn score_docs(&self) -> Vec<Document> {
        use futures::TryStreamExt;
        self.db.collection::<Document>("score").find(doc! {}).await.unwrap().try_collect().await.unwrap()
    }
}

#[tokio::test]
async fn lists_exams_and_hides_answers_from_students() {
    let f = fixture().await;
    let st = f.token("stu@example.org", Role::Student);
    let ed = f.token("ed@example.org", Role::Educator);

    let (s, v) = f.get("/exam", Some(&st)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!(["lecture1.json"]), "sidecars are not exams");

    let (s, v) = f.get("/exam?object_name=lecture1.json", Some(&st)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert_eq!(v[0]["options"], json!(["3", "4", "5", "22"]));
    assert!(!v.to_string().contains("correct_answer"), "student view leaks answers: {v}");

    let (s, v) = f.get("/exam?object_name=lecture1.json", Some(&ed)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, exam_json());
    let (s, v) = f.get("/educator/exams/lecture1.json", Some(&ed)).await;
    assert_eq!((s, v), (StatusCode::OK, exam_json()));

    let (s, v) = f.get("/exam?object_name=nope.json", Some(&st)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    for bad in ["..%2Fsecret.json", "lecture1", "a%2Fb.json", "lecture1.meta.json", "%2E%2E.json"] {
        let (s, v) = f.get(&format!("/exam?object_name={bad}"), Some(&st)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
}

#[tokio::test]
async fn submit_grades_on_the_server_and_is_idempotent_per_key() {
    let f = fixture().await;
    let st = f.token("stu@example.org", Role::Student);
    let answers = json!(["4", "True", "Paris", "False"]);

    let (s, first) = f.submit("lecture1.json", &st, answers.clone(), Some("attempt-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["score"], 3);
    assert_eq!(first["percentage"], 75);
    assert_eq!(first["result"], "passed");
    assert_eq!(first["email"], "stu@example.org");
    assert_eq!(first["exam"], "lecture1.json");
    assert_eq!(
        first["details"][1],
        json!({"question": "The sky is green.", "user_answer": "True", "correct_answer": "False", "is_correct": false})
    );

    // A retry / double click with the same key: the first result, one document.
    let (s, again) = f.submit("lecture1.json", &st, answers.clone(), Some("attempt-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(again, first);
    let docs = f.score_docs().await;
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d.get_str("email").unwrap(), "stu@example.org");
    assert_eq!(d.get_str("result").unwrap(), "passed");
    assert_eq!(d.get_str("idempotency_key").unwrap(), "attempt-1");
    assert!(d.get_datetime("submitted_at").is_ok());
    assert_eq!(d.get_array("details").unwrap().len(), 4);

    // Without a key every submit is a new attempt.
    let (s1, _) = f.submit("lecture1.json", &st, json!(["3", "True", "Rome", "True"]), None).await;
    let (s2, failed) = f.submit("lecture1.json", &st, json!(["3", "True", "Rome", "True"]), None).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!((failed["score"].as_i64(), failed["result"].as_str()), (Some(0), Some("failed")));
    assert_eq!(f.score_docs().await.len(), 3);

    // Own results only.
    let (s, mine) = f.get("/me/attempts", Some(&st)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine.as_array().unwrap().len(), 3);
    let other = f.token("other@example.org", Role::Student);
    let (_, theirs) = f.get("/me/attempts", Some(&other)).await;
    assert_eq!(theirs, json!([]));
    // The same key from another student is a different attempt.
    let (s, _) = f.submit("lecture1.json", &other, answers, Some("attempt-1")).await;
    assert_eq!(s, StatusCode::CREATED);
}

/// The IETF httpapi Idempotency-Key draft: a replay is the first response
/// again (status and body), marked by `Idempotent-Replayed: true`; the key
/// reused with another payload is 422 and changes nothing.
#[tokio::test]
async fn a_replay_is_the_first_response_again_marked_by_a_header() {
    let f = fixture().await;
    let st = f.token("stu@example.org", Role::Student);
    let answers = json!(["4", "True", "Paris", "False"]);

    let (s, h, first) = f.submit_raw(&st, answers.clone(), "replay-1").await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(h.get("idempotent-replayed").is_none(), "the first response is no replay: {h:?}");
    let v: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(v["score"], 3, "{v}");
    assert!(v.get("replayed").is_none(), "no replay flag in the body: {v}");

    for _ in 0..2 {
        let (s, h, again) = f.submit_raw(&st, answers.clone(), "replay-1").await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(h.get("idempotent-replayed").map(|v| v.as_bytes()), Some(&b"true"[..]), "{h:?}");
        assert_eq!(again, first, "the replay's body is byte for byte the first one");
    }

    // The same key with other answers: 422, naming the key; nothing stored, the first result kept.
    let (s, h, other) = f.submit_raw(&st, json!(["3", "True", "Paris", "False"]), "replay-1").await;
    let err: Value = serde_json::from_slice(&other).unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(h.get("idempotent-replayed").is_none());
    assert!(err["error"].as_str().unwrap().contains("Idempotency-Key \"replay-1\" was already used"), "{err}");
    assert_eq!(err["status"], 422);
    let docs = f.score_docs().await;
    assert_eq!(docs.len(), 1);
    let score = docs[0].get("score").and_then(|b| b.as_i64().or_else(|| b.as_i32().map(i64::from)));
    assert_eq!(score, Some(3), "the first result is kept: {:?}", docs[0]);
    let (s, _, again) = f.submit_raw(&st, answers.clone(), "replay-1").await;
    assert_eq!((s, &again), (StatusCode::CREATED, &first));

    // An attempt stored before fingerprints were kept is replayed to any repeat of its key.
    let mut old = docs[0].clone();
    old.remove("_id");
    old.remove("request_fingerprint");
    old.insert("idempotency_key", "from-before");
    old.insert("attempt_id", "00000000-0000-4000-8000-000000000000");
    f.db.collection::<Document>("score").insert_one(&old).await.unwrap();
    let (s, h, replay) = f.submit_raw(&st, answers, "from-before").await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.get("idempotent-replayed").map(|v| v.as_bytes()), Some(&b"true"[..]));
    let v: Value = serde_json::from_slice(&replay).unwrap();
    assert_eq!(v["attempt_id"], "00000000-0000-4000-8000-000000000000", "{v}");
    assert_eq!(f.score_docs().await.len(), 2);
}

/// Over a real socket, as served: a request whose `Content-Length` is over
/// its route's limit is answered 413 at once, before any of the body is sent,
/// and the connection is closed. The submit route has the service's limit
/// (MAX_BODY_BYTES, 16 KiB here), the upload route its own (64 KiB here).
#[tokio::test]
async fn declared_oversize_bodies_are_refused_at_once_on_a_socket() {
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let f = fixture().await;
    let st = f.token("stu@example.org", Role::Student);
    let ed = f.token("ed@example.org", Role::Educator);
    // HTTP_BODY_TIMEOUT_MS keeps its default (30 s): waiting for a body would show.
    let common = examfn_runtime::CommonConfig::from_env(&Env::from_pairs([("MAX_BODY_BYTES", "16384")]), None, "take-exam").unwrap();
    let app = service(f.state.clone()).app_with(&common);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(examfn_runtime::server::serve_http(listener, app, common.http_header_timeout, rx));

    async fn exchange(addr: std::net::SocketAddr, head: String, body: &[u8]) -> (String, bool, Duration) {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let started = Instant::now();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let closed = loop {
            match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break true,
                Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
                Err(_) => break false,
            }
        };
        (String::from_utf8_lossy(&out).into_owned(), closed, started.elapsed())
    }
    fn post(path: &str, token: &str, ctype: &str, length: usize) -> String {
        format!("POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: {ctype}\r\nContent-Length: {length}\r\n\r\n")
    }
    fn refused(what: &str, resp: &str, closed: bool, took: Duration, setting: &str, declared: usize) {
        assert!(resp.starts_with("HTTP/1.1 413"), "{what}: {resp}");
        assert!(took < Duration::from_secs(2), "{what}: 413 after {took:?}");
        assert!(resp.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "{what}: {resp}");
        assert!(closed, "{what}: the connection stayed open after the 413");
        let v: Value = serde_json::from_str(resp.split("\r\n\r\n").nth(1).unwrap_or("")).unwrap_or(Value::Null);
        assert_eq!(v["status"], 413, "{what}: {resp}");
        let msg = v["error"].as_str().unwrap_or("");
        assert!(msg.contains(setting) && msg.contains(&declared.to_string()), "{what}: {msg}");
    }

    const MIB64: usize = 64 * 1024 * 1024;
    let attempts = "/exam/lecture1.json/attempts";
    let (resp, closed, took) = exchange(addr, post(attempts, &st, "application/json", MIB64), b"").await;
    eprintln!("take-exam: 413 for a declared 64 MiB submit after {:.1} ms", took.as_secs_f64() * 1e3);
    refused("submit, 64 MiB", &resp, closed, took, "MAX_BODY_BYTES", MIB64);
    let (resp, closed, took) = exchange(addr, post(attempts, &st, "application/json", 32 * 1024), b"").await;
    refused("submit, 32 KiB", &resp, closed, took, "MAX_BODY_BYTES", 32 * 1024);

    let uploads = "/educator/uploads?name=big";
    let (resp, closed, took) = exchange(addr, post(uploads, &ed, "application/pdf", MIB64), b"").await;
    eprintln!("take-exam: 413 for a declared 64 MiB upload after {:.1} ms", took.as_secs_f64() * 1e3);
    refused("upload, 64 MiB", &resp, closed, took, "UPLOAD_MAX_BYTES", MIB64);
    let (resp, closed, took) = exchange(addr, post(uploads, &ed, "application/pdf", 100 * 1024), b"").await;
    refused("upload, 100 KiB", &resp, closed, took, "UPLOAD_MAX_BYTES", 100 * 1024);

    // The upload route keeps its own, larger limit: 32 KiB is over MAX_BODY_BYTES but is taken.
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(32 * 1024, b' ');
    let head = post("/educator/uploads?name=socket", &ed, "application/pdf", pdf.len()).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
    let (resp, _, _) = exchange(addr, head, &pdf).await;
    assert!(resp.starts_with("HTTP/1.1 202"), "{resp}");
    // And a submit within the limit is served on the same server.
    let body = json!({"answers": ["4", "True", "Paris", "False"]}).to_string();
    let head = post(attempts, &st, "application/json", body.len()).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
    let (resp, _, _) = exchange(addr, head, body.as_bytes()).await;
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");

    let _ = stop.send(true);
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("the server stops").unwrap().unwrap();
}

#[tokio::test]
async fn invalid_submissions_are_refused_without_writing() {
    let f = fixture().await;
    let st = f.token("stu@example.org", Role::Student);
    let (s, v) = f.submit("lecture1.json", &st, json!(["4", "False"]), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains("expected 4 answers"));
    let (s, v) = f.submit("lecture1.json", &st, json!(["4", "Maybe", "Paris", "False"]), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = f.submit("missing.json", &st, json!(["4"]), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = f.submit("lecture1", &st, json!(["4"]), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = f.submit("lecture1.json", &st, json!([1, 2]), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = f.submit("lecture1.json", &st, json!(["4", "False", "Paris", "False"]), Some("bad key with spaces")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(f.score_docs().await.is_empty());
}

#[tokio::test]
async fn tokens_and_roles_are_enforced() {
    let f = fixture().await;
    let st = f.token("stu@example.org", Role::Student);
    let ed = f.token("ed@example.org", Role::Educator);

    let (s, h, v) = f.call(Request::get("/exam").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["error"].as_str().unwrap().contains("missing bearer token"));
    assert!(h.get(header::WWW_AUTHENTICATE).is_some());
    let (s, v) = f.get("/exam", Some("eyJhbGciOiJub25lIn0.e30.")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");

    // A token minted by another dev key pair (a forgery) is refused.
    let other = devauth::ensure_keys(&std::env::temp_dir().join(testing::unique("te-other"))).unwrap();
    let forged = other.mint("stu@example.org", Role::Educator, Duration::from_secs(60)).unwrap();
    let (s, v) = f.get("/educator/exams", Some(&forged)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    // Signed by the right key for another audience (expiry is covered in tests/auth.rs).
    let wrong_aud =
        f.keys.mint_with(devauth::DEV_ISSUER, "someone-else", "stu@example.org", Role::Student, Duration::from_secs(60)).unwrap();
    let (s, v) = f.get("/exam", Some(&wrong_aud)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["error"].as_str().unwrap().contains("audience"), "{v}");

    // Wrong role: 403.
    let (s, v) = f.submit("lecture1.json", &ed, json!(["4", "False", "Paris", "False"]), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = f.get("/me/attempts", Some(&ed)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for p in ["/educator/exams", "/educator/exams/lecture1.json", "/educator/exams/lecture1.json/scoreboard"] {
        let (s, _) = f.get(p, Some(&st)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    }
    let (s, me) = f.get("/me", Some(&ed)).await;
    assert_eq!((s, me), (StatusCode::OK, json!({"email": "ed@example.org", "role": "educator"})));
}

#[tokio::test]
async fn educator_upload_status_and_scoreboard() {
    let f = fixture().await;
    let ed = f.token("ed@example.org", Role::Educator);
    let st = f.token("stu@example.org", Role::Student);
    f.db.collection::<Document>("exams")
        .insert_one(doc! {"_id": "lecture2", "source_key": "exams/lecture2.pdf", "state": "generating",
            "requested": {"mcq": 5, "tfq": 3, "options": 4}})
        .await
        .unwrap();

    let upload = |q: &str, body: &'static [u8], ctype: &str| {
        Request::post(format!("/educator/uploads?{q}"))
            .header(header::AUTHORIZATION, format!("Bearer {ed}"))
            .header(header::CONTENT_TYPE, ctype)
            .body(Body::from(body))
            .unwrap()
    };
    let (s, _, v) = f.call(upload("name=lecture3.pdf&n_mcq=4&n_tfq=2&n_mcq_options=3", b"%PDF-1.4\n%fake\n", "application/pdf")).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["key"], "exams/lecture3.pdf");
    let head = f.s3.head_object().bucket(&f.bucket).key("exams/lecture3.pdf").send().await.unwrap();
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("n_mcq").map(String::as_str), Some("4"));
    assert_eq!(meta.get("n_tfq").map(String::as_str), Some("2"));
    assert_eq!(meta.get("n_mcq_options").map(String::as_str), Some("3"));

    let (s, _, v) = f.call(upload("name=notes", b"hello, not a pdf", "application/pdf")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _, _) = f.call(upload("name=..%2Fx&n_mcq=1", b"%PDF-1.4", "application/pdf")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = f.call(upload("name=x&n_mcq=0&n_tfq=0", b"%PDF-1.4", "application/pdf")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = f.call(upload("name=x", b"%PDF-1.4", "multipart/form-data; boundary=x")).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    static BIG: [u8; 70 * 1024] = [b'%'; 70 * 1024];
    let (s, _, v) = f.call(upload("name=big", &BIG, "application/pdf")).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    let req = Request::post("/educator/uploads?name=x")
        .header(header::AUTHORIZATION, format!("Bearer {st}"))
        .body(Body::from("%PDF-1.4"))
        .unwrap();
    assert_eq!(f.call(req).await.0, StatusCode::FORBIDDEN);

    let (s, v) = f.get("/educator/exams", Some(&ed)).await;
    assert_eq!(s, StatusCode::OK);
    let rows: Vec<(String, String, bool)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().into(), r["state"].as_str().unwrap().into(), r["available"].as_bool().unwrap()))
        .collect();
    // Newest first: the upload just made, the exam file, then exam-gen's status without a file or upload.
    assert_eq!(
        rows,
        vec![
            ("lecture3.json".into(), "uploaded".into(), false),
            ("lecture1.json".into(), "ready".into(), true),
            ("lecture2.json".into(), "generating".into(), false),
        ]
    );
    assert_eq!((v[0]["access"].as_str(), v[0]["owner"].as_str()), (Some("owner"), Some("ed@example.org")), "{v}");
    assert_eq!(v[1]["access"], "shared", "an exam without an owner and no EXAM_ADMIN_EMAIL: {v}");

    // Scoreboard before score-calc ran: aggregated from exams.score.
    f.submit("lecture1.json", &st, json!(["4", "False", "Paris", "False"]), None).await; // 100
    f.submit("lecture1.json", &st, json!(["3", "True", "Rome", "True"]), None).await; // 0
    let st2 = f.token("b@example.org", Role::Student);
    f.submit("lecture1.json", &st2, json!(["4", "False", "Rome", "True"]), None).await; // 50
    let (s, b) = f.get("/educator/exams/lecture1.json/scoreboard", Some(&ed)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["source"], "score");
    assert_eq!(b["attempts"], 3);
    assert_eq!(b["passes"], 2);
    assert_eq!(b["mean_percentage"], 50.0);
    assert_eq!(b["histogram"], json!([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]));
    assert_eq!(b["best"][0], json!({"email": "stu@example.org", "best_percentage": 100, "best_score": 4}));

    // Once score-calc has written the scoreboard, it is read from there.
    f.db.collection::<Document>("scoreboard")
        .insert_one(doc! {"_id": "lecture1.json", "attempts": 10i64, "passes": 7i64, "percentage_sum": 600i64,
            "histogram": [0, 0, 1, 1, 1, 0, 2, 2, 2, 1, 0]})
        .await
        .unwrap();
    f.db.collection::<Document>("scoreboard_best")
        .insert_one(doc! {"_id": {"exam": "lecture1.json", "email": "x@example.org"}, "best_percentage": 90, "best_score": 9})
        .await
        .unwrap();
    let (_, b) = f.get("/educator/exams/lecture1.json/scoreboard", Some(&ed)).await;
    assert_eq!(b["source"], "scoreboard");
    assert_eq!(b["attempts"], 10);
    assert_eq!(b["pass_rate"], 0.7);
    assert_eq!(b["mean_percentage"], 60.0);
    assert_eq!(b["best"], json!([{"email": "x@example.org", "best_percentage": 90, "best_score": 9}]));
}

#[tokio::test]
async fn cached_exam_is_revalidated_by_etag() {
    let f = fixture_with(Duration::ZERO).await;
    let ed = f.token("ed@example.org", Role::Educator);
    let (_, v) = f.get("/exam?object_name=lecture1.json", Some(&ed)).await;
    assert_eq!(v.as_array().unwrap().len(), 4);
    let changed = json!([{"question": "Only one?", "options": ["True", "False"], "correct_answer": "True"}]);
    put(&f.s3, &f.bucket, "questions_bank/lecture1.json", changed.to_string()).await;
    let (_, v) = f.get("/exam?object_name=lecture1.json", Some(&ed)).await;
    assert_eq!(v, changed);
    f.s3.delete_object().bucket(&f.bucket).key("questions_bank/lecture1.json").send().await.unwrap();
    let (s, _) = f.get("/exam?object_name=lecture1.json", Some(&ed)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let _ = &f.state;
}

#[tokio::test]
async fn health_headers_ui_and_openapi() {
    let f = fixture().await;
    let (s, v) = f.get("/health/readiness", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, h, body) = f.call(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.as_str().unwrap().contains("<html"));
    let csp = h.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(h.get(header::REFERRER_POLICY).unwrap(), "no-referrer");
    let (s, _, spec) = f.call(Request::get("/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for p in ["/exam", "/exam/{name}/attempts", "/me/attempts", "/educator/exams", "/educator/uploads"] {
        assert!(spec["paths"].get(p).is_some(), "openapi lacks {p}");
    }
    // No CORS unless configured: a cross-origin request gets no allow-origin.
    let req = Request::get("/auth/config").header(header::ORIGIN, "https://evil.example.org").body(Body::empty()).unwrap();
    let (s, h, v) = f.call(req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["mode"], "development");
    assert!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    // Dev sign-in mints a working token.
    let req = Request::post("/dev/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"email": "new@example.org", "role": "student"}).to_string()))
        .unwrap();
    let (s, _, v) = f.call(req).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, me) = f.get("/me", v["token"].as_str()).await;
    assert_eq!((s, me["email"].as_str()), (StatusCode::OK, Some("new@example.org")));
}

#[test]
fn dev_mode_is_refused_with_a_real_jwks() {
    let env = Env::from_pairs([
        ("AUTH_DEV_KEYS_DIR", "/tmp/x"),
        ("AUTH_JWKS_URL", "https://auth.example.org/.well-known/jwks.json"),
        ("AUTH_ISSUER", "https://auth.example.org/"),
        ("MONGODB_URI", "mongodb://127.0.0.1:1"),
        ("AWS_ACCESS_KEY_ID", "a"),
        ("AWS_SECRET_ACCESS_KEY", "b"),
    ]);
    let err = Config::from_env(&env).unwrap_err().to_string();
    assert!(err.contains("AUTH_DEV_KEYS_DIR") && err.contains("refused"), "{err}");
    let env = Env::from_pairs([("MONGODB_URI", "mongodb://127.0.0.1:1"), ("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")]);
    assert!(Config::from_env(&env).unwrap_err().to_string().contains("AUTH_JWKS_URL"));
    let env = Env::from_pairs([
        ("AUTH_JWKS_URL", "https://auth.example.org/jwks"),
        ("MONGODB_URI", "mongodb://127.0.0.1:1"),
        ("AWS_ACCESS_KEY_ID", "a"),
        ("AWS_SECRET_ACCESS_KEY", "b"),
    ]);
    assert!(Config::from_env(&env).unwrap_err().to_string().contains("AUTH_ISSUER"));
    let env = Env::from_pairs([
        ("AUTH_DEV_KEYS_DIR", "/tmp/x"),
        ("CORS_ALLOWED_ORIGINS", "*"),
        ("MONGODB_URI", "mongodb://127.0.0.1:1"),
        ("AWS_ACCESS_KEY_ID", "a"),
        ("AWS_SECRET_ACCESS_KEY", "b"),
    ]);
    assert!(Config::from_env(&env).unwrap_err().to_string().contains("CORS_ALLOWED_ORIGINS"));
}

/// Issue #10: hostile names, bodies and callers, through the whole app.
#[tokio::test]
async fn hostile_names_bodies_and_callers_are_refused() {
    let f = fixture().await;
    let st = f.token("stu@example.org", Role::Student);
    let ed = f.token("ed@example.org", Role::Educator);
    let bearer = |t: &str| format!("Bearer {t}");

    // Path traversal and other unsafe exam names, on every endpoint taking a name:
    // 400, never a read or a write outside questions_bank/ or exams/.
    let long = format!("{}.json", "a".repeat(300));
    let names = [
        "..%2Flecture1.json",           // ../lecture1.json
        "%2e%2e%2flecture1.json",       // the same, encoded dots
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd.json",
        "%2Fetc%2Fpasswd.json",         // an absolute path
        "..%5Clecture1.json",           // ..\lecture1.json
        "sub%5Clecture1.json",          // a backslash
        "lecture1%00.json",             // NUL
        "lecture1.json%00.pdf",
        "questions_bank%2Flecture1.json",
        ".hidden.json",
        long.as_str(),                  // longer than any exam name
    ];
    for n in names {
        let (s, v) = f.get(&format!("/exam?object_name={n}"), Some(&st)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "GET /exam?object_name={n}: {v}");
        assert_eq!(v["kind"], "bad_input", "{n}: {v}");
        let (s, v) = f.submit(n, &st, json!(["4", "False", "Paris", "False"]), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "POST /exam/{n}/attempts: {v}");
        for p in [format!("/educator/exams/{n}"), format!("/educator/exams/{n}/scoreboard")] {
            let (s, v) = f.get(&p, Some(&ed)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "GET {p}: {v}");
        }
        let up = Request::post(format!("/educator/uploads?name={n}"))
            .header(header::AUTHORIZATION, bearer(&ed))
            .header(header::CONTENT_TYPE, "application/pdf")
            .body(Body::from("%PDF-1.4 hostile"))
            .unwrap();
        let (s, _, v) = f.call(up).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "upload name={n}: {v}");
    }
    assert!(f.score_docs().await.is_empty());
    let keys: Vec<String> = f
        .s3
        .list_objects_v2()
        .bucket(&f.bucket)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    assert_eq!(keys, ["questions_bank/lecture1.json", "questions_bank/lecture1.meta.json"], "nothing was written");

    // Malformed JSON: 400 with a message showing the expected shape.
    let raw = |body: &'static str, token: &str| {
        Request::post("/exam/lecture1.json/attempts")
            .header(header::AUTHORIZATION, bearer(token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    for broken in ["{\"answers\": [\"4\",", "not json", "", "[\"4\"]", "{\"answers\": \"4\"}"] {
        let (s, _, v) = f.call(raw(broken, &st)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{broken:?}: {v}");
        assert!(v["error"].as_str().unwrap().contains(r#"expected {"answers""#), "{broken:?}: {v}");
    }
    // Unknown fields are refused, naming the field (a student cannot send an email or a score).
    let (s, _, v) = f.call(raw(r#"{"answers": ["4", "False", "Paris", "False"], "email": "teacher@example.org"}"#, &st)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("unknown field `email`"), "{v}");
    let (s, _, v) = f.call(raw(r#"{"answers": ["4", "False", "Paris", "False"], "score": 4}"#, &st)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("unknown field `score`"), "{v}");
    let dev = Request::post("/dev/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"email": "a@example.org", "role": "student", "admin": true}"#))
        .unwrap();
    let (s, _, v) = f.call(dev).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("unknown field `admin`"), "{v}");
    let dev = Request::post("/dev/token").header(header::CONTENT_TYPE, "application/json").body(Body::from("{")).unwrap();
    let (s, _, v) = f.call(dev).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    // Oversized bodies: 413 with a JSON error (the app's limit here is 1 MiB; uploads 64 KiB).
    let big = format!(r#"{{"answers": ["{}"]}}"#, "x".repeat(2 * 1024 * 1024));
    let req = Request::post("/exam/lecture1.json/attempts")
        .header(header::AUTHORIZATION, bearer(&st))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(big))
        .unwrap();
    let (s, _, v) = f.call(req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["status"], 413, "{v}");
    assert!(v["error"].as_str().unwrap().contains("MAX_BODY_BYTES"), "{v}");
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(128 * 1024, b' ');
    let req = Request::post("/educator/uploads?name=huge")
        .header(header::AUTHORIZATION, bearer(&ed))
        .header(header::CONTENT_TYPE, "application/pdf")
        .body(Body::from(pdf))
        .unwrap();
    let (s, _, v) = f.call(req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["status"], 413, "{v}");
    assert!(f.score_docs().await.is_empty());

    // A student never receives the correct answers: not in the exam, and not
    // through the educator preview; nor can they act as an educator.
    let (s, exam) = f.get("/exam?object_name=lecture1.json", Some(&st)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!exam.to_string().contains("correct_answer"), "{exam}");
    for p in ["/educator/exams", "/educator/exams/lecture1.json", "/educator/exams/lecture1.json/scoreboard"] {
        let (s, v) = f.get(p, Some(&st)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}: {v}");
        assert!(!v.to_string().contains("correct_answer"), "{p}: {v}");
    }
    let up = Request::post("/educator/uploads?name=mine")
        .header(header::AUTHORIZATION, bearer(&st))
        .header(header::CONTENT_TYPE, "application/pdf")
        .body(Body::from("%PDF-1.4 from a student"))
        .unwrap();
    let (s, _, v) = f.call(up).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Another student's attempts: /me/attempts is the token's email only; a
    // query naming someone else changes nothing.
    let other = f.token("other@example.org", Role::Student);
    let (s, _) = f.submit("lecture1.json", &other, json!(["4", "False", "Paris", "False"]), Some("k1")).await;
    assert_eq!(s, StatusCode::CREATED);
    for p in ["/me/attempts", "/me/attempts?email=other@example.org", "/me/attempts?email%5B%24ne%5D=x"] {
        let (s, v) = f.get(p, Some(&st)).await;
        assert_eq!((s, v.clone()), (StatusCode::OK, json!([])), "{p}: {v}");
    }

    // No token: 401 on every API endpoint, whatever the method.
    let endpoints = [
        ("GET", "/exam"),
        ("GET", "/exam?object_name=lecture1.json"),
        ("POST", "/exam/lecture1.json/attempts"),
        ("GET", "/me"),
        ("GET", "/me/attempts"),
        ("GET", "/educator/exams"),
        ("GET", "/educator/exams/lecture1.json"),
        ("GET", "/educator/exams/lecture1.json/scoreboard"),
        ("POST", "/educator/uploads?name=x"),
    ];
    for (m, p) in endpoints {
        let req = Request::builder().method(m).uri(p).header(header::CONTENT_TYPE, "application/json").body(Body::from("{}")).unwrap();
        let (s, h, v) = f.call(req).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {p}: {v}");
        assert!(h.get(header::WWW_AUTHENTICATE).is_some(), "{m} {p}");
        // And a garbage token is 401 too.
        let req = Request::builder().method(m).uri(p).header(header::AUTHORIZATION, "Bearer not.a.jwt").body(Body::from("{}")).unwrap();
        let (s, _, v) = f.call(req).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {p} with a garbage token: {v}");
    }
}

/// Lectures as teachers have them through the upload route: the format from
/// the name's extension or the Content-Type, stored under its own extension
/// with its own content type (and the OCR language), the body checked
/// against the format, listed as uploaded.
#[tokio::test]
async fn educators_upload_decks_documents_and_pages() {
    let f = fixture().await;
    let ed = f.token("ed@example.org", Role::Educator);
    let upload = |q: &str, body: Vec<u8>, ctype: &str| {
        let mut r = Request::post(format!("/educator/uploads?{q}")).header(header::AUTHORIZATION, format!("Bearer {ed}"));
        if !ctype.is_empty() {
            r = r.header(header::CONTENT_TYPE, ctype);
        }
        r.body(Body::from(body)).unwrap()
    };
    // (exam-gen reads what is inside: these are only the first bytes the route checks.)
    let deck = b"PK\x03\x04 a zip archive".to_vec();
    for (q, body, ctype, key, stored_type) in [
        ("name=week1.pptx", deck.clone(), "application/octet-stream", "exams/week1.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("name=week2", deck.clone(), "application/vnd.oasis.opendocument.text", "exams/week2.odt", "application/vnd.oasis.opendocument.text"),
        ("name=week3.MD", b"# The water cycle\n".to_vec(), "", "exams/week3.md", "text/markdown; charset=utf-8"),
        ("name=week4&lang=deu", b"%PDF-1.4\n%scan\n".to_vec(), "", "exams/week4.pdf", "application/pdf"),
        ("name=week5", b"<h1>Water</h1>".to_vec(), "text/html; charset=utf-8", "exams/week5.html", "text/html; charset=utf-8"),
    ] {
        let (s, _, v) = f.call(upload(q, body, ctype)).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{q}: {v}");
        assert_eq!(v["key"], key, "{q}");
        let head = f.s3.head_object().bucket(&f.bucket).key(key).send().await.unwrap();
        assert_eq!(head.content_type(), Some(stored_type), "{q}");
        if q.contains("lang") {
            assert_eq!(head.metadata().unwrap().get("lang").map(String::as_str), Some("deu"));
        }
    }
    // The body must be what the name or the type says.
    for (q, body, ctype, says) in [
        ("name=x.pptx", b"%PDF-1.4".to_vec(), "", "not a zip archive"),
        ("name=x.docx", vec![0xD0, 0xCF, 0x11, 0xE0, 0, 0], "", "legacy binary"),
        ("name=x", deck.clone(), "", "say which kind of lecture"),
        ("name=x.md", vec![0u8; 64], "", "binary"),
        ("name=x.pdf&lang=--oem", b"%PDF-1.4".to_vec(), "", "lang"),
    ] {
        let (s, _, v) = f.call(upload(q, body, ctype)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert!(v["error"].as_str().unwrap().contains(says), "{q}: {v}");
    }
    let (s, v) = f.get("/educator/exams", Some(&ed)).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = v.as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    for n in ["week1.json", "week2.json", "week3.json", "week4.json", "week5.json"] {
        assert!(names.contains(&n), "{n} listed as uploaded: {names:?}");
    }
}
