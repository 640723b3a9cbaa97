//! The LLM backend against a local HTTP server that plays an
//! OpenAI-compatible chat-completions endpoint: a good answer, a fenced
//! answer with chatter, garbage, a wrong exam, an error status and a slow
//! answer. Also the handler's fallback to the built-in generator (needs the
//! real S3/MongoDB/Kafka servers).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use aws_sdk_s3::primitives::ByteStream;
use examfn_questions::Request;
use examfn_exam_gen::{Config, ExamGen, LlmBackend, LlmConfig};
use examfn_runtime::config::Env;
use examfn_runtime::event::json_event;
use examfn_runtime::{testing, CommonConfig, Handler, Outcome};
use serde_json::{json, Value};

/// What the endpoint received: the Authorization header and the body.
type Requests = Arc<Mutex<Vec<(Option<String>, Value)>>>;

#[derive(Clone, Default)]
struct Seen {
    bodies: Requests,
}

fn exam_json() -> String {
    json!([
        {"question": "Which river is the longest in Africa?", "options": ["Nile", "Congo", "Niger"], "correct_answer": "Nile"},
        {"question": "The Amazon is in Asia.", "options": ["True", "False"], "correct_answer": "False"}
    ])
    .to_string()
}

fn reply(content: &str) -> Value {
    json!({"id": "c1", "object": "chat.completion", "model": "m",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})
}

async fn chat(State(seen): State<Seen>, headers: axum::http::HeaderMap, Json(body): Json<Value>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let model = body["model"].as_str().unwrap_or_default().to_string();
    seen.bodies.lock().unwrap().push((auth, body));
    match model.as_str() {
        "good" => Json(reply(&exam_json())).into_response(),
        "fenced" => Json(reply(&format!("Sure! Here is the exam:\n```json\n{}\n```\nLet me know [if] you need more.", exam_json()))).into_response(),
        "garbage" => Json(reply("I am sorry, I cannot read this lecture.")).into_response(),
        "wrong" => Json(reply(&exam_json().replace("\"correct_answer\":\"Nile\"", "\"correct_answer\":\"Thames\""))).into_response(),
        "error" => (axum::http::StatusCode::TOO_MANY_REQUESTS, "slow down").into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(reply(&exam_json())).into_response()
        }
        _ => (axum::http::StatusCode::NOT_FOUND, "no such model").into_response(),
    }
}

async fn endpoint() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new().route("/v1/chat/completions", post(chat)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), seen)
}

fn backend(base: &str, model: &str, timeout_ms: u64) -> LlmBackend {
    LlmBackend::new(LlmConfig {
        base_url: base.to_string(),
        model: model.to_string(),
        api_key: Some("sk-test".into()),
        timeout: Duration::from_millis(timeout_ms),
    })
    .unwrap()
}

const REQ: Request = Request { n_mcq: 1, n_tfq: 1, n_options: 3 };

fn pages() -> Vec<String> {
    vec!["The Nile is the longest river in Africa.".to_string(), "The Amazon is in South America.".to_string()]
}

#[tokio::test]
async fn good_and_fenced_answers_are_used() {
    let (base, seen) = endpoint().await;
    let exam = backend(&base, "good", 2000).exam(&pages(), &REQ).await.unwrap();
    assert_eq!(exam.len(), 2);
    assert_eq!(exam[0].correct_answer, "Nile");
    assert!(exam[1].is_true_false());
    let exam = backend(&base, "fenced", 2000).exam(&pages(), &REQ).await.unwrap();
    assert_eq!(exam[1].correct_answer, "False");
    let bodies = seen.bodies.lock().unwrap();
    let (auth, body) = &bodies[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
    assert_eq!(body["messages"][1]["role"], "user");
    assert!(body["messages"][1]["content"].as_str().unwrap().contains("The Nile is the longest river in Africa."));
}

#[tokio::test]
async fn garbage_wrong_errors_and_slow_answers_are_refused() {
    let (base, _) = endpoint().await;
    let err = backend(&base, "garbage", 2000).exam(&pages(), &REQ).await.unwrap_err();
    assert!(err.contains("no JSON array"), "{err}");
    let err = backend(&base, "wrong", 2000).exam(&pages(), &REQ).await.unwrap_err();
    assert!(err.contains("exactly one of the options"), "{err}");
    let err = backend(&base, "error", 2000).exam(&pages(), &REQ).await.unwrap_err();
    assert!(err.contains("429"), "{err}");
    let t = std::time::Instant::now();
    let err = backend(&base, "slow", 300).exam(&pages(), &REQ).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "gave up in time: {:?}", t.elapsed());
    assert!(err.contains("request failed") || err.contains("no answer within"), "{err}");
    let err = backend("http://127.0.0.1:9/v1", "good", 1000).exam(&pages(), &REQ).await.unwrap_err();
    assert!(err.contains("request failed"), "{err}");
}

/// The handler with a configured backend: a good answer is the exam; a bad
/// one falls back to the built-in generator and says why in the sidecar.
#[tokio::test]
async fn handler_uses_the_llm_and_falls_back() {
    let (base, _) = endpoint().await;
    let bucket = testing::unique("exams");
    let topic = testing::unique("email-topic");
    testing::create_topics(&testing::kafka_brokers(), &[&topic], 1).await;
    let (endpoint_s3, access, secret) = testing::s3();
    let mk = |model: &str| {
        Env::from_pairs([
            ("KAFKA_BROKERS", testing::kafka_brokers()),
            ("MONGODB_URI", testing::mongodb_uri()),
            ("MONGODB_DB", testing::unique("examgen_llm").replace('-', "_")),
            ("AWS_ENDPOINT_URL_S3", endpoint_s3.clone()),
            ("AWS_ACCESS_KEY_ID", access.clone()),
            ("AWS_SECRET_ACCESS_KEY", secret.clone()),
            ("BUCKET_NAME", bucket.clone()),
            ("EMAIL_TOPIC", topic.clone()),
            ("LLM_BASE_URL", base.clone()),
            ("LLM_MODEL", model.to_string()),
            ("LLM_TIMEOUT_MS", "2000".to_string()),
        ])
    };
    let text: Vec<Vec<String>> = vec![vec![
        "The Nile is the longest river in Africa and flows through eleven countries.".into(),
        "The Amazon carries about 20% of the fresh water that reaches the oceans.".into(),
        "A meander is a bend in a river that forms where water erodes the outer bank.".into(),
        "The Thames Barrier has protected London from floods since 1982.".into(),
        "The Yellow River flood of 1931 was one of the deadliest disasters in history.".into(),
        "About 71% of the surface of the Earth is covered by water.".into(),
    ]];
    let pdf = examfn_questions::extract::pdf::write_text_pdf(&text);
    for (model, expect_generator) in [("good", "llm:good"), ("garbage", "builtin")] {
        let env = mk(model);
        let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
        let config = Config::from_env(&env, &common).unwrap();
        let mut gen = ExamGen::from_config(&config).await.unwrap();
        // The extraction child is the exam-gen binary (this process is the test harness).
        gen.pdf = examfn_exam_gen::PdfExtractor::with_program(config.pdf, env!("CARGO_BIN_EXE_exam-gen"), Vec::new());
        if model == "good" {
            gen.bucket.client.create_bucket().bucket(&bucket).send().await.unwrap();
        }
        let key = format!("exams/{model}.pdf");
        gen.bucket
            .client
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .metadata("n_mcq", "1")
            .metadata("n_tfq", "1")
            .metadata("n_mcq_options", "3")
            .body(ByteStream::from(pdf.clone()))
            .send()
            .await
            .unwrap();
        let ev = json_event(
            "e",
            "t",
            "/s",
            None,
            json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}),
        );
        let out = gen.handle(ev).await.unwrap();
        assert!(matches!(out, Outcome::Done(_)), "{out:?}");
        let meta = gen.bucket.client.get_object().bucket(&bucket).key(format!("questions_bank/{model}.meta.json")).send().await.unwrap();
        let meta: Value = serde_json::from_slice(&meta.body.collect().await.unwrap().into_bytes()).unwrap();
        assert_eq!(meta["generator"], expect_generator, "{meta}");
        if model == "garbage" {
            assert!(meta["llm_fallback_reason"].as_str().unwrap().contains("no JSON array"));
        } else {
            assert_eq!(meta["questions"][0]["question"], "Which river is the longest in Africa?");
        }
        assert_eq!(meta["questions"].as_array().unwrap().len(), 2);
    }
}
