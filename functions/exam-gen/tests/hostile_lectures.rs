//! Hostile lectures of every format through the extraction child (the
//! `exam-gen` binary, as the function starts it) under small limits: each
//! ends with a reason the educator can act on, within the limits; and
//! scanned PDFs are read by OCR in the same child. No servers needed.

mod lectures;

use std::time::{Duration, Instant};

use examfn_exam_gen::{ExtractError, PdfExtractor, PdfLimits};
use examfn_questions::extract::samples::{self, zip_parts, Slide};
use examfn_questions::extract::Format;

const LIMITS: PdfLimits = PdfLimits { timeout: Duration::from_secs(8), max_memory_mb: 256 };

fn extractor(limits: PdfLimits) -> PdfExtractor {
    PdfExtractor::with_program(limits, env!("CARGO_BIN_EXE_exam-gen"), Vec::new())
}

/// A deck whose presentation part inflates to `mb` MiB of spaces.
fn zip_bomb(mb: usize) -> Vec<u8> {
    let mut xml = br#"<?xml version="1.0"?><p:presentation xmlns:p="p">"#.to_vec();
    xml.resize(mb << 20, b' ');
    xml.extend_from_slice(b"</p:presentation>");
    zip_parts(&[("ppt/presentation.xml".into(), xml)])
}

fn with_content(mime: &str, content: String) -> Vec<u8> {
    zip_parts(&[("mimetype".into(), mime.as_bytes().to_vec()), ("content.xml".into(), content.into_bytes())])
}

/// `(name, format, bytes, what the reason must say)`.
fn corpus() -> Vec<(&'static str, Format, Vec<u8>, &'static str)> {
    let deck = samples::pptx(&samples::cell_biology_slides());
    let odt = samples::odt(&samples::water_cycle_document());
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    let mut encrypted = ole.clone();
    encrypted.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    let many: Vec<(String, Vec<u8>)> = (0..30_000).map(|i| (format!("x/{i}"), Vec::new())).collect();
    let odf_encrypted = zip_parts(&[
        ("mimetype".into(), b"application/vnd.oasis.opendocument.text".to_vec()),
        ("content.xml".into(), vec![0x9c; 2048]),
        ("META-INF/manifest.xml".into(), br#"<manifest:manifest xmlns:manifest="m"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>"#.to_vec()),
    ]);
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><office:document-content xmlns:office="o" xmlns:text="t"><office:body><office:text><text:p>{}</text:p></office:text></office:body></office:document-content>"#,
        "&d;".repeat(1000)
    );
    let deep = format!(
        r#"<office:document-content xmlns:office="o" xmlns:text="t"><office:body><office:text>{}{}</office:text></office:body></office:document-content>"#,
        "<text:span>".repeat(200_000),
        "</text:span>".repeat(200_000)
    );
    let scripts = format!("<html><body>{}</body></html>", "<script>while(true){}</script><style>p{}</style>".repeat(50_000));
    let nested_html = format!("<html><body>{}Cells{}</body></html>", "<div><ul><li>".repeat(100_000), "</li></ul></div>".repeat(100_000));
    let md_quotes = format!("{}The cell is the unit of life.\n", ">".repeat(100_000));
    let md_lists = (0..2_000).map(|i| format!("{}- item\n", "  ".repeat(i))).collect::<String>();
    let md_html = "<script>\nfetch('/x')\n</script>\n<iframe src=\"x\"></iframe>\n<style>body{}</style>\n".repeat(1000);
    vec![
        ("zip bomb: one part inflating to 300 MiB", Format::Pptx, zip_bomb(300), "zip bomb"),
        ("30,000 zip entries", Format::Docx, zip_parts(&many), "entries"),
        ("truncated deck", Format::Pptx, deck[..deck.len() * 2 / 3].to_vec(), "cannot be read"),
        ("truncated Writer file", Format::Odt, odt[..odt.len() / 2].to_vec(), "cannot be read"),
        ("garbage named .docx", Format::Docx, b"PK\x03\x04 this is not a zip archive at all".to_vec(), "cannot be read"),
        ("a PDF named .pptx", Format::Pptx, lectures::handout_pdf(), "not a zip archive"),
        ("legacy .ppt named .pptx", Format::Pptx, ole, "legacy binary"),
        ("password-protected .docx", Format::Docx, encrypted, "password"),
        ("password-protected .odt", Format::Odt, odf_encrypted, "password"),
        ("a Word file named .odt", Format::Odt, samples::docx(&samples::water_cycle_document()), "no content.xml"),
        ("billion laughs", Format::Odt, with_content("application/vnd.oasis.opendocument.text", laughs), "no text"),
        ("elements nested 200,000 deep", Format::Odt, with_content("application/vnd.oasis.opendocument.text", deep), "deep"),
        ("no slides", Format::Pptx, samples::pptx(&[Slide::default()]), "no text"),
        ("HTML of 100,000 scripts and styles only", Format::Html, scripts.into_bytes(), "no text"),
        ("binary bytes named .md", Format::Markdown, vec![0u8; 10_000], "no text"),
        ("HTML nested 300,000 deep", Format::Html, nested_html.into_bytes(), ""),
        ("Markdown quotes nested 100,000 deep", Format::Markdown, md_quotes.into_bytes(), ""),
        ("Markdown lists nested 2,000 deep", Format::Markdown, md_lists.into_bytes(), ""),
        ("Markdown of raw HTML scripts only", Format::Markdown, md_html.into_bytes(), "no text"),
    ]
}

#[tokio::test]
async fn hostile_lectures_end_with_a_reason_within_the_limits() {
    let x = extractor(LIMITS);
    let bound = LIMITS.timeout + Duration::from_secs(5);
    let mut report = Vec::new();
    for (name, format, bytes, says) in corpus() {
        let t = Instant::now();
        let got = x.extract_as(bytes, format, "eng").await;
        let took = t.elapsed();
        report.push(format!("{:>6} ms  {name:<45} {}", took.as_millis(), match &got {
            Ok(t) => format!("text: {} {}(s), {} words", t.page_count(), t.unit(), t.word_count()),
            Err(e) => format!("failed: {e}"),
        }));
        assert!(took < bound, "{name}: {took:?}");
        match got {
            Err(e) => {
                assert!(e.is_permanent(), "{name}: {e}");
                assert!(e.to_string().contains(says), "{name}: {e:?} does not say {says:?}");
            }
            Ok(t) => {
                assert!(says.is_empty(), "{name}: text from a file that has none: {:?}", t.pages);
                assert!(!t.pages.concat().contains("fetch"), "{name}");
            }
        }
    }
    println!("{}", report.join("\n"));
    // Still working afterwards.
    let t = x.extract_as(samples::pptx(&samples::cell_biology_slides()), Format::Pptx, "eng").await.unwrap();
    assert_eq!(t.page_count(), 6);
}

#[tokio::test]
async fn a_zip_bomb_under_a_tight_memory_limit_stops_on_the_limit() {
    // 60 MiB of spaces passes the part limit (64 MiB) but not 96 MB of memory.
    let tight = PdfLimits { timeout: Duration::from_secs(8), max_memory_mb: 96 };
    match extractor(tight).extract_as(zip_bomb(60), Format::Pptx, "eng").await {
        // Killed on the limit, or the reader's allocation refused under it.
        Err(ExtractError::Memory(96)) => {}
        Err(ExtractError::File(e)) if e.to_string().contains("needs more memory than reading may use") => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_scanned_handout_is_read_by_ocr_in_the_child() {
    let pdftoppm = match lectures::ocr_tools() {
        Ok(p) => p,
        Err(why) => {
            // Without the tools a scan fails with the reason, and says so.
            let scan = examfn_questions::extract::ocr::write_image_pdf(&[(8, 8, vec![255; 64])]);
            let e = extractor(LIMITS).extract(scan).await.unwrap_err();
            assert!(e.to_string().starts_with("OCR unavailable: "), "{e}");
            eprintln!("OCR unavailable here ({why}): the scan fails with: {e}");
            return;
        }
    };
    let scan = lectures::scanned_handout(&pdftoppm);
    assert!(examfn_questions::extract::pdf::extract(&scan).is_err(), "the scan has no text layer");
    let limits = PdfLimits { timeout: Duration::from_secs(60), max_memory_mb: 1024 };
    let t0 = Instant::now();
    let t = extractor(limits).extract(scan.clone()).await.unwrap();
    let took = t0.elapsed();
    println!("OCR of {} pages: {took:?} ({:?}/page); {} KB scan", t.ocr_pages.len(), took / 2, scan.len() / 1024);
    assert_eq!(t.ocr_pages, vec![1, 2]);
    let all = t.pages.join("\n");
    for want in ["A tectonic plate is a large slab of the lithosphere that moves slowly.", "Alfred Wegener proposed the theory of continental drift in 1912."] {
        assert!(all.contains(want), "{want:?} in {all}");
    }
    assert!(t.pages[1].contains("Ring of Fire"), "page 2 stays page 2: {:?}", t.pages);
    // A language that is not installed: the reason names it.
    let e = extractor(limits).extract_as(scan.clone(), Format::Pdf, "kat_old").await.unwrap_err();
    assert!(e.to_string().contains("kat_old") && e.to_string().contains("not installed"), "{e}");
    // A limit too short for one page: failed with the reason, nothing left running.
    let short = PdfLimits { timeout: Duration::from_millis(900), max_memory_mb: 1024 };
    let e = extractor(short).extract(scan).await.unwrap_err();
    assert!(e.is_permanent() && (e.to_string().contains("time limit") || e.to_string().contains("longer than")), "{e}");
}

#[tokio::test]
async fn a_scan_with_a_huge_image_fails_within_the_limits() {
    let Ok(_) = lectures::ocr_tools() else { return };
    // One page drawing a 20,000 × 20,000 grey image (400 MB of samples, deflated to a few hundred KB).
    let side = 20_000u32;
    let scan = examfn_questions::extract::ocr::write_image_pdf(&[(side, side, vec![200u8; (side * side) as usize])]);
    let t = Instant::now();
    let got = extractor(LIMITS).extract(scan).await;
    println!("huge image: {:?} in {:?}", got.as_ref().map(|t| t.word_count()), t.elapsed());
    assert!(t.elapsed() < LIMITS.timeout + Duration::from_secs(5));
    let e = got.expect_err("a blank image has no text");
    assert!(e.is_permanent(), "{e}");
}
