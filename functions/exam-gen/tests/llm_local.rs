//! exam-gen with the real local model server the test command starts
//! (llama.cpp's `llama-server` with SmolLM2-135M-Instruct, too small to write
//! good questions but fast): the whole pipeline from an S3 upload to the
//! sidecar, and a server killed in the middle of an exam. Needs
//! `cargo run -- test` (the real Kafka, MongoDB, S3 and LLM servers).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use examfn_exam_gen::{Config, ExamGen};
use examfn_runtime::config::Env;
use examfn_runtime::event::json_event;
use examfn_runtime::{testing, CommonConfig, Handler, Outcome};
use serde_json::{json, Value};

/// A lecture with several passages (biology), one per page.
fn lecture_pdf() -> Vec<u8> {
    let para = |title: &str, text: &str| vec![title.to_string(), text.to_string()];
    examfn_questions::extract::pdf::write_text_pdf(&[
        para("Cells", "The mitochondrion is the organelle that releases energy from glucose in a process called cellular respiration. Cells that need much energy, such as muscle cells, contain thousands of mitochondria."),
        para("The nucleus", "The nucleus holds the chromosomes of a eukaryotic cell and controls which genes are expressed. It is surrounded by a double membrane called the nuclear envelope, which has pores for large molecules."),
        para("Proteins", "Ribosomes build proteins from amino acids by reading messenger RNA. Proteins that leave the cell are folded in the endoplasmic reticulum and packed by the Golgi apparatus."),
        para("Plants", "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen. It takes place in the chloroplasts, whose green pigment chlorophyll absorbs red and blue light."),
        para("Division", "Mitosis divides one cell into two cells with the same chromosomes. Meiosis makes four cells with half the chromosomes each, and it produces the gametes of animals and plants."),
    ])
}

struct Exam {
    meta: Value,
    took: Duration,
}

async fn write(name: &str, base_url: &str, model: &str, budget_ms: u64, during: impl std::future::Future<Output = ()>) -> Exam {
    let bucket = testing::unique("exams");
    let topic = testing::unique("email-topic");
    testing::create_topics(&testing::kafka_brokers(), &[&topic], 1).await;
    let (endpoint_s3, access, secret) = testing::s3();
    let env = Env::from_pairs([
        ("KAFKA_BROKERS", testing::kafka_brokers()),
        ("MONGODB_URI", testing::mongodb_uri()),
        ("MONGODB_DB", testing::unique("examgen_llm").replace('-', "_")),
        ("AWS_ENDPOINT_URL_S3", endpoint_s3),
        ("AWS_ACCESS_KEY_ID", access),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("BUCKET_NAME", bucket.clone()),
        ("EMAIL_TOPIC", topic),
        ("LLM_BASE_URL", base_url.to_string()),
        ("LLM_MODEL", model.to_string()),
        ("LLM_TIMEOUT_MS", "60000".to_string()),
        ("LLM_BUDGET_MS", budget_ms.to_string()),
    ]);
    let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
    let config = Config::from_env(&env, &common).unwrap();
    let mut gen = ExamGen::from_config(&config).await.unwrap();
    gen.pdf = examfn_exam_gen::PdfExtractor::with_program(config.pdf, env!("CARGO_BIN_EXE_exam-gen"), Vec::new());
    gen.bucket.client.create_bucket().bucket(&bucket).send().await.unwrap();
    let key = format!("exams/{name}.pdf");
    gen.bucket
        .client
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .metadata("n_mcq", "3")
        .metadata("n_tfq", "2")
        .metadata("n_mcq_options", "4")
        .body(ByteStream::from(lecture_pdf()))
        .send()
        .await
        .unwrap();
    let ev = json_event("e", "t", "/s", None, json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}));
    let t = Instant::now();
    let (out, ()) = tokio::join!(gen.handle(ev), during);
    let took = t.elapsed();
    assert!(matches!(out, Ok(Outcome::Done(_))), "{out:?}");
    let meta = gen.bucket.client.get_object().bucket(&bucket).key(format!("questions_bank/{name}.meta.json")).send().await.unwrap();
    let meta: Value = serde_json::from_slice(&meta.body.collect().await.unwrap().into_bytes()).unwrap();
    Exam { meta, took }
}

fn llm_report(meta: &Value) -> &Value {
    meta["sources"].as_array().unwrap().iter().find(|s| s["name"].as_str().unwrap().starts_with("llm:")).expect("the model's report")
}

/// The whole pipeline with the real server: the model reads passages and
/// writes candidates; whatever the verifier lets through (a 135M model's
/// questions mostly fail it) and the rule-based source fill the exam.
#[tokio::test]
async fn the_real_server_writes_through_the_whole_pipeline() {
    let (base, model) = testing::llm();
    let exam = write("cells-real", &base, &model, 60_000, async {}).await;
    let meta = &exam.meta;
    let llm = llm_report(meta);
    assert!(llm["passages"].as_u64().unwrap() >= 1, "the server was asked: {llm}");
    assert!(llm["candidates"].as_u64().unwrap() >= 1, "the server's answers were read: {llm} ({})", meta["llm_fallback_reason"]);
    let qs = meta["questions"].as_array().unwrap();
    assert!(!qs.is_empty());
    for q in qs {
        assert!(q["origin"] == "llm" || q["origin"] == "rules", "{q}");
        if q["origin"] == "llm" {
            assert_eq!(q["model"].as_str(), Some(model.as_str()));
            assert!(!q["passage"].as_str().unwrap().is_empty());
        }
    }
    eprintln!("real server: {} questions in {:?}, generator {}, llm {llm}", qs.len(), exam.took, meta["generator"]);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_server(port: u16) -> Child {
    let (bin, gguf) = testing::llama_server();
    Command::new(bin)
        .args(["-m"])
        .arg(gguf)
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "-t", "2", "-c", "4096", "-np", "1", "--alias", "killed"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("llama-server starts")
}

async fn until_ready(port: u16) {
    let http = reqwest::Client::new();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/health")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("llama-server on {port} not ready in 60 s");
}

/// The server dies while the model is writing: the exam is still written
/// (by the rule-based source and whatever was verified before), and the
/// sidecar says why the model stopped.
#[tokio::test]
async fn a_server_killed_mid_exam_leaves_the_exam_to_the_rules() {
    let port = free_port();
    let mut server = start_server(port);
    until_ready(port).await;
    let base = format!("http://127.0.0.1:{port}/v1");
    let pid = server.id();
    let kill = async move {
        // Kill it while it is working on a request (or after 3 s at the latest).
        let http = reqwest::Client::new();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(3) {
            if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/slots")).send().await {
                if r.text().await.unwrap_or_default().contains("\"is_processing\":true") {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    };
    let exam = write("cells-killed", &base, "killed", 60_000, kill).await;
    let _ = server.wait();
    let meta = &exam.meta;
    let qs = meta["questions"].as_array().unwrap();
    assert!(!qs.is_empty(), "the exam is written: {meta:#}");
    let llm = llm_report(meta);
    let stopped = llm["stopped"].as_str().unwrap_or_default();
    assert!(stopped.contains("unavailable") || stopped.contains("failed"), "the sidecar says why: {llm}");
    assert!(exam.took < Duration::from_secs(60), "{:?}", exam.took);
}
