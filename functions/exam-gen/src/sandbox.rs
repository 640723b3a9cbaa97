//! Lecture text extraction in a child process, under memory, CPU and
//! wall-clock limits — every format ([`examfn_questions::extract`]), and the
//! OCR of scanned PDF pages ([`crate::ocr`]).
//!
//! The parsers (pdf-extract on lopdf, zip and quick-xml, pulldown-cmark, an
//! HTML tokenizer; poppler and Tesseract for scans) read bytes an uploader
//! chose. On a hostile file they can allocate without bound (a FlateDecode
//! stream or a zip entry that inflates to gigabytes, an enormous image),
//! recurse until the stack overflows (deeply nested arrays), loop, or panic.
//! None of that may take the function down or leak a busy thread, so
//! extraction never runs in the serving process:
//!
//! * the same executable is started again (`current_exe` with the same
//!   arguments, so both the thin `exam-gen` binary and `examfn run exam-gen`
//!   work) with [`CHILD_ENV`] set and an otherwise **empty environment** (no
//!   credentials reach the code that parses untrusted bytes);
//!   The format, the OCR language and the OCR tools' paths go with it
//!   (`EXAMFN_EXTRACT_FORMAT`, `EXAMFN_OCR_LANG`, `EXAMFN_OCR_*`);
//! * before `exec`, the child gets `RLIMIT_AS` = [`PdfLimits::max_memory_mb`],
//!   `RLIMIT_CPU` = the timeout rounded up (+1 s) and `RLIMIT_CORE` = 0, and
//!   a process group of its own: the OCR tools it starts inherit the limits
//!   (each its own) and the group;
//! * the file goes in on stdin, one JSON reply comes back on stdout;
//! * the child stops starting OCR pages a little before the limit and
//!   replies with what it read ([`examfn_questions::extract::Options::deadline`]);
//! * after [`PdfLimits::timeout`] of wall-clock time the whole group is killed.
//!
//! Every way the child can end maps to an [`ExtractError`]; all but
//! [`ExtractError::Spawn`] are the PDF's fault (permanent: the upload ends
//! `failed` with the reason, no retry).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use examfn_questions::extract::pdf::PdfError;
use examfn_questions::extract::{self as lecture, Format, Text};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// Set (to `1`) in the environment of the extraction child; the entry point
/// ([`crate::main`]) turns into [`child_main`] when it sees it.
pub const CHILD_ENV: &str = "EXAMFN_PDF_EXTRACT_CHILD";

/// Most stderr kept from a child (its last words name the failure).
const STDERR_KEEP: usize = 16 * 1024;

/// The limits one extraction runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfLimits {
    /// Wall-clock time; the CPU limit is this rounded up to seconds, +1 s.
    pub timeout: Duration,
    /// Address space of the child (`RLIMIT_AS`), MiB.
    pub max_memory_mb: u64,
}

impl PdfLimits {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_MAX_MEMORY_MB: u64 = 1024;
    /// Below this the executable itself may not load.
    pub const MIN_MEMORY_MB: u64 = 64;

    fn cpu_seconds(&self) -> u64 {
        self.timeout.as_millis().div_ceil(1000) as u64 + 1
    }
}

impl Default for PdfLimits {
    fn default() -> Self {
        Self { timeout: Self::DEFAULT_TIMEOUT, max_memory_mb: Self::DEFAULT_MAX_MEMORY_MB }
    }
}

/// Why an extraction gave no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The PDF parser's own verdict (not a PDF, truncated, encrypted, no text…).
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// Another reader's verdict (a corrupt, encrypted or bomb Office file,
    /// OCR unavailable, …).
    #[error(transparent)]
    File(lecture::ExtractError),
    #[error("reading the lecture took longer than {0} ms and was stopped")]
    Timeout(u64),
    #[error("reading the lecture needed more than {0} MB of memory and was stopped")]
    Memory(u64),
    #[error("reading the lecture used more than {0} s of CPU time and was stopped")]
    Cpu(u64),
    #[error("the lecture reader crashed on this file ({0})")]
    Crashed(String),
    /// Not the file's fault: the child could not be started (retry).
    #[error("the lecture reader could not be started: {0}")]
    Spawn(String),
}

impl ExtractError {
    /// True when the file is to blame (the upload ends `failed`).
    pub fn is_permanent(&self) -> bool {
        !matches!(self, ExtractError::Spawn(_))
    }
}

impl From<lecture::ExtractError> for ExtractError {
    fn from(e: lecture::ExtractError) -> Self {
        match e {
            lecture::ExtractError::Pdf(p) => Self::Pdf(p),
            other => Self::File(other),
        }
    }
}

/// The child's one reply on stdout.
#[derive(Debug, Serialize, Deserialize)]
enum Reply {
    Text(Text),
    Error(lecture::ExtractError),
}

/// The child's environment: the format read.
const ENV_FORMAT: &str = "EXAMFN_EXTRACT_FORMAT";
/// The child's environment: by when, in ms from its start, OCR must be done.
const ENV_DEADLINE_MS: &str = "EXAMFN_EXTRACT_DEADLINE_MS";

/// Runs [`lecture::extract_with`] in a child process under [`PdfLimits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfExtractor {
    pub limits: PdfLimits,
    /// The executable started as the child; it must call [`crate::main`]
    /// (directly or through `examfn run exam-gen`) with `args`.
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The OCR tools for scanned pages (found on `PATH` when this is made).
    pub ocr: crate::ocr::OcrTools,
}

impl PdfExtractor {
    /// The running executable with its own arguments: what `exam-gen` and
    /// `examfn run exam-gen` use.
    pub fn current_process(limits: PdfLimits) -> std::io::Result<Self> {
        let ocr = crate::ocr::OcrTools::discover();
        match &ocr {
            crate::ocr::OcrTools::Found { tesseract, .. } => tracing::info!(tesseract = %tesseract.display(), "OCR available for scanned PDFs"),
            crate::ocr::OcrTools::Missing(why) => tracing::warn!(
                reason = %why,
                "OCR unavailable: scanned PDFs end failed with \"OCR unavailable: …\" (apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils)"
            ),
        }
        Ok(Self { limits, program: std::env::current_exe()?, args: std::env::args_os().skip(1).collect(), ocr })
    }

    /// Another executable (tests use the `exam-gen` binary cargo built).
    pub fn with_program(limits: PdfLimits, program: impl Into<PathBuf>, args: Vec<OsString>) -> Self {
        Self { limits, program: program.into(), args, ocr: crate::ocr::OcrTools::discover() }
    }

    /// Extract the text of `pdf` in a child process (scanned pages by OCR in English).
    pub async fn extract(&self, pdf: Vec<u8>) -> Result<Text, ExtractError> {
        self.extract_as(pdf, Format::Pdf, examfn_domain::upload::DEFAULT_OCR_LANG).await
    }

    /// Extract the text of `bytes`, a `format` file, in a child process;
    /// scanned PDF pages are read by OCR in `lang` (checked by
    /// [`examfn_domain::upload::ocr_lang`]).
    pub async fn extract_as(&self, bytes: Vec<u8>, format: Format, lang: &str) -> Result<Text, ExtractError> {
        if std::env::var_os(CHILD_ENV).is_some() {
            // A child never starts another one (a mis-set program cannot fork-bomb).
            return Err(ExtractError::Spawn("already inside an extraction child".into()));
        }
        let limits = self.limits;
        let mem_bytes = limits.max_memory_mb.saturating_mul(1024 * 1024);
        let cpu = limits.cpu_seconds();
        // OCR stops starting pages this long before the wall-clock limit, so
        // the child replies with what it read.
        let timeout_ms = limits.timeout.as_millis() as u64;
        let deadline_ms = timeout_ms.saturating_sub((timeout_ms / 8).clamp(200, 3000));
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.args)
            .env_clear()
            .env(CHILD_ENV, "1")
            .env("RUST_BACKTRACE", "0")
            .env(ENV_FORMAT, format.extension())
            .env(ENV_DEADLINE_MS, deadline_ms.to_string())
            .env(crate::ocr::ENV_LANG, lang)
            .envs(self.ocr.child_env())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                set_limit(libc::RLIMIT_AS, mem_bytes, mem_bytes)?;
                set_limit(libc::RLIMIT_CPU, cpu, cpu + 1)?;
                set_limit(libc::RLIMIT_CORE, 0, 0)?;
                // A group of its own: the OCR tools it starts die with it.
                if libc::setpgid(0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| ExtractError::Spawn(format!("{}: {e}", self.program.display())))?;
        let group = child.id().map(|p| p as libc::pid_t);
        let mut stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let run = async {
            let write = async move {
                // A child that dies early closes the pipe: its status tells why.
                let _ = stdin.write_all(&bytes).await;
                drop(stdin);
            };
            let (_, out, err, status) =
                tokio::join!(write, read_capped(stdout, mem_bytes as usize), read_tail(stderr), child.wait());
            (out, err, status)
        };
        let (out, err, status) = match tokio::time::timeout(limits.timeout, run).await {
            Ok(r) => r,
            Err(_) => {
                kill_group(group);
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(ExtractError::Timeout(limits.timeout.as_millis() as u64));
            }
        };
        // Whatever it started and left behind goes with it.
        kill_group(group);
        let status = status.map_err(|e| ExtractError::Crashed(format!("waiting for it: {e}")))?;
        verdict(status, &out, &err, limits)
    }
}

/// SIGKILL to the child's process group (its OCR tools).
fn kill_group(group: Option<libc::pid_t>) {
    if let Some(g) = group.filter(|g| *g > 1) {
        // SAFETY: a plain syscall; the group is the child's own (setpgid in pre_exec).
        unsafe {
            libc::kill(-g, libc::SIGKILL);
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type Resource = libc::c_int;

fn set_limit(resource: Resource, soft: u64, hard: u64) -> std::io::Result<()> {
    let lim = libc::rlimit { rlim_cur: soft as libc::rlim_t, rlim_max: hard as libc::rlim_t };
    // SAFETY: a plain syscall on a valid struct.
    if unsafe { libc::setrlimit(resource, &lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// All of `r`, but no more than `cap` bytes (the rest is drained).
async fn read_capped(mut r: impl AsyncRead + Unpin, cap: usize) -> Result<Vec<u8>, usize> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                total += n;
                if total <= cap {
                    out.extend_from_slice(&buf[..n]);
                }
            }
        }
    }
    if total > cap {
        Err(total)
    } else {
        Ok(out)
    }
}

/// The last [`STDERR_KEEP`] bytes of `r`.
async fn read_tail(mut r: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() > 2 * STDERR_KEEP {
                    out.drain(..out.len() - STDERR_KEEP);
                }
            }
        }
    }
    out
}

fn last_line(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr);
    let line = s.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    line.chars().take(200).collect()
}

fn verdict(
    status: ExitStatus,
    out: &Result<Vec<u8>, usize>,
    err: &[u8],
    limits: PdfLimits,
) -> Result<Text, ExtractError> {
    use std::os::unix::process::ExitStatusExt;
    let stderr = String::from_utf8_lossy(err);
    if let Some(sig) = status.signal() {
        if sig == libc::SIGXCPU || (sig == libc::SIGKILL && !stderr.contains("memory allocation")) {
            return Err(ExtractError::Cpu(limits.cpu_seconds() - 1));
        }
        if stderr.contains("memory allocation of") || stderr.contains("out of memory") {
            return Err(ExtractError::Memory(limits.max_memory_mb));
        }
        if stderr.contains("overflowed its stack") {
            return Err(ExtractError::Crashed("too deeply nested: the reader ran out of stack".into()));
        }
        let line = last_line(err);
        return Err(ExtractError::Crashed(if line.is_empty() {
            format!("signal {sig}")
        } else {
            format!("signal {sig}: {line}")
        }));
    }
    if !status.success() {
        return Err(ExtractError::Crashed(format!("{status}: {}", last_line(err))));
    }
    let out = match out {
        Ok(o) => o,
        Err(n) => return Err(ExtractError::Memory(((*n as u64) >> 20).max(limits.max_memory_mb))),
    };
    match serde_json::from_slice::<Reply>(out) {
        Ok(Reply::Text(t)) => Ok(t),
        Ok(Reply::Error(e)) => Err(e.into()),
        Err(e) => Err(ExtractError::Crashed(format!("unreadable reply ({e})"))),
    }
}

/// The child: the file on stdin, one [`Reply`] on stdout, exit 0. Any other
/// end (a signal, an abort on allocation failure, a stack overflow) is read
/// by the parent from the exit status and stderr.
pub fn child_main() -> ! {
    let started = std::time::Instant::now();
    let format = std::env::var(ENV_FORMAT).ok().and_then(|f| Format::from_extension(&f)).unwrap_or(Format::Pdf);
    let deadline = std::env::var(ENV_DEADLINE_MS).ok().and_then(|ms| ms.parse().ok()).map(|ms| started + Duration::from_millis(ms));
    let mut bytes = Vec::new();
    let limit = crate::MAX_PDF_BYTES as u64 + 1;
    let reply = match std::io::stdin().lock().take(limit).read_to_end(&mut bytes) {
        Err(e) => Reply::Error(PdfError::Unreadable(format!("reading the upload: {e}")).into()),
        Ok(_) => {
            let ocr = crate::ocr::Tesseract::from_child_env(deadline);
            let opts = lecture::Options { ocr: Some(&ocr), deadline };
            match lecture::extract_with(&bytes, format, &opts) {
                Ok(t) => Reply::Text(t),
                Err(e) => Reply::Error(e),
            }
        }
    };
    drop(bytes);
    let mut out = std::io::stdout().lock();
    let code = match serde_json::to_writer(&mut out, &reply).map_err(std::io::Error::from).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(_) => 2,
    };
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_round_up_the_cpu_time() {
        let l = PdfLimits { timeout: Duration::from_millis(1500), max_memory_mb: 100 };
        assert_eq!(l.cpu_seconds(), 3);
        assert_eq!(PdfLimits::default().cpu_seconds(), 31);
    }

    #[test]
    fn replies_round_trip() {
        let r = serde_json::to_vec(&Reply::Error(PdfError::NoText { pages: 3 }.into())).unwrap();
        match serde_json::from_slice::<Reply>(&r).unwrap() {
            Reply::Error(lecture::ExtractError::Pdf(PdfError::NoText { pages: 3 })) => {}
            other => panic!("{other:?}"),
        }
        let e = ExtractError::from(lecture::ExtractError::Pdf(PdfError::NotPdf));
        assert_eq!(e, ExtractError::Pdf(PdfError::NotPdf), "a PDF's verdict reads as before");
    }

    #[test]
    fn only_spawn_failures_are_retried() {
        assert!(!ExtractError::Spawn("x".into()).is_permanent());
        assert!(ExtractError::Timeout(1).is_permanent());
        assert!(ExtractError::Memory(1).is_permanent());
        assert!(ExtractError::Pdf(PdfError::NotPdf).is_permanent());
    }
}
