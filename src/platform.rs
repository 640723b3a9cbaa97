//! `up`, `down`, `status`, `mail`: the local platform.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use examfn_domain::names;
use serde_json::json;
use tokio::process::Command;

use crate::llm::{self, LlmServer};
use crate::procs::{self, Proc};
use crate::servers::{self, Secrets, ServerPorts};
use crate::tools::{Cache, LlmModel, Tool};

/// The functions `up` runs, in start order, and how each is fed.
pub const FUNCTIONS: [(&str, Option<&str>); 5] = [
    ("email", Some(names::EMAIL_TOPIC)),
    ("score-calc", Some(names::SCORE_CDC_TOPIC)),
    ("exam-gen", Some(names::EXAM_GENERATOR_TOPIC)),
    ("cdc-relay", None),
    ("take-exam", None),
];

/// Options of `up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub data_dir: PathBuf,
    pub servers: ServerPorts,
    /// take-exam's port; the other functions use the next ports.
    pub http_port: u16,
    pub educator: String,
    /// The LLM server's port (its OpenAI API under `/v1`).
    pub llm_port: u16,
    /// The model it serves; `None` (`--no-llm`): no LLM server, exam-gen
    /// writes questions with its rules only.
    pub llm_model: Option<LlmModel>,
}

impl UpOptions {
    pub fn defaults(project: &Path) -> Self {
        Self {
            data_dir: project.join(".examfn"),
            servers: ServerPorts { kafka: 9092, mongo: 27017, s3: 9000, s3_backend: 9001, smtp: 2525 },
            http_port: 8080,
            educator: "educator@examfn.local".into(),
            llm_port: 8090,
            llm_model: Some(LlmModel::Qwen),
        }
    }

    /// Shift every port by `n` (a second platform beside the first).
    pub fn offset_ports(&mut self, n: u16) {
        let s = &mut self.servers;
        for p in [&mut s.kafka, &mut s.mongo, &mut s.s3, &mut s.s3_backend, &mut s.smtp, &mut self.http_port, &mut self.llm_port] {
            *p += n;
        }
    }

    pub fn function_port(&self, name: &str) -> u16 {
        let i = ["take-exam", "exam-gen", "score-calc", "email", "cdc-relay"].iter().position(|n| *n == name).unwrap_or(5);
        self.http_port + i as u16
    }
}

/// What exam-gen is told about the LLM server: from the start, whether or not
/// it is installed and ready yet (exam-gen checks the server itself and falls
/// back to its rules meanwhile); nothing with `--no-llm`.
pub fn llm_env(o: &UpOptions) -> Vec<(&'static str, String)> {
    match o.llm_model {
        Some(m) => vec![("LLM_BASE_URL", llm::base_url(o.llm_port)), ("LLM_MODEL", m.alias().to_string()), ("LLM_PARALLEL", llm::SLOTS.to_string())],
        None => Vec::new(),
    }
}

/// The environment a function gets on the local platform, as the cluster's
/// Knative Service would set it.
pub fn function_env(name: &str, topic: Option<&str>, o: &UpOptions, s: &servers::Servers, secrets: &Secrets) -> BTreeMap<String, String> {
    let mut e = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        e.insert(k.to_string(), v);
    };
    set("PORT", o.function_port(name).to_string());
    set("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()));
    set("LOG_FORMAT", "text".into());
    set("KAFKA_BROKERS", s.kafka.clone());
    set("MONGODB_URI", s.mongodb_uri.clone());
    set("MONGODB_DB", names::DATABASE.into());
    set("EMAIL_TOPIC", names::EMAIL_TOPIC.into());
    if let Some(t) = topic {
        set("FUNC_TRANSPORT", "kafka".into());
        set("KAFKA_TOPIC", t.into());
        set("KAFKA_CONSUMER_GROUP", name.into());
    } else {
        set("FUNC_TRANSPORT", "http".into());
    }
    if name == "exam-gen" {
        if let Some(dir) = Cache::from_env().embed_model_installed() {
            set("EMBED_MODEL_DIR", dir.display().to_string());
        }
        for (k, v) in llm_env(o) {
            set(k, v);
        }
    }
    if matches!(name, "exam-gen" | "take-exam") {
        set("AWS_ENDPOINT_URL_S3", s.s3_endpoint.clone());
        set("AWS_ACCESS_KEY_ID", secrets.s3_access_key.clone());
        set("AWS_SECRET_ACCESS_KEY", secrets.s3_secret_key.clone());
        set("AWS_REGION", "us-east-1".into());
        set("BUCKET_NAME", names::BUCKET.into());
    }
    match name {
        "take-exam" => {
            set("AUTH_DEV_KEYS_DIR", o.data_dir.join("dev-auth").display().to_string());
            set("PUBLIC_S3_ENDPOINT", s.s3_endpoint.clone());
        }
        "email" => {
            let (host, port) = s.smtp.split_once(':').unwrap_or(("127.0.0.1", "25"));
            set("EMAIL_PROVIDER", "smtp".into());
            set("SMTP_HOST", host.into());
            set("SMTP_PORT", port.into());
            set("SMTP_TLS", "none".into());
            set("EMAIL_FROM", "Exam-Generator <no-reply@examfn.local>".into());
            set("KRATOS_WEBHOOK_SECRET", secrets.kratos_webhook_secret.clone());
            set("UNSUBSCRIBE_SECRET", secrets.unsubscribe_secret.clone());
            set("PUBLIC_BASE_URL", format!("http://127.0.0.1:{}", o.function_port("email")));
        }
        "cdc-relay" => {
            set("CDC_SNAPSHOT", "false".into());
        }
        _ => {}
    }
    e
}

fn spawn_function(name: &str, env: &BTreeMap<String, String>, logs: &Path, port: u16) -> Result<Proc> {
    spawn_function_with(&std::env::current_exe()?, name, env, logs, port)
}

/// Start `exe run <name>` with exactly the environment `env` (plus `PATH`,
/// `HOME`, `TMPDIR`, `LANG`), its output appended to `<logs>/<name>.log`.
/// `exe` is an `examfn` binary (tests pass `CARGO_BIN_EXE_examfn`).
pub fn spawn_function_with(exe: &Path, name: &str, env: &BTreeMap<String, String>, logs: &Path, port: u16) -> Result<Proc> {
    let mut cmd = Command::new(exe);
    cmd.args(["run", name]).env_clear();
    for k in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    cmd.envs(env);
    Proc::spawn(name, cmd, &logs.join(format!("{name}.log")), port)
}

/// Where a running `up` records itself, for `down` and `status`.
fn state_file(data: &Path) -> PathBuf {
    data.join("platform.json")
}

/// `up`: start everything and wait for Ctrl-C.
pub async fn up(o: UpOptions) -> Result<()> {
    let started = Instant::now();
    let data = &o.data_dir;
    std::fs::create_dir_all(data)?;
    let data = &data.canonicalize()?;
    if let Ok(text) = std::fs::read_to_string(state_file(data)) {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if let Some(pid) = v["pid"].as_u64() {
            if procs::alive(pid as u32) && pid as u32 != std::process::id() {
                bail!("the platform on {} is already running (pid {pid}); stop it with `cargo run -- down`", data.display());
            }
        }
    }
    let mut o = o.clone();
    o.data_dir = data.clone();
    let mut ports = vec![
        ("kafka", o.servers.kafka),
        ("mongodb", o.servers.mongo),
        ("s3", o.servers.s3),
        ("s3 backend", o.servers.s3_backend),
        ("smtp", o.servers.smtp),
        ("take-exam", o.http_port),
    ];
    if o.llm_model.is_some() {
        ports.push(("llm", o.llm_port));
    }
    for (what, port) in ports {
        if procs::port_in_use(port) {
            let llm = if what == "llm" { " (or --llm-port P, or --no-llm)" } else { "" };
            bail!("port {port} ({what}) is in use: stop what holds it, or start with --port-offset N{llm}");
        }
    }
    let secrets = Secrets::load_or_create(data)?;
    let cache = Cache::from_env();
    cache.prepare(&[Tool::Tansu, Tool::S3sFs, Tool::Python, Tool::EmbedModel])?;
    if let Err(e) = cache.embed_model() {
        eprintln!("!!  the embedding model could not be installed ({e:#}); exam-gen ranks questions lexically");
    }
    // From here a Ctrl-C stops what was started, in order.
    let mut stop = crate::signals::stop_signal();
    // The LLM server: installed in the background when missing (the
    // platform does not wait for it), started once it is in place.
    let mut llm = o.llm_model.map(|m| LlmServer::start(&cache, m, o.llm_port, &data.join("logs")));
    if let Some(what) = llm.as_ref().and_then(|l| l.installing()) {
        eprintln!(
            "==> installing the LLM server in the background: {what} (logs in {}); until it is ready exam-gen writes \
             questions with its rules. `cargo run -- status` shows its progress",
            cache.root.join("logs").display()
        );
    }
    eprintln!("==> starting the servers (data in {})", data.display());
    let result = match servers::start(&cache, data, o.servers, &secrets).await {
        Ok(mut servers) => {
            let result = run_functions(&o, &mut servers, &secrets, started, llm.as_mut(), &mut stop).await;
            if let Some(l) = llm.as_mut() {
                eprintln!("==> stopping the LLM server");
                l.stop().await;
                llm_stopped(data, l);
            }
            eprintln!("==> stopping the servers");
            servers.stop().await;
            result
        }
        Err(e) => Err(e),
    };
    if let Some(l) = llm.as_mut() {
        l.stop().await;
    }
    let _ = std::fs::remove_file(state_file(data));
    result
}

/// Record in `endpoints.json` that the LLM server stopped with the platform.
fn llm_stopped(data: &Path, l: &LlmServer) {
    let path = data.join("endpoints.json");
    if let Some(mut e) = std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()) {
        e["llm"] = l.json();
        if let Ok(text) = serde_json::to_string_pretty(&e) {
            let _ = std::fs::write(&path, text);
        }
    }
}

async fn run_functions(
    o: &UpOptions,
    servers: &mut servers::Servers,
    secrets: &Secrets,
    started: Instant,
    mut llm: Option<&mut LlmServer>,
    stop: &mut tokio::sync::mpsc::Receiver<()>,
) -> Result<()> {
    let data = &o.data_dir;
    let logs = data.join("logs");
    crate::functions::prepare_local(data, &servers.mongodb_uri, &o.educator).await?;
    let mut procs: Running = Vec::new();
    if stop.try_recv().is_ok() {
        return Ok(());
    }
    if let Some(l) = llm.as_deref_mut() {
        for line in l.tick().await {
            eprintln!("{line}");
        }
    }
    eprintln!("==> starting the functions");
    for (name, topic) in FUNCTIONS {
        let env = function_env(name, topic, o, servers, secrets);
        let port = o.function_port(name);
        let mut p = spawn_function(name, &env, &logs, port)?;
        let took = p.wait_port(Duration::from_secs(30)).await;
        match took {
            Ok(t) => eprintln!("    {name:<20} 127.0.0.1:{port}  ready in {} ms", t.as_millis()),
            Err(e) => {
                for (mut p, _, _) in procs {
                    p.stop(Duration::from_secs(10)).await;
                }
                return Err(e);
            }
        }
        procs.push((p, env, 0));
    }
    let endpoints = endpoints_json(o, servers, &procs.iter().map(|(p, _, _)| p).collect::<Vec<_>>(), llm.as_deref());
    std::fs::write(data.join("endpoints.json"), serde_json::to_string_pretty(&endpoints)?)?;
    let llm_pid = |l: &Option<&mut LlmServer>| l.as_deref().and_then(|l| l.pid());
    write_state(data, servers, &procs, llm_pid(&llm))?;
    let mut server_pids = Vec::new();
    servers_changed(servers, &mut server_pids);
    let mut function_pids = Vec::new();
    functions_changed(&procs, &mut function_pids);
    let mut last_llm_pid = llm_pid(&llm);
    // endpoints.json is written again when the LLM's state changes, and
    // every few seconds while it installs (the time left).
    let mut llm_written = (llm.as_deref().map(|l| l.state().name()), Instant::now());
    print_endpoints(&endpoints);
    eprintln!("==> examfn is up in {:.1} s. Ctrl-C (or `cargo run -- down`) stops it; data stays in {}", started.elapsed().as_secs_f64(), data.display());

    // Watch the children until asked to stop; a crashed function is reported
    // with the end of its log and restarted (at most 5 times).
    loop {
        tokio::select! {
            _ = stop.recv() => break,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        for (p, env, restarts) in procs.iter_mut() {
            if let Ok(Some(status)) = p.child.try_wait() {
                if *restarts > 5 {
                    continue; // given up on, and said so
                }
                eprintln!("!!  {} exited ({status}); the end of {}:\n{}", p.name, p.log.display(), procs::tail(&p.log, 12));
                if *restarts == 5 {
                    eprintln!("!!  {} crashed {} times: not restarting it", p.name, *restarts);
                    *restarts += 1;
                    continue;
                }
                *restarts += 1;
                let name = p.name.clone();
                match spawn_function(&name, env, &logs, p.port) {
                    Ok(np) => {
                        *p = np;
                        eprintln!("    restarted {name} (restart {restarts})");
                    }
                    Err(e) => eprintln!("!!  cannot restart {name}: {e}"),
                }
            }
        }
        // A crashed server is restarted on its port with its data dir (at
        // most MAX_SERVER_RESTARTS times each); the functions ride it out
        // (they retry, and consumers resume from committed offsets).
        match servers.supervise(MAX_SERVER_RESTARTS).await {
            Ok(restarts) => {
                for r in restarts {
                    eprintln!("!!  server {} exited ({})", r.name, r.exit);
                    eprintln!("    restarted server {} (restart {}), ready in {} ms", r.name, r.count, r.ready_in.as_millis());
                }
                if servers_changed(servers, &mut server_pids) {
                    write_state(data, servers, &procs, llm_pid(&llm))?;
                }
            }
            Err(e) => {
                eprintln!("!!  {e:#}");
                eprintln!("!!  stopping the platform: restart it with `cargo run --release -- up`");
                return stop_all(procs).await.and(Err(e));
            }
        }
        if let Some(l) = llm.as_deref_mut() {
            for line in l.tick().await {
                eprintln!("{line}");
            }
            let name = Some(l.state().name());
            if name != llm_written.0 || (name == Some("installing") && llm_written.1.elapsed() >= Duration::from_secs(5)) {
                let endpoints = endpoints_json(o, servers, &procs.iter().map(|(p, _, _)| p).collect::<Vec<_>>(), Some(l));
                std::fs::write(data.join("endpoints.json"), serde_json::to_string_pretty(&endpoints)?)?;
                llm_written = (name, Instant::now());
            }
        }
        let now_llm_pid = llm_pid(&llm);
        if functions_changed(&procs, &mut function_pids) || now_llm_pid != last_llm_pid {
            last_llm_pid = now_llm_pid;
            write_state(data, servers, &procs, now_llm_pid)?;
        }
    }
    eprintln!("==> stopping the functions");
    stop_all(procs).await
}

/// How many times `up` restarts one crashed server before it gives up and
/// stops the platform.
pub const MAX_SERVER_RESTARTS: u32 = 5;

type Running = Vec<(Proc, BTreeMap<String, String>, u32)>;

/// Record the running `up` and its children (for `down`, `status`, and a
/// `down` after `up` itself was killed); rewritten after every restart.
fn write_state(data: &Path, servers: &servers::Servers, procs: &Running, llm: Option<u32>) -> Result<()> {
    let mut servers_json: serde_json::Map<String, serde_json::Value> = servers.procs.iter().map(|p| (p.name.clone(), json!({"pid": p.pid(), "port": p.port}))).collect();
    if let Some(pid) = llm {
        servers_json.insert("llm (llama-server)".into(), json!({"pid": pid}));
    }
    let functions_json: serde_json::Map<String, serde_json::Value> = procs.iter().map(|(p, _, r)| (p.name.clone(), json!({"pid": p.pid(), "port": p.port, "restarts": r}))).collect();
    std::fs::write(
        state_file(data),
        serde_json::to_string(&json!({
            "pid": std::process::id(),
            "children": servers.procs.iter().chain(procs.iter().map(|(p, _, _)| p)).filter_map(|p| p.pid()).chain(llm).collect::<Vec<_>>(),
            "servers": servers_json,
            "functions": functions_json,
        }))?,
    )?;
    Ok(())
}

fn servers_changed(servers: &servers::Servers, seen: &mut Vec<Option<u32>>) -> bool {
    let now: Vec<Option<u32>> = servers.procs.iter().map(|p| p.pid()).collect();
    let changed = *seen != now;
    *seen = now;
    changed
}

fn functions_changed(procs: &Running, seen: &mut Vec<Option<u32>>) -> bool {
    let now: Vec<Option<u32>> = procs.iter().map(|(p, _, _)| p.pid()).collect();
    let changed = *seen != now;
    *seen = now;
    changed
}

async fn stop_all(procs: Running) -> Result<()> {
    // Functions first, so nothing is left half-done when the servers go away.
    for (mut p, _, _) in procs.into_iter().rev() {
        p.stop(Duration::from_secs(15)).await;
    }
    Ok(())
}

fn endpoints_json(o: &UpOptions, s: &servers::Servers, procs: &[&Proc], llm: Option<&LlmServer>) -> serde_json::Value {
    let mut functions = serde_json::Map::new();
    for p in procs {
        let base = format!("http://127.0.0.1:{}", p.port);
        functions.insert(
            p.name.clone(),
            json!({"url": base, "liveness": format!("{base}/health/liveness"), "readiness": format!("{base}/health/readiness"),
                   "metrics": format!("{base}/metrics"), "log": p.log, "pid": p.pid()}),
        );
    }
    json!({
        "ui": format!("http://127.0.0.1:{}/", o.http_port),
        "functions": functions,
        "kafka": {"bootstrap": s.kafka, "topics": servers::topics()},
        "mongodb": {"uri": s.mongodb_uri, "server": s.mongo_kind, "database": names::DATABASE},
        "s3": {"endpoint": s.s3_endpoint, "bucket": names::BUCKET, "access_key": "examfn-local", "secret_key": "see secrets.json"},
        "smtp": {"address": s.smtp, "maildir": s.maildir},
        "llm": llm.map_or_else(llm::off_json, LlmServer::json),
        "email_webhook": format!("http://127.0.0.1:{}/hooks/kratos/after-registration", o.function_port("email")),
        "educator": o.educator,
        "data_dir": o.data_dir,
    })
}

fn print_endpoints(e: &serde_json::Value) {
    let row = |a: &str, b: &str| println!("  {a:<22} {b}");
    println!();
    row("UI (take-exam)", e["ui"].as_str().unwrap_or(""));
    if let Some(f) = e["functions"].as_object() {
        for (name, v) in f {
            row(&format!("function {name}"), v["url"].as_str().unwrap_or(""));
        }
    }
    row("kafka", e["kafka"]["bootstrap"].as_str().unwrap_or(""));
    row("mongodb", e["mongodb"]["uri"].as_str().unwrap_or(""));
    row("s3", e["s3"]["endpoint"].as_str().unwrap_or(""));
    row("smtp", e["smtp"]["address"].as_str().unwrap_or(""));
    row("maildir", e["smtp"]["maildir"].as_str().unwrap_or(""));
    let l = &e["llm"];
    match l["url"].as_str() {
        Some(url) => row("llm (OpenAI API)", &format!("{url}  {}: {}", l["state"].as_str().unwrap_or(""), l["detail"].as_str().unwrap_or(""))),
        None => row("llm", &format!("off ({})", l["detail"].as_str().unwrap_or(""))),
    }
    row("endpoints.json", &format!("{}/endpoints.json", e["data_dir"].as_str().unwrap_or("")));
    println!();
    println!("  sign in as a student or an educator on the UI's development sign-in page, or mint a token:");
    println!("    cargo run -- token --email student@examfn.local --role student");
    println!();
}

/// `down`: stop a running `up` on this data dir.
pub async fn down(data: &Path) -> Result<()> {
    let text = std::fs::read_to_string(state_file(data)).with_context(|| format!("no platform is running on {}", data.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    let pid = v["pid"].as_u64().unwrap_or(0) as u32;
    if pid != 0 && procs::alive(pid) {
        procs::terminate(pid);
        eprintln!("asked examfn (pid {pid}) to stop; waiting");
        for _ in 0..600 {
            if !procs::alive(pid) {
                eprintln!("stopped");
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("examfn (pid {pid}) did not stop within 60 s");
    }
    // `up` is gone (killed): stop what it left behind.
    for c in v["children"].as_array().into_iter().flatten().filter_map(|c| c.as_u64()) {
        if procs::alive(c as u32) {
            procs::terminate(c as u32);
        }
    }
    let _ = std::fs::remove_file(state_file(data));
    eprintln!("stopped the processes a previous `up` left behind");
    Ok(())
}

/// `status`: what runs, and whether it is ready.
pub async fn status(data: &Path) -> Result<()> {
    let text = std::fs::read_to_string(data.join("endpoints.json")).with_context(|| format!("no endpoints.json in {}: run `cargo run --release -- up`", data.display()))?;
    let e: serde_json::Value = serde_json::from_str(&text)?;
    let running = std::fs::read_to_string(state_file(data)).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()).and_then(|v| v["pid"].as_u64()).is_some_and(|p| procs::alive(p as u32));
    println!("platform on {}: {}", data.display(), if running { "running" } else { "not running" });
    let http = reqwest::Client::builder().timeout(Duration::from_secs(3)).build()?;
    if let Some(f) = e["functions"].as_object() {
        for (name, v) in f {
            let url = v["readiness"].as_str().unwrap_or("");
            let state = match http.get(url).send().await {
                Ok(r) if r.status().is_success() => "ready".to_string(),
                Ok(r) => format!("not ready ({})", r.text().await.unwrap_or_default()),
                Err(_) => "down".to_string(),
            };
            println!("  {name:<12} {url:<48} {state}");
        }
    }
    for (name, addr) in [("kafka", e["kafka"]["bootstrap"].as_str()), ("smtp", e["smtp"]["address"].as_str())] {
        let up = addr.and_then(|a| a.parse::<std::net::SocketAddr>().ok()).is_some_and(|a| procs::port_in_use(a.port()));
        println!("  {name:<12} {:<48} {}", addr.unwrap_or(""), if up { "listening" } else { "down" });
    }
    let l = &e["llm"];
    if !l.is_null() {
        let asks = running && matches!(l["state"].as_str(), Some("ready" | "starting"));
        let health = match l["health"].as_str() {
            Some(url) if asks => http.get(url).send().await.ok().map(|r| r.status().as_u16()),
            _ => None,
        };
        println!("  {:<12} {:<48} {}", "llm", l["url"].as_str().unwrap_or(""), llm::status_line(l, running, health));
    }
    Ok(())
}

/// `mail`: the messages the local SMTP server received.
pub fn mail(data: &Path, full: bool, last: usize) -> Result<()> {
    let dir = data.join("mail");
    let mut files: Vec<PathBuf> = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            files.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    println!("{} message(s) in {}", files.len(), dir.display());
    for f in files.iter().rev().take(last).rev() {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let (head, body) = text.split_once("\n\n").or_else(|| text.split_once("\r\n\r\n")).unwrap_or((&text, ""));
        let header = |name: &str| {
            head.lines().find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase()))).map(|l| l[name.len() + 1..].trim().to_string()).unwrap_or_default()
        };
        println!("- {} | to {} | {}", header("Date"), header("To"), header("Subject"));
        if full {
            println!("{}\n", body.replace("\r\n", "\n"));
        }
    }
    Ok(())
}
