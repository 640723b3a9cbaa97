//! The local LLM server exam-gen talks to (llama.cpp's llama-server, OpenAI
//! API), on the real server `cargo run -- test` starts with SmolLM2:
//! `EXAMFN_TEST_LLM_URL` (ending in `/v1`, as `LLM_BASE_URL` does),
//! `EXAMFN_TEST_LLM_MODEL`, and the installed binary and model
//! (`EXAMFN_TEST_LLAMA_SERVER`, `EXAMFN_TEST_LLM_GGUF`).

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `cargo run -- test`, which installs llama-server and a model and starts it")
    })
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap()
}

/// `http://127.0.0.1:P/v1` → `http://127.0.0.1:P`.
fn root(base: &str) -> &str {
    base.strip_suffix("/v1").unwrap_or_else(|| panic!("{base} does not end in /v1"))
}

async fn models(base: &str) -> Vec<String> {
    let v: Value = http().get(format!("{base}/models")).send().await.unwrap().error_for_status().unwrap().json().await.unwrap();
    v["data"].as_array().unwrap_or_else(|| panic!("no data in {v}")).iter().filter_map(|m| m["id"].as_str().map(str::to_string)).collect()
}

#[tokio::test]
async fn the_server_is_healthy_lists_its_alias_and_answers_in_a_json_schema() {
    let base = var("EXAMFN_TEST_LLM_URL");
    let model = var("EXAMFN_TEST_LLM_MODEL");
    let health = http().get(format!("{}/health", root(&base))).send().await.unwrap();
    assert_eq!(health.status(), 200, "{}", health.text().await.unwrap_or_default());
    assert!(models(&base).await.contains(&model), "/v1/models does not list {model}");

    let schema = json!({
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": 200},
            "answer": {"type": "string", "minLength": 1, "maxLength": 200}
        },
        "required": ["question", "answer"]
    });
    let body = json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "You write short quiz questions. Answer in JSON."},
            {"role": "user", "content": "Write one short quiz question, with its answer, about this text: \
                Photosynthesis turns light, water and carbon dioxide into sugar and oxygen."}
        ],
        "temperature": 0,
        "max_tokens": 300,
        "response_format": {"type": "json_schema", "json_schema": {"name": "quiz_question", "schema": schema}}
    });
    let started = std::time::Instant::now();
    let r = http().post(format!("{base}/chat/completions")).json(&body).send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "stop", "cut off: {v}");
    let content = choice["message"]["content"].as_str().unwrap_or_else(|| panic!("no content: {v}"));
    let answer: Value = serde_json::from_str(content).unwrap_or_else(|e| panic!("not JSON ({e}): {content}"));
    for key in ["question", "answer"] {
        assert!(answer[key].as_str().is_some_and(|s| !s.trim().is_empty()), "{key} missing or empty: {content}");
    }
    eprintln!("{model} answered in {} ms: {content}", started.elapsed().as_millis());
}

/// The arguments `examfn up` starts its LLM server with work with the
/// installed build (flags such as `--no-webui` exist in this version).
#[tokio::test]
async fn llama_server_starts_with_the_arguments_up_gives_it() {
    let bin = var("EXAMFN_TEST_LLAMA_SERVER");
    let gguf = var("EXAMFN_TEST_LLM_GGUF");
    let alias = "examfn-test-alias";
    let port = examfn::procs::free_port().unwrap();
    let dir = std::env::temp_dir().join(format!("examfn-llm-{}", std::process::id()));
    let spec = examfn::servers::llm_spec(Path::new(&bin), Path::new(&gguf), port, 1, alias, dir.join("llm.log"));
    let mut p = spec.spawn().unwrap();
    let ready = examfn::llm::wait_ready(&mut p, Duration::from_secs(120)).await;
    let listed = match &ready {
        Ok(_) => models(&examfn::llm::base_url(port)).await,
        Err(_) => Vec::new(),
    };
    p.stop(Duration::from_secs(10)).await;
    let took = ready.unwrap();
    assert_eq!(listed, vec![alias.to_string()]);
    eprintln!("llama-server ready in {} ms", took.as_millis());
    let _ = std::fs::remove_dir_all(&dir);
}
