//! OCR of scanned PDF pages with Debian's tools, run by the extraction
//! child ([`crate::sandbox`]) under its limits: poppler's `pdftoppm`
//! rasterises one page to 8-bit grey (300 dpi, less for pages so large that
//! their longest side would pass [`MAX_SIDE_PX`] pixels), Tesseract reads
//! it (`--psm 3`, one thread: `OMP_THREAD_LIMIT=1`). The PDF goes to
//! `pdftoppm` on stdin and the image to `tesseract` on stdin: nothing is
//! written to disk. Both inherit the child's memory and CPU limits and its
//! process group (killed with it at the wall-clock limit), and each is
//! killed when the extraction's deadline passes.
//!
//! The tools are found on the serving process's `PATH` when exam-gen
//! starts ([`OcrTools::discover`]) and handed to the child by absolute path
//! (the child's environment is otherwise empty).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use examfn_questions::extract::ocr::Ocr;

/// A page is rendered with at most this many pixels on its longest side.
pub const MAX_SIDE_PX: f64 = 4200.0;
/// The resolution pages are rendered at when they are not too large.
pub const DPI: f64 = 300.0;

/// Where the OCR tools are, or why they are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcrTools {
    Found { pdftoppm: PathBuf, tesseract: PathBuf, tessdata: Option<PathBuf> },
    Missing(String),
}

fn on_path(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let path = path.map(std::ffi::OsString::from).unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl OcrTools {
    /// Look for `pdftoppm` and `tesseract` on `PATH` (and Tesseract's
    /// `TESSDATA_PREFIX`, passed on when set).
    pub fn discover() -> Self {
        let path = std::env::var_os("PATH");
        let pdftoppm = on_path("pdftoppm", path.as_deref());
        let tesseract = on_path("tesseract", path.as_deref());
        match (pdftoppm, tesseract) {
            (Some(pdftoppm), Some(tesseract)) => {
                Self::Found { pdftoppm, tesseract, tessdata: std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from) }
            }
            (p, t) => {
                let missing: Vec<&str> = [(p.is_none(), "pdftoppm (Debian: poppler-utils)"), (t.is_none(), "tesseract (Debian: tesseract-ocr)")]
                    .into_iter()
                    .filter_map(|(m, n)| m.then_some(n))
                    .collect();
                Self::Missing(format!("{} not installed", missing.join(" and ")))
            }
        }
    }

    /// The environment that hands these to the extraction child.
    pub fn child_env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        match self {
            Self::Found { pdftoppm, tesseract, tessdata } => {
                let mut v = vec![(ENV_PDFTOPPM, pdftoppm.clone().into_os_string()), (ENV_TESSERACT, tesseract.clone().into_os_string())];
                if let Some(t) = tessdata {
                    v.push(("TESSDATA_PREFIX", t.clone().into_os_string()));
                }
                v
            }
            Self::Missing(why) => vec![(ENV_MISSING, why.into())],
        }
    }
}

pub const ENV_PDFTOPPM: &str = "EXAMFN_OCR_PDFTOPPM";
pub const ENV_TESSERACT: &str = "EXAMFN_OCR_TESSERACT";
pub const ENV_MISSING: &str = "EXAMFN_OCR_MISSING";
pub const ENV_LANG: &str = "EXAMFN_OCR_LANG";

/// The OCR engine inside the extraction child.
pub struct Tesseract {
    pub tools: OcrTools,
    /// Tesseract's language(s): `eng`, `deu+eng`.
    pub lang: String,
    /// No tool runs past this.
    pub deadline: Option<Instant>,
}

impl Tesseract {
    /// From the environment the parent gave the child.
    pub fn from_child_env(deadline: Option<Instant>) -> Self {
        let tools = match (std::env::var_os(ENV_PDFTOPPM), std::env::var_os(ENV_TESSERACT)) {
            (Some(p), Some(t)) => {
                OcrTools::Found { pdftoppm: p.into(), tesseract: t.into(), tessdata: std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from) }
            }
            _ => OcrTools::Missing(std::env::var(ENV_MISSING).unwrap_or_else(|_| "the OCR tools were not found".into())),
        };
        let lang = std::env::var(ENV_LANG).ok().filter(|l| !l.is_empty()).unwrap_or_else(|| examfn_domain::upload::DEFAULT_OCR_LANG.into());
        Self { tools, lang, deadline }
    }

    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_clear().env("OMP_THREAD_LIMIT", "1").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if let OcrTools::Found { tessdata: Some(t), .. } = &self.tools {
            c.env("TESSDATA_PREFIX", t);
        }
        c
    }

    /// Run `cmd` with `input` on stdin; its stdout, or why not.
    fn run(&self, mut cmd: Command, input: &[u8], what: &str) -> Result<Vec<u8>, String> {
        let mut child = cmd.spawn().map_err(|e| format!("{what} could not be started: {e}"))?;
        let mut stdin = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        std::thread::scope(|s| {
            s.spawn(move || {
                let _ = stdin.write_all(input);
            });
            let out = s.spawn(move || {
                let mut v = Vec::new();
                let _ = stdout.read_to_end(&mut v);
                v
            });
            let err = s.spawn(move || {
                let mut v = Vec::new();
                let _ = stderr.read_to_end(&mut v);
                v
            });
            let status = loop {
                match child.try_wait() {
                    Ok(Some(st)) => break Ok(st),
                    Ok(None) => {}
                    Err(e) => break Err(format!("{what}: {e}")),
                }
                if self.deadline.is_some_and(|d| Instant::now() >= d) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(format!("{what} was stopped at the time limit (PDF_EXTRACT_TIMEOUT_MS)"));
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            let out = out.join().unwrap_or_default();
            let err = err.join().unwrap_or_default();
            let status = status?;
            if status.success() {
                return Ok(out);
            }
            use std::os::unix::process::ExitStatusExt;
            let last = String::from_utf8_lossy(&err).lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").chars().take(200).collect::<String>();
            let how = match status.signal() {
                Some(sig) => format!("was stopped by signal {sig} (out of memory or CPU time under the extraction limits?)"),
                None => format!("failed ({status})"),
            };
            Err(if last.is_empty() { format!("{what} {how}") } else { format!("{what} {how}: {last}") })
        })
    }
}

impl Ocr for Tesseract {
    fn check(&self) -> Result<(), String> {
        let OcrTools::Found { tesseract, .. } = &self.tools else {
            let OcrTools::Missing(why) = &self.tools else { unreachable!() };
            return Err(why.clone());
        };
        let mut list = self.command(tesseract);
        list.arg("--list-langs");
        let out = self.run(list, b"", "tesseract --list-langs")?;
        let installed: Vec<String> = String::from_utf8_lossy(&out).lines().skip(1).map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
        let missing: Vec<&str> = self.lang.split('+').filter(|l| !installed.iter().any(|i| i == l)).collect();
        if !missing.is_empty() {
            return Err(format!(
                "the OCR language {} is not installed (installed: {}; Debian: tesseract-ocr-{})",
                missing.join(", "),
                installed.iter().filter(|l| *l != "osd").cloned().collect::<Vec<_>>().join(", "),
                missing[0].replace('_', "-")
            ));
        }
        Ok(())
    }

    fn read_page(&self, pdf: &[u8], page: usize, size_pt: (f64, f64)) -> Result<String, String> {
        let OcrTools::Found { pdftoppm, tesseract, .. } = &self.tools else { return Err("OCR tools missing".into()) };
        let side = size_pt.0.max(size_pt.1).max(1.0);
        let dpi = (MAX_SIDE_PX * 72.0 / side).min(DPI).max(20.0).floor();
        let mut render = self.command(pdftoppm);
        render.args(["-f", &page.to_string(), "-l", &page.to_string(), "-r", &dpi.to_string(), "-gray", "-"]);
        let image = self.run(render, pdf, "pdftoppm")?;
        if image.is_empty() {
            return Err("pdftoppm rendered nothing".into());
        }
        let mut read = self.command(tesseract);
        read.args(["stdin", "stdout", "-l", &self.lang, "--dpi", &dpi.to_string(), "--psm", "3"]);
        let text = self.run(read, &image, "tesseract")?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}

/// A scan of `pdf`: its pages rasterised by `pdftoppm` at `dpi` in grey and
/// written back as a PDF of images only, without a text layer (what a
/// scanner gives). For tests and the benchmark.
pub fn scan_of(pdftoppm: &Path, pdf: &[u8], dpi: u32) -> Result<Vec<u8>, String> {
    let mut c = Command::new(pdftoppm);
    c.args(["-r", &dpi.to_string(), "-gray", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = c.spawn().map_err(|e| format!("pdftoppm: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = pdf.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = Vec::new();
    child.stdout.take().expect("piped").read_to_end(&mut out).map_err(|e| e.to_string())?;
    let _ = writer.join();
    if !child.wait().map_err(|e| e.to_string())?.success() {
        return Err("pdftoppm failed".into());
    }
    // Concatenated binary PGMs: `P5 <w> <h> <max>\n<w*h bytes>`.
    let mut pages = Vec::new();
    let mut rest = out.as_slice();
    while !rest.is_empty() {
        let mut fields = Vec::new();
        let mut i = 2;
        while fields.len() < 3 {
            while rest.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            let start = i;
            while rest.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            fields.push(std::str::from_utf8(&rest[start..i]).ok().and_then(|f| f.parse::<usize>().ok()).ok_or("not a PGM")?);
        }
        i += 1;
        let (w, h) = (fields[0], fields[1]);
        let data = rest.get(i..i + w * h).ok_or("a short PGM")?;
        pages.push((w as u32, h as u32, data.to_vec()));
        rest = &rest[i + w * h..];
    }
    Ok(examfn_questions::extract::ocr::write_image_pdf(&pages))
}
