//! The language-model source through the handler, against a local HTTP
//! server that plays a hosted OpenAI-compatible chat-completions endpoint
//! (the stand-in for an outside service; the real local server is in
//! `llm_server.rs`): per-passage facts, fenced answers, garbage, an error
//! status, a slow answer, an unreachable server. Needs the real S3, MongoDB
//! and Kafka servers (`cargo run -- test`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use examfn_exam_gen::{Config, ExamGen};
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

/// The lecture's facts as a model would write them, by a word of their passage.
fn facts() -> Vec<(&'static str, Value)> {
    vec![
        ("Nile", json!({"statement": "The Nile is the longest river in Africa.", "question": "Which river is the longest in Africa?", "answer": "Nile", "distractors": ["Congo", "Niger", "Zambezi", "Orange"]})),
        ("meander", json!({"statement": "A meander is a bend in a river that forms where water erodes the outer bank.", "question": "What is a bend in a river that forms where water erodes the outer bank called?", "answer": "meander", "distractors": ["delta", "estuary", "levee", "floodplain"]})),
        ("Amazon", json!({"statement": "The Amazon carries about 20% of the fresh water that reaches the oceans.", "question": "What share of the fresh water reaching the oceans does the Amazon carry?", "answer": "20%", "distractors": ["5%", "50%", "35%", "10%"]})),
        ("Thames", json!({"statement": "The Thames Barrier has protected London from floods since 1982.", "question": "Since which year has the Thames Barrier protected London from floods?", "answer": "1982", "distractors": ["1931", "1953", "1966", "2001"]})),
        ("Yellow", json!({"statement": "The Yellow River flood of 1931 was one of the deadliest disasters in history.", "question": "In which year did the Yellow River flood that was one of the deadliest disasters in history happen?", "answer": "1931", "distractors": ["1982", "1887", "1998", "1911"]})),
    ]
}

fn reply(content: &str) -> Value {
    json!({"id": "c1", "object": "chat.completion", "model": "m",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})
}

async fn chat(State(seen): State<Seen>, headers: axum::http::HeaderMap, Json(body): Json<Value>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let user = body["messages"][1]["content"].as_str().unwrap_or_default().to_string();
    let checking = body["response_format"]["json_schema"]["name"] == "exam_check";
    seen.bodies.lock().unwrap().push((auth, body));
    let answer = if checking {
        check_answer(&user, model == "contrary")
    } else {
        let items: Vec<Value> = facts().into_iter().filter(|(k, _)| user.contains(k)).map(|(_, v)| v).collect();
        json!({ "items": items }).to_string()
    };
    match model.as_str() {
        "good" | "contrary" => Json(reply(&answer)).into_response(),
        "fenced" => Json(reply(&format!("Sure! Here are the items:\n```json\n{answer}\n```\nLet me know [if] you need more."))).into_response(),
        "garbage" => Json(reply("I am sorry, I cannot read this lecture.")).into_response(),
        "error" => (axum::http::StatusCode::TOO_MANY_REQUESTS, "slow down").into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(reply(&answer)).into_response()
        }
        _ => (axum::http::StatusCode::NOT_FOUND, "no such model").into_response(),
    }
}

/// The check of a passage's questions ("1. question" then "A) option"
/// lines): the letter of each question's key, as a model that reads well
/// would answer, or (`contrary`) the letter of a wrong answer.
fn check_answer(user: &str, contrary: bool) -> String {
    let facts = facts();
    let mut answer = serde_json::Map::new();
    let mut current: Option<(String, String)> = None;
    for line in user.lines() {
        if let Some((n, q)) = line.split_once(". ").filter(|(n, _)| n.parse::<usize>().is_ok()) {
            let key = facts.iter().find(|(_, f)| f["question"] == q).map(|(_, f)| f["answer"].as_str().unwrap().to_string());
            current = key.map(|k| (n.to_string(), k));
        } else if let (Some((n, key)), Some((letter, option))) = (&current, line.split_once(") ")) {
            if (option == key) != contrary {
                answer.insert(n.clone(), json!(letter));
            }
        }
    }
    Value::Object(answer).to_string()
}

async fn endpoint() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(|| async { Json(json!({"object": "list", "data": [{"id": "good", "object": "model"}]})) }))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), seen)
}

/// A lecture of six facts (geography), one paragraph per page.
fn lecture_pdf() -> Vec<u8> {
    let pages: Vec<Vec<String>> = vec![
        vec![
            "Rivers of the world".into(),
            "The Nile is the longest river in Africa and flows through eleven countries before it reaches the Mediterranean Sea. Its water has fed farms along its banks for thousands of years.".into(),
        ],
        vec![
            "River shapes".into(),
            "A meander is a bend in a river that forms where water erodes the outer bank. Over time the bends grow wider and can be cut off to form lakes.".into(),
        ],
        vec![
            "Water and the oceans".into(),
            "The Amazon carries about 20% of the fresh water that reaches the oceans. About 71% of the surface of the Earth is covered by water, most of it salt water.".into(),
        ],
        vec![
            "Floods".into(),
            "The Thames Barrier has protected London from floods since 1982. The Yellow River flood of 1931 was one of the deadliest disasters in history, and it changed how China manages its rivers.".into(),
        ],
    ];
    examfn_questions::extract::pdf::write_text_pdf(&pages)
}

struct Run {
    meta: Value,
    status: mongodb::bson::Document,
    notice: Option<Value>,
    took: Duration,
}

/// Upload the lecture and deliver its event to an exam-gen configured with `llm` env.
async fn run(name: &str, llm: &[(&str, String)], n_mcq: usize, n_tfq: usize) -> Run {
    let bucket = testing::unique("exams");
    let topic = testing::unique("email-topic");
    testing::create_topics(&testing::kafka_brokers(), &[&topic], 1).await;
    let (endpoint_s3, access, secret) = testing::s3();
    let mut pairs: Vec<(String, String)> = vec![
        ("KAFKA_BROKERS".into(), testing::kafka_brokers()),
        ("MONGODB_URI".into(), testing::mongodb_uri()),
        ("MONGODB_DB".into(), testing::unique("examgen_llm").replace('-', "_")),
        ("AWS_ENDPOINT_URL_S3".into(), endpoint_s3),
        ("AWS_ACCESS_KEY_ID".into(), access),
        ("AWS_SECRET_ACCESS_KEY".into(), secret),
        ("BUCKET_NAME".into(), bucket.clone()),
        ("EMAIL_TOPIC".into(), topic.clone()),
    ];
    pairs.extend(llm.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let env = Env::from_pairs(pairs);
    let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
    let config = Config::from_env(&env, &common).unwrap();
    let mut gen = ExamGen::from_config(&config).await.unwrap();
    // The extraction child is the exam-gen binary (this process is the test harness).
    gen.pdf = examfn_exam_gen::PdfExtractor::with_program(config.pdf, env!("CARGO_BIN_EXE_exam-gen"), Vec::new());
    gen.bucket.client.create_bucket().bucket(&bucket).send().await.unwrap();
    let key = format!("exams/{name}.pdf");
    gen.bucket
        .client
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .metadata("n_mcq", n_mcq.to_string())
        .metadata("n_tfq", n_tfq.to_string())
        .metadata("n_mcq_options", "4")
        .body(ByteStream::from(lecture_pdf()))
        .send()
        .await
        .unwrap();
    let ev = json_event("e", "t", "/s", None, json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}));
    let t = Instant::now();
    let out = gen.handle(ev).await.unwrap();
    let took = t.elapsed();
    assert!(matches!(out, Outcome::Done(_)), "{out:?}");
    let meta = gen.bucket.client.get_object().bucket(&bucket).key(format!("questions_bank/{name}.meta.json")).send().await.unwrap();
    let meta: Value = serde_json::from_slice(&meta.body.collect().await.unwrap().into_bytes()).unwrap();
    let status = gen.statuses.db.collection::<mongodb::bson::Document>("exams").find_one(mongodb::bson::doc! {"_id": name}).await.unwrap().unwrap();
    let notice = testing_notice(&topic).await;
    Run { meta, status, notice, took }
}

/// The first notice on `topic`, if one arrives within 10 s.
async fn testing_notice(topic: &str) -> Option<Value> {
    use rdkafka::config::ClientConfig;
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::message::Message;
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", testing::kafka_brokers())
        .set("group.id", testing::unique("llm-notice"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(10), consumer.recv()).await.ok()?.ok()?;
    serde_json::from_slice::<Value>(msg.payload()?).ok()
}

fn llm_env(base: &str, model: &str, timeout_ms: u64) -> Vec<(&'static str, String)> {
    vec![
        ("LLM_BASE_URL", base.to_string()),
        ("LLM_MODEL", model.to_string()),
        ("LLM_API_KEY", "sk-test".to_string()),
        ("LLM_TIMEOUT_MS", timeout_ms.to_string()),
        ("LLM_BUDGET_MS", "20000".to_string()),
    ]
}

/// [`llm_env`] with the model's check of its own questions on (`LLM_CHECK`).
fn checked_env(base: &str, model: &str, timeout_ms: u64) -> Vec<(&'static str, String)> {
    let mut env = llm_env(base, model, timeout_ms);
    env.push(("LLM_CHECK", "true".to_string()));
    env
}

fn questions(meta: &Value) -> &Vec<Value> {
    meta["questions"].as_array().expect("questions in the sidecar")
}

#[tokio::test]
async fn the_model_writes_grounded_questions_that_the_verifier_checks() {
    let (base, seen) = endpoint().await;
    let r = run("rivers-good", &checked_env(&base, "good", 5000), 3, 2).await;
    let qs = questions(&r.meta);
    assert_eq!(qs.len(), 5, "exactly the count asked: {:#}", r.meta);
    assert!(r.meta["generator"].as_str().unwrap().starts_with("llm:good"), "{}", r.meta["generator"]);
    let by_model: Vec<&Value> = qs.iter().filter(|q| q["origin"] == "llm").collect();
    assert!(!by_model.is_empty(), "{:#}", r.meta);
    for q in &by_model {
        assert_eq!(q["model"], "good");
        let passage = q["passage"].as_str().unwrap();
        assert!(passage.contains(q["correct_answer"].as_str().unwrap()) || q["type"] == "true_false", "grounded in its passage: {q:#}");
        assert!(q["page"].as_u64().unwrap() >= 1);
    }
    // A false statement is false through a changed fact, never through "not".
    for q in qs.iter().filter(|q| q["type"] == "true_false" && q["correct_answer"] == "False") {
        let text = q["question"].as_str().unwrap().to_lowercase();
        assert!(!text.contains(" not ") && !text.contains("n't"), "{q:#}");
    }
    // Every multiple-choice question has 4 options, one of them the key.
    for q in qs.iter().filter(|q| q["type"] == "multiple_choice") {
        let options = q["options"].as_array().unwrap();
        assert_eq!(options.len(), 4, "{q:#}");
        assert_eq!(options.iter().filter(|o| **o == q["correct_answer"]).count(), 1);
    }
    let sources = r.meta["sources"].as_array().unwrap();
    let llm = sources.iter().find(|s| s["name"] == "llm:good").expect("the model's report");
    assert!(llm["passages"].as_u64().unwrap() >= 1 && llm["candidates"].as_u64().unwrap() >= 1, "{llm}");
    assert!(r.meta["llm_fallback_reason"].is_null(), "{}", r.meta["llm_fallback_reason"]);
    // The status says how it went; the progress is gone once ready; the notice says how long it took.
    assert_eq!(r.status.get_str("state").unwrap(), "ready");
    assert!(matches!(r.status.get("progress"), None | Some(mongodb::bson::Bson::Null)), "{:?}", r.status);
    assert!(r.status.get_str("generator").unwrap().starts_with("llm:good"));
    let notice = r.notice.expect("an exam-ready notice");
    assert!(notice["text"].as_str().unwrap().contains("It took"), "{notice}");
    // The model answered its own questions, passage in hand, and kept them.
    let check = &llm["check"];
    assert!(check["facts"].as_u64().unwrap() >= 1 && check["refused"] == 0 && check["failed"] == 0, "{llm}");
    // What the server received: the key, the schema, the passage.
    let bodies = seen.bodies.lock().unwrap();
    assert!(bodies.iter().any(|(_, b)| b["response_format"]["json_schema"]["name"] == "exam_check"));
    let (auth, body) = &bodies[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["temperature"], 0);
    assert!(body["messages"][1]["content"].as_str().unwrap().contains("Passage:"));
}

#[tokio::test]
async fn questions_whose_key_the_model_does_not_choose_are_dropped() {
    let (base, _) = endpoint().await;
    let r = run("rivers-contrary", &checked_env(&base, "contrary", 5000), 3, 2).await;
    let sources = r.meta["sources"].as_array().unwrap();
    let llm = sources.iter().find(|s| s["name"] == "llm:contrary").expect("the model's report");
    let check = &llm["check"];
    assert!(check["facts"].as_u64().unwrap() >= 1, "{llm}");
    assert_eq!(check["refused"], check["facts"], "every fact refused: {llm}");
    assert_eq!(llm["candidates"], 0, "{llm}");
    let qs = questions(&r.meta);
    assert!(!qs.is_empty() && qs.iter().all(|q| q["origin"] == "rules"), "the rules wrote the exam: {:#}", r.meta);
}

#[tokio::test]
async fn fenced_answers_are_read() {
    let (base, seen) = endpoint().await;
    let r = run("rivers-fenced", &llm_env(&base, "fenced", 5000), 2, 2).await;
    assert!(r.meta["generator"].as_str().unwrap().starts_with("llm:fenced"), "{:#}", r.meta);
    // The model's check of its own questions is off unless LLM_CHECK asks for it.
    let llm = r.meta["sources"].as_array().unwrap().iter().find(|s| s["name"] == "llm:fenced").cloned().unwrap();
    assert!(llm.get("check").is_none(), "{llm}");
    assert!(seen.bodies.lock().unwrap().iter().all(|(_, b)| b["response_format"]["json_schema"]["name"] != "exam_check"));
}

/// Garbage, an error status, a slow server and no server: the exam is still
/// written, by the rule-based source, and the sidecar says why.
#[tokio::test]
async fn without_a_usable_model_the_rules_write_the_exam_and_say_why() {
    let (base, _) = endpoint().await;
    for (model, base, timeout_ms, why) in [
        ("garbage", base.as_str(), 5000, "no JSON"),
        ("error", base.as_str(), 5000, "429"),
        ("slow", base.as_str(), 300, "no answer within"),
        ("good", "http://127.0.0.1:9/v1", 1000, "not reachable"),
    ] {
        let r = run(&format!("rivers-{model}-{timeout_ms}"), &llm_env(base, model, timeout_ms), 2, 2).await;
        assert_eq!(r.meta["generator"], "builtin", "{model}: {:#}", r.meta);
        let reason = r.meta["llm_fallback_reason"].as_str().unwrap_or_default();
        assert!(reason.contains(why), "{model}: {reason}");
        assert!(!questions(&r.meta).is_empty(), "{model}: the rules wrote the exam");
        assert!(questions(&r.meta).iter().all(|q| q["origin"] == "rules"));
        assert!(r.took < Duration::from_secs(30), "{model}: {:?}", r.took);
    }
}

/// A chat endpoint whose answers make the model source panic (a bug some
/// model output met once): the model's part ends, the exam does not.
#[derive(Clone)]
struct Panics;

impl examfn_questions::llm::Chat for Panics {
    async fn complete(&self, _body: String, _timeout: Duration) -> Result<String, examfn_questions::llm::ChatError> {
        panic!("a bug in the model source")
    }
}

#[tokio::test]
async fn a_panic_in_the_model_source_leaves_the_rules_exam_and_says_why() {
    use examfn_exam_gen::llm::{LlmBackend, LlmConfig};
    use examfn_exam_gen::writer::write_exam_with;
    let (base, _) = endpoint().await;
    let backend = LlmBackend::new(LlmConfig {
        base_url: base,
        model: "good".into(),
        api_key: None,
        timeout: Duration::from_secs(5),
        budget: Duration::from_secs(20),
        parallel: 1,
        check: true,
    })
    .unwrap();
    let pages = examfn_questions::extract::pdf::extract(&lecture_pdf()).unwrap().pages;
    let req = examfn_questions::Request { n_mcq: 2, n_tfq: 2, n_options: 4 };
    let ranker = examfn_exam_gen::Ranker::lexical("tests");
    let (writing, notes) = write_exam_with(pages, req, &ranker, Some((&backend, &Panics)), &|_| {}).await.expect("the exam is written");
    assert!(!writing.questions.is_empty(), "the rules wrote the exam");
    assert!(writing.questions.iter().all(|q| q.origin == "rules"));
    let why = notes.llm_fallback.expect("the reason");
    assert!(why.contains("failed") && why.contains("a bug in the model source"), "{why}");
}
