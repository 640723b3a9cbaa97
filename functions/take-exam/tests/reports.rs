//! The educator's reports against the real MongoDB and S3 servers
//! (`cargo run -- test`): exports in every format, the attempts CSV and the
//! item analysis, with the refusals (students 403, unknown exams 404, unknown
//! formats 400, an exam that cannot be expressed 422).

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use examfn_domain::export::read_stored;
use examfn_take_exam::auth::Role;
use examfn_take_exam::{devauth, service, Inner};
use http_body_util::BodyExt;
use mongodb::bson::doc;
use serde_json::{json, Value};
use tower::ServiceExt;

mod common;

struct Fixture {
    app: Router,
    keys: devauth::DevKeys,
    db: mongodb::Database,
}

/// Two multiple-choice and two true/false questions; one option is a spreadsheet formula.
fn exam_json() -> Value {
    json!([
        {"question": "2+2?", "options": ["3", "4", "=2+2", "22"], "correct_answer": "4"},
        {"question": "The sky is green.", "options": ["True", "False"], "correct_answer": "False"},
        {"question": "Capital of France, <really>?", "options": ["Paris", "Rome", "Oslo"], "correct_answer": "Paris"},
        {"question": "Rust has a GC.", "options": ["True", "False"], "correct_answer": "False"}
    ])
}

async fn fixture() -> Fixture {
    // Written before review and publication: exams are published as generated.
    let common::TestConfig { cfg, bucket, dbname, keys_dir } = common::test_config("te-rep", 64 * 1024, Duration::from_secs(1), true);
    let state = Inner::from_config(&cfg).await.unwrap();
    let s3 = examfn_runtime::s3::client(&cfg.s3);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let put = |key: &'static str, body: String| {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move { s3.put_object().bucket(bucket).key(key).body(ByteStream::from(body.into_bytes())).send().await.unwrap() }
    };
    put("questions_bank/lecture 1.json", exam_json().to_string()).await;
    // An exam file whose correct answer is not among its options: readable, not exportable.
    put("questions_bank/broken.json", json!([{"question": "q", "options": ["a", "b"], "correct_answer": "c"}]).to_string())
        .await;
    let db = examfn_runtime::mongo::client(&cfg.mongo).await.unwrap().database(&dbname);
    let app = service(state).app(1024 * 1024);
    let keys = devauth::ensure_keys(&keys_dir).unwrap();
    Fixture { app, keys, db }
}

impl Fixture {
    fn token(&self, email: &str, role: Role) -> String {
        self.keys.mint(email, role, Duration::from_secs(300)).unwrap()
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, HeaderMap, bytes::Bytes) {
        let req = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.into_body().collect().await.unwrap().to_bytes())
    }

    async fn get_json(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (s, _, b) = self.get(path, token).await;
        (s, serde_json::from_slice(&b).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into())))
    }

    async fn submit(&self, email: &str, answers: Value) {
        let req = Request::post("/exam/lecture%201.json/attempts")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token(email, Role::Student)))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"answers": answers}).to_string()))
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(&name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test]
async fn educator_downloads_every_export_format() {
    let f = fixture().await;
    let ed = f.token("ed@example.org", Role::Educator);
    let base = "/educator/exams/lecture%201.json/export?format=";

    let (s, h, body) = f.get(&format!("{base}moodle"), &ed).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(header_str(&h, header::CONTENT_TYPE), "application/xml; charset=utf-8");
    assert_eq!(
        header_str(&h, header::CONTENT_DISPOSITION),
        "attachment; filename=\"lecture_1-moodle.xml\"; filename*=UTF-8''lecture_1-moodle.xml"
    );
    assert_eq!(header_str(&h, header::CACHE_CONTROL), "no-store");
    let xml = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(xml.matches("<question type=\"multichoice\">").count(), 2);
    assert_eq!(xml.matches("<question type=\"truefalse\">").count(), 2);
    assert!(xml.contains("Capital of France, &amp;lt;really&amp;gt;?"), "HTML- then XML-escaped:\n{xml}");

    let (s, h, body) = f.get(&format!("{base}GIFT"), &ed).await;
    assert_eq!(s, StatusCode::OK, "format names are case-insensitive");
    assert_eq!(header_str(&h, header::CONTENT_TYPE), "text/plain; charset=utf-8");
    assert!(header_str(&h, header::CONTENT_DISPOSITION).contains("filename=\"lecture_1-gift.txt\""));
    let gift = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(gift.matches("{F}").count(), 2, "{gift}");
    assert!(gift.contains("\t~\\=2+2\n") && gift.contains("\t=4\n"), "{gift}");

    for (format, manifest_type, assessment) in [
        ("qti12", "imsqti_xmlv1p2", "examfn_lecture_1/examfn_lecture_1.xml"),
        ("qti21", "imsqti_test_xmlv2p1", "assessment.xml"),
    ] {
        let (s, h, body) = f.get(&format!("{base}{format}"), &ed).await;
        assert_eq!(s, StatusCode::OK, "{format}");
        assert_eq!(header_str(&h, header::CONTENT_TYPE), "application/zip");
        assert!(header_str(&h, header::CONTENT_DISPOSITION).contains(&format!("filename=\"lecture_1-{format}.zip\"")));
        let files = read_stored(&body).unwrap_or_else(|e| panic!("{format}: {e}"));
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "imsmanifest.xml");
        assert!(names.contains(&assessment), "{names:?}");
        let manifest = String::from_utf8(files[0].1.clone()).unwrap();
        assert!(manifest.contains(&format!("type=\"{manifest_type}\"")), "{manifest}");
        if format == "qti21" {
            assert_eq!(names.iter().filter(|n| n.starts_with("items/")).count(), 4);
        }
    }
}

#[tokio::test]
async fn export_refusals() {
    let f = fixture().await;
    let ed = f.token("ed@example.org", Role::Educator);
    let st = f.token("stu@example.org", Role::Student);

    let (s, v) = f.get_json("/educator/exams/lecture%201.json/export?format=moodle", &st).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let req = Request::get("/educator/exams/lecture%201.json/export?format=moodle").body(Body::empty()).unwrap();
    assert_eq!(f.app.clone().oneshot(req).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let (s, v) = f.get_json("/educator/exams/nope.json/export?format=moodle", &ed).await;
    assert_eq!((s, v["kind"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{v}");

    for q in ["?format=pdf", "?format=", ""] {
        let (s, v) = f.get_json(&format!("/educator/exams/lecture%201.json/export{q}"), &ed).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["formats"], json!(["moodle", "gift", "qti12", "qti21"]), "{q}: {v}");
        assert!(v["error"].as_str().unwrap().contains("moodle, gift, qti12, qti21"), "{v}");
    }
    let (s, v) = f.get_json("/educator/exams/lecture1/export?format=gift", &ed).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a name without .json: {v}");

    let (s, v) = f.get_json("/educator/exams/broken.json/export?format=qti21", &ed).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains("question 1: its correct answer is not one of its options"), "{v}");
}

#[tokio::test]
async fn results_csv_and_item_analysis_from_real_attempts() {
    let f = fixture().await;
    let ed = f.token("ed@example.org", Role::Educator);
    let st = f.token("stu@example.org", Role::Student);

    // Before any attempt: a header-only CSV and an analysis with nothing computed.
    let (s, _, body) = f.get("/educator/exams/lecture%201.json/results.csv", &ed).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body.iter().filter(|b| **b == b'\n').count(), 1);
    let (s, v) = f.get_json("/educator/exams/lecture%201.json/analysis", &ed).await;
    assert_eq!((s, v["attempts"].as_u64()), (StatusCode::OK, Some(0)), "{v}");
    assert_eq!(v["questions"][0]["facility"], Value::Null);

    // Four students. Scores: a 4, b 3, c 1, d 0.
    f.submit("a@example.org", json!(["4", "False", "Paris", "False"])).await;
    f.submit("b@example.org", json!(["4", "False", "Paris", "True"])).await;
    f.submit("c@example.org", json!(["=2+2", "True", "Paris", "True"])).await;
    f.submit("d@example.org", json!(["3", "True", "Rome", "True"])).await;
    // An attempt stored in the AWS original's shape only (no time, no percentage, no id).
    f.db.collection::<mongodb::bson::Document>("score")
        .insert_one(doc! {"email": "old@example.org", "score": 2_i64, "result": "passed", "exam": "lecture 1.json",
            "details": [
                {"question": "2+2?", "user_answer": "22", "correct_answer": "4", "is_correct": false},
                {"question": "The sky is green.", "user_answer": "False", "correct_answer": "False", "is_correct": true},
                {"question": "Capital of France, <really>?", "user_answer": "Oslo", "correct_answer": "Paris", "is_correct": false},
                {"question": "Rust has a GC.", "user_answer": "False", "correct_answer": "False", "is_correct": true},
            ]})
        .await
        .unwrap();

    let (s, h, body) = f.get("/educator/exams/lecture%201.json/results.csv", &ed).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(header_str(&h, header::CONTENT_TYPE), "text/csv; charset=utf-8; header=present");
    assert!(header_str(&h, header::CONTENT_DISPOSITION).starts_with("attachment; filename=\"lecture_1-results.csv\""));
    let csv = String::from_utf8(body.to_vec()).unwrap();
    let rows: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 6, "{csv}");
    assert_eq!(
        rows[0],
        "student,attempt_id,submitted_at,score,total,percentage,result,submitted_by,Q1: 2+2?,Q2: The sky is green.,\
         \"Q3: Capital of France, <really>?\",Q4: Rust has a GC."
    );
    let row = |student: &str| -> Vec<String> {
        let r = rows.iter().find(|r| r.starts_with(&format!("{student},"))).unwrap_or_else(|| panic!("no row for {student}:\n{csv}"));
        r.split(',').map(str::to_string).collect()
    };
    // The attempt in the AWS shape: no id, no time; its percentage is computed.
    assert_eq!(row("old@example.org").join(","), "old@example.org,,,2,4,50,passed,student,22,False,Oslo,False");
    let a = row("a@example.org");
    assert_eq!(a[1].len(), 36, "a uuid attempt id");
    assert!(a[2].starts_with("20") && a[2].ends_with('Z'), "RFC 3339 time: {}", a[2]);
    assert_eq!(a[3..].join(","), "4,4,100,passed,student,4,False,Paris,False");
    assert_eq!(row("b@example.org")[3..].join(","), "3,4,75,passed,student,4,False,Paris,True");
    assert_eq!(row("c@example.org")[3..].join(","), "1,4,25,failed,student,'=2+2,True,Paris,True", "formula guarded");
    assert_eq!(row("d@example.org")[3..].join(","), "0,4,0,failed,student,3,True,Rome,True");
    // The four timed attempts come in the order they were submitted.
    let timed: Vec<&str> = rows[1..].iter().filter(|r| !r.starts_with("old@")).map(|r| &r[..1]).collect();
    assert_eq!(timed, vec!["a", "b", "c", "d"]);

    // Item analysis over the five attempts (scores a 4, b 3, old 2, c 1, d 0).
    // g = round(0.27·5) = 1: upper group a, lower group d.
    let (s, v) = f.get_json("/educator/exams/lecture%201.json/analysis", &ed).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["exam"], "lecture 1.json");
    assert_eq!((v["attempts"].as_u64(), v["group_size"].as_u64()), (Some(5), Some(1)));
    assert_eq!(v["thresholds"], json!({"too_easy_above": 0.9, "too_hard_below": 0.2, "group_fraction": 0.27, "min_attempts_for_discrimination": 4, "min_attempts_for_flags": 5}));
    // (100 + 75 + 50 + 25 + 0) / 5
    assert_eq!(v["mean_percentage"], json!(50.0));
    let q = &v["questions"];
    // Q1 right: a, b → 0.4; upper 1, lower 0.
    assert_eq!((q[0]["facility"].as_f64(), q[0]["discrimination"].as_f64()), (Some(0.4), Some(1.0)));
    assert_eq!(
        q[0]["options"],
        json!([
            {"option": "3", "correct": false, "picked": 1, "share": 0.2},
            {"option": "4", "correct": true, "picked": 2, "share": 0.4},
            {"option": "=2+2", "correct": false, "picked": 1, "share": 0.2},
            {"option": "22", "correct": false, "picked": 1, "share": 0.2}
        ])
    );
    assert_eq!(q[0]["kind"], "multiple_choice");
    // Q2 right: a, b, old → 0.6; D = 1 - 0.
    assert_eq!((q[1]["facility"].as_f64(), q[1]["discrimination"].as_f64(), q[1]["kind"].as_str()), (Some(0.6), Some(1.0), Some("true_false")));
    // Q3 right: a, b, c → 0.6.
    assert_eq!((q[2]["facility"].as_f64(), q[2]["discrimination"].as_f64()), (Some(0.6), Some(1.0)));
    // Q4 right: a, old → 0.4.
    assert_eq!((q[3]["facility"].as_f64(), q[3]["discrimination"].as_f64()), (Some(0.4), Some(1.0)));
    assert!(q.as_array().unwrap().iter().all(|x| x["flags"] == json!([])), "{q}");

    // Refusals: students may not read either; unknown exams are 404; bad names 400.
    for path in ["/educator/exams/lecture%201.json/results.csv", "/educator/exams/lecture%201.json/analysis"] {
        let (s, v) = f.get_json(path, &st).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
    }
    for path in ["/educator/exams/nope.json/results.csv", "/educator/exams/nope.json/analysis"] {
        let (s, v) = f.get_json(path, &ed).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    let (s, _) = f.get_json("/educator/exams/..%2Fx.json/analysis", &ed).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_openapi_document_and_the_page_script_know_the_reports() {
    let f = fixture().await;
    let req = |p: &str| Request::get(p).body(Body::empty()).unwrap();
    let resp = f.app.clone().oneshot(req("/openapi.json")).await.unwrap();
    let spec: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    for p in ["/educator/exams/{name}/export", "/educator/exams/{name}/results.csv", "/educator/exams/{name}/analysis"] {
        assert!(spec["paths"][p]["get"].is_object(), "openapi lacks {p}");
    }
    assert_eq!(
        spec["paths"]["/educator/exams/{name}/export"]["get"]["parameters"][1]["schema"]["enum"],
        json!(["moodle", "gift", "qti12", "qti21"])
    );
    assert!(spec["components"]["schemas"]["ItemAnalysis"]["properties"]["questions"].is_object());

    let resp = f.app.clone().oneshot(req("/reports.js")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_str(resp.headers(), header::CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert!(header_str(resp.headers(), header::CONTENT_SECURITY_POLICY).contains("script-src 'self'"));
    let resp = f.app.clone().oneshot(req("/")).await.unwrap();
    let html = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(html.contains("<script src=\"/reports.js\" defer></script>"), "index.html loads the reports page");
}
