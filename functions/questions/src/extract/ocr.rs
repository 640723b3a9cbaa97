//! Scanned PDFs: pages without a text layer that draw an image are read by
//! an OCR engine ([`Ocr`]; exam-gen's runs Tesseract on pages rasterised by
//! poppler's `pdftoppm`, in its extraction child). The text found goes
//! through the same cleaning as a text layer's (hyphenation, headers and
//! footers, paragraphs).
//!
//! A page is a scan when its text layer has fewer than [`SCAN_WORDS`] words
//! and it draws an image (an image XObject, directly or in a form). A PDF
//! with text on every page never starts the engine. Without an engine, or
//! when it cannot run, a PDF of scans only fails with "OCR unavailable: …";
//! a PDF with some text pages is read from those, and the text says which
//! pages were left out. OCR starts no page it cannot finish before the
//! deadline (estimated from the slowest page so far): what it read by then
//! is kept, and the rest is named in the notes.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use pdf_extract::{Document, Object, ObjectId};

use super::pdf::{self, PdfError};
use super::pptx::list;
use super::{ExtractError, Format, Options, Text};

/// A page whose text layer has fewer words than this is a scan (when it
/// draws an image): a scanner's own footer (`Scanned by …`) is no text layer.
pub const SCAN_WORDS: usize = 5;

/// An OCR engine.
pub trait Ocr {
    /// Whether it can run now; the reason when not (a tool or the language
    /// is not installed).
    fn check(&self) -> Result<(), String>;
    /// The text of page `page` (1-based) of `pdf`, whose size is `size_pt`
    /// (width, height in points).
    fn read_page(&self, pdf: &[u8], page: usize, size_pt: (f64, f64)) -> Result<String, String>;
}

/// A PDF's text, its scanned pages read by `opts.ocr`.
pub fn pdf_with_ocr(bytes: &[u8], opts: &Options<'_>) -> Result<Text, ExtractError> {
    let mut raw = pdf::extract_raw_pages(bytes)?;
    let empty: Vec<usize> = (0..raw.len()).filter(|&i| raw[i].split_whitespace().count() < SCAN_WORDS).collect();
    let scans: Vec<(usize, (f64, f64))> = if empty.is_empty() { Vec::new() } else { scanned_pages(bytes, &empty) };
    let mut text = Text { format: Format::Pdf, ..Text::default() };
    if scans.is_empty() {
        text.pages = pdf::clean_pages(&raw);
        if text.pages.iter().all(|p| p.trim().is_empty()) {
            return Err(PdfError::NoText { pages: text.pages.len() }.into());
        }
        return Ok(text);
    }
    let has_text = raw.iter().any(|p| p.split_whitespace().count() >= SCAN_WORDS);
    let numbers: Vec<usize> = scans.iter().map(|(p, _)| *p).collect();
    let engine = match opts.ocr {
        None => Err("no OCR engine is configured".to_string()),
        Some(o) => o.check().map(|()| o),
    };
    let engine = match engine {
        Ok(e) => e,
        Err(why) if !has_text => return Err(ExtractError::OcrUnavailable { pages: scans.len(), why }),
        Err(why) => {
            text.notes.push(format!("OCR unavailable: {why}; scanned page(s) {} left out", list(&numbers)));
            text.pages = pdf::clean_pages(&raw);
            return Ok(text);
        }
    };
    let mut slowest = Duration::ZERO;
    let mut failed: Vec<(usize, String)> = Vec::new();
    let mut stopped: Vec<usize> = Vec::new();
    for (page, size) in &scans {
        if let Some(d) = opts.deadline {
            if !stopped.is_empty() || Instant::now() + slowest.mul_f32(1.2) > d {
                stopped.push(*page);
                continue;
            }
        }
        let t = Instant::now();
        match engine.read_page(bytes, *page, *size) {
            Ok(s) => {
                raw[page - 1] = s;
                text.ocr_pages.push(*page);
            }
            Err(e) => failed.push((*page, e)),
        }
        slowest = slowest.max(t.elapsed());
    }
    if text.ocr_pages.is_empty() && !has_text {
        if let Some((page, why)) = failed.first() {
            return Err(ExtractError::Ocr(format!("page {page}: {why}")));
        }
        return Err(ExtractError::Ocr(format!(
            "the time limit ran out before the first of {} scanned page(s) was read (PDF_EXTRACT_TIMEOUT_MS)",
            scans.len()
        )));
    }
    if !failed.is_empty() {
        let pages: Vec<usize> = failed.iter().map(|(p, _)| *p).collect();
        text.notes.push(format!("OCR could not read page(s) {} ({})", list(&pages), failed[0].1));
    }
    if !stopped.is_empty() {
        text.notes.push(format!(
            "OCR read {} of {} scanned pages before the time limit; page(s) {} left out",
            text.ocr_pages.len(),
            scans.len(),
            list(&stopped)
        ));
    }
    text.pages = pdf::clean_pages(&raw);
    if text.pages.iter().all(|p| p.trim().is_empty()) {
        return Err(ExtractError::Ocr(format!("no text was found on the {} scanned page(s)", text.ocr_pages.len())));
    }
    Ok(text)
}

/// Of the pages `candidates` (0-based), those that draw an image: 1-based
/// numbers and sizes in points.
fn scanned_pages(bytes: &[u8], candidates: &[usize]) -> Vec<(usize, (f64, f64))> {
    let found = catch_unwind(AssertUnwindSafe(|| -> Option<Vec<(usize, (f64, f64))>> {
        let mut doc = Document::load_mem(bytes).ok()?;
        if doc.is_encrypted() {
            doc.decrypt("").ok()?;
        }
        let pages = doc.get_pages();
        let want: BTreeSet<usize> = candidates.iter().copied().collect();
        let mut out = Vec::new();
        for (i, id) in pages.values().enumerate() {
            if want.contains(&i) && draws_image(&doc, *id) {
                out.push((i + 1, page_size(&doc, *id)));
            }
        }
        Some(out)
    }));
    found.ok().flatten().unwrap_or_default()
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    doc.dereference(o).ok().map(|(_, o)| o)
}

/// A page attribute, inherited from the page tree (at most 32 levels up).
fn inherited<'a>(doc: &'a Document, page: ObjectId, key: &[u8]) -> Option<&'a Object> {
    let mut id = page;
    for _ in 0..32 {
        let d = doc.get_dictionary(id).ok()?;
        if let Ok(v) = d.get(key) {
            return deref(doc, v);
        }
        id = d.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

fn draws_image(doc: &Document, page: ObjectId) -> bool {
    inherited(doc, page, b"Resources").is_some_and(|r| resources_have_image(doc, r, 0))
}

fn resources_have_image(doc: &Document, resources: &Object, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    let Ok(res) = resources.as_dict() else { return false };
    let Some(Ok(xobjects)) = res.get(b"XObject").ok().and_then(|x| deref(doc, x)).map(Object::as_dict) else { return false };
    xobjects.iter().any(|(_, x)| {
        let Some(Ok(stream)) = deref(doc, x).map(Object::as_stream) else { return false };
        match stream.dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok()) {
            Some(b"Image") => true,
            Some(b"Form") => stream.dict.get(b"Resources").ok().and_then(|r| deref(doc, r)).is_some_and(|r| resources_have_image(doc, r, depth + 1)),
            _ => false,
        }
    })
}

fn page_size(doc: &Document, page: ObjectId) -> (f64, f64) {
    let num = |o: &Object| o.as_float().ok().map(f64::from).or_else(|| o.as_i64().ok().map(|i| i as f64));
    inherited(doc, page, b"MediaBox")
        .and_then(|b| b.as_array().ok())
        .and_then(|a| {
            let v: Vec<f64> = a.iter().filter_map(|o| deref(doc, o).and_then(num)).collect();
            (v.len() == 4).then(|| ((v[2] - v[0]).abs(), (v[3] - v[1]).abs()))
        })
        .filter(|(w, h)| w.is_finite() && h.is_finite() && *w > 1.0 && *h > 1.0)
        .unwrap_or((612.0, 792.0))
}

/// A PDF of pages that are images only, as a scanner writes them: per page
/// `(width px, height px, 8-bit grey samples)`, deflated, each drawn over a
/// US Letter page. For tests and the benchmark (a scan made from
/// rasterised pages).
pub fn write_image_pdf(pages: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![Vec::new(), Vec::new()];
    let mut kids = Vec::new();
    for (w, h, samples) in pages {
        let img = objects.len() + 1;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, samples).expect("deflate in memory");
        let data = z.finish().expect("deflate in memory");
        let mut s = format!(
            "<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length {} >>\nstream\n",
            data.len()
        )
        .into_bytes();
        s.extend_from_slice(&data);
        s.extend_from_slice(b"\nendstream");
        objects.push(s);
        let content = b"q 612 0 0 792 0 0 cm /Im0 Do Q".to_vec();
        let mut c = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        c.extend_from_slice(&content);
        c.extend_from_slice(b"\nendstream");
        objects.push(c);
        let page = objects.len() + 1;
        kids.push(format!("{page} 0 R"));
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 {img} 0 R >> >> /Contents {} 0 R >>",
                img + 1
            )
            .into_bytes(),
        );
    }
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>".to_vec();
    objects[1] = format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), kids.len()).into_bytes();
    pdf::assemble_pdf(&objects, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    struct Fake {
        ready: Result<(), String>,
        calls: RefCell<Vec<usize>>,
        delay: Duration,
    }
    impl Ocr for Fake {
        fn check(&self) -> Result<(), String> {
            self.ready.clone()
        }
        fn read_page(&self, _pdf: &[u8], page: usize, size: (f64, f64)) -> Result<String, String> {
            assert_eq!(size, (612.0, 792.0));
            std::thread::sleep(self.delay);
            self.calls.borrow_mut().push(page);
            Ok(format!("Scanned page {page} says that the mitochondrion releases energy from glucose.\n"))
        }
    }
    fn fake(ready: Result<(), String>, delay: Duration) -> Fake {
        Fake { ready, calls: RefCell::new(Vec::new()), delay }
    }
    fn blank(n: usize) -> Vec<(u32, u32, Vec<u8>)> {
        (0..n).map(|_| (8, 8, vec![255u8; 64])).collect()
    }

    #[test]
    fn scanned_pages_go_to_the_engine_and_text_pages_do_not() {
        let scan = write_image_pdf(&blank(2));
        let o = fake(Ok(()), Duration::ZERO);
        let t = pdf_with_ocr(&scan, &Options { ocr: Some(&o), deadline: None }).unwrap();
        assert_eq!(t.ocr_pages, vec![1, 2]);
        assert!(t.pages[1].contains("Scanned page 2 says"), "{:?}", t.pages);
        let text = pdf::write_text_pdf(&[vec!["Cells divide by mitosis in the body.".into()]]);
        let t = pdf_with_ocr(&text, &Options { ocr: Some(&o), deadline: None }).unwrap();
        assert!(t.ocr_pages.is_empty());
        assert_eq!(o.calls.borrow().len(), 2, "the text PDF never reached the engine");
        // A page without text and without an image is no scan: no text, as before.
        let empty = pdf::write_text_pdf(&[vec![], vec![]]);
        assert_eq!(pdf_with_ocr(&empty, &Options { ocr: Some(&o), deadline: None }), Err(PdfError::NoText { pages: 2 }.into()));
    }

    #[test]
    fn without_an_engine_scans_fail_with_the_reason() {
        let scan = write_image_pdf(&blank(3));
        let o = fake(Err("tesseract is not installed".into()), Duration::ZERO);
        let e = pdf_with_ocr(&scan, &Options { ocr: Some(&o), deadline: None }).unwrap_err();
        assert_eq!(e.to_string(), "OCR unavailable: tesseract is not installed; the PDF's 3 scanned page(s) have no text layer to read instead");
        let e = pdf_with_ocr(&scan, &Options::default()).unwrap_err();
        assert!(e.to_string().starts_with("OCR unavailable: no OCR engine"), "{e}");
    }

    #[test]
    fn the_deadline_keeps_what_was_read() {
        let scan = write_image_pdf(&blank(6));
        let o = fake(Ok(()), Duration::from_millis(60));
        let deadline = Some(Instant::now() + Duration::from_millis(200));
        let t = pdf_with_ocr(&scan, &Options { ocr: Some(&o), deadline }).unwrap();
        assert!((1..6).contains(&t.ocr_pages.len()), "{:?}", t.ocr_pages);
        assert!(t.notes[0].contains("before the time limit"), "{:?}", t.notes);
    }
}
