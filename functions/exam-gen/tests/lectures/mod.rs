//! Lectures in every format for the tests, and the OCR tools they need:
//! installed from Debian when missing (as root, once per machine), or the
//! reason they cannot be. Shared by `tests/hostile_lectures.rs` and
//! `tests/formats_pipeline.rs`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use examfn_exam_gen::ocr::OcrTools;
use examfn_questions::extract::pdf::write_text_pdf;
use examfn_questions::extract::samples;

/// The Debian packages OCR needs.
pub const OCR_PACKAGES: &[&str] = &["tesseract-ocr", "tesseract-ocr-eng", "poppler-utils"];

/// `pdftoppm` and `tesseract`, installed with apt-get when missing; the
/// reason when they cannot be (not root, no apt-get, no network).
pub fn ocr_tools() -> Result<PathBuf, String> {
    static TOOLS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            if let OcrTools::Found { pdftoppm, .. } = OcrTools::discover() {
                return Ok(pdftoppm);
            }
            // One install at a time on the machine (test binaries run side by side).
            let lock = std::fs::File::create(std::env::temp_dir().join("examfn-ocr-install.lock")).map_err(|e| e.to_string())?;
            // SAFETY: flock on an open descriptor; released when `lock` is dropped.
            unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) };
            if let OcrTools::Found { pdftoppm, .. } = OcrTools::discover() {
                return Ok(pdftoppm);
            }
            eprintln!("OCR tools missing: apt-get install -y {}", OCR_PACKAGES.join(" "));
            let install = || Command::new("apt-get").args(["install", "-y", "-q"]).args(OCR_PACKAGES).env("DEBIAN_FRONTEND", "noninteractive").status();
            let ok = install().is_ok_and(|s| s.success())
                || (Command::new("apt-get").args(["update", "-q"]).status().is_ok_and(|s| s.success()) && install().is_ok_and(|s| s.success()));
            match OcrTools::discover() {
                OcrTools::Found { pdftoppm, .. } => Ok(pdftoppm),
                OcrTools::Missing(why) => {
                    let why = format!("{why}; apt-get install {} {}", OCR_PACKAGES.join(" "), if ok { "did not provide them" } else { "failed (not root, or no package registry)" });
                    eprintln!("OCR unavailable: {why}");
                    Err(why)
                }
            }
        })
        .clone()
}

/// A two-page handout in a text PDF, to be scanned.
pub fn handout_pdf() -> Vec<u8> {
    let pages: Vec<Vec<String>> = vec![
        vec![
            "Plate Tectonics".into(),
            "The lithosphere is the rigid outer layer of the Earth.".into(),
            "A tectonic plate is a large slab of the lithosphere that moves slowly.".into(),
            "The mantle is the layer of hot rock beneath the crust.".into(),
            "Convection currents in the mantle move the plates.".into(),
            "Alfred Wegener proposed the theory of continental drift in 1912.".into(),
        ],
        vec![
            "Earthquakes and Volcanoes".into(),
            "An earthquake is the sudden shaking of the ground when rocks break along a fault.".into(),
            "A fault is a crack in the crust along which rocks have moved.".into(),
            "The Pacific Ring of Fire holds about 75% of the active volcanoes on Earth.".into(),
            "Magma is molten rock that forms beneath the surface of the Earth.".into(),
            "The Richter scale measures the energy that an earthquake releases.".into(),
        ],
    ];
    write_text_pdf(&pages)
}

/// The handout scanned at 200 dpi (pages of images, no text layer).
pub fn scanned_handout(pdftoppm: &std::path::Path) -> Vec<u8> {
    examfn_exam_gen::ocr::scan_of(pdftoppm, &handout_pdf(), 200).expect("rasterise the handout")
}

/// Every format but PDF: `(extension, bytes)` of the same kinds of lecture.
pub fn office_lectures() -> Vec<(&'static str, Vec<u8>)> {
    let slides = samples::cell_biology_slides();
    let doc = samples::water_cycle_document();
    vec![
        ("pptx", samples::pptx(&slides)),
        ("odp", samples::odp(&slides)),
        ("docx", samples::docx(&doc)),
        ("odt", samples::odt(&doc)),
        ("md", samples::markdown(&doc).into_bytes()),
        ("html", samples::html("The Water Cycle", &doc).into_bytes()),
    ]
}
