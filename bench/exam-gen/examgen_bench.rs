//! Extraction + generation on one PDF, as exam-gen runs it, for the benchmark
//! (see bench/exam-gen/README.md). Not a test.
//!
//!   examgen_bench make-fixtures DIR [PAGES ...]
//!                                         write lecture-<PAGES>p.pdf for each page count
//!                                         (default: lecture-2p.pdf and lecture-120p.pdf)
//!   examgen_bench run FILE [N_MCQ N_TFQ N_OPTIONS]
//!   examgen_bench extract FILE            extraction only (any format, by its extension)
//!   examgen_bench make-formats DIR N      lecture-<N>.{pptx,odp,docx,odt,md,html}: the same
//!                                         N parts as slides (decks) or pages (documents)
//!   examgen_bench scan PDF OUT [DPI]      OUT: PDF's pages rasterised (pdftoppm), images only
//!   examgen_bench ocr FILE [LANG]         extraction with OCR of scanned pages, as exam-gen's child does
use std::time::Instant;

use examfn_questions::Request;
use examfn_questions::extract::pdf as pdftext;
use examfn_questions::extract::samples::{self, Part, Slide};
use examfn_questions::extract::{self as lecture, Format};

/// A lecture page of about 160 words in the shape real lecture notes have:
/// a heading, definitions, facts with numbers and years, statements about
/// the page's topic, varied per page (8 topics, numbers per page).
fn page(n: usize) -> Vec<String> {
    let topics = [
        ("photosynthesis", "turns light energy into chemical energy", "chloroplast"),
        ("respiration", "releases energy from glucose", "mitochondrion"),
        ("fermentation", "releases energy from sugar without oxygen", "cytoplasm"),
        ("glycolysis", "splits glucose into two molecules of pyruvate", "cytoplasm"),
        ("transcription", "copies a gene into messenger RNA", "nucleus"),
        ("translation", "builds a protein from messenger RNA", "ribosome"),
        ("replication", "copies the DNA of a cell before it divides", "nucleus"),
        ("osmosis", "moves water across a membrane towards the higher concentration", "membrane"),
    ];
    let (t, what, place) = topics[n % topics.len()];
    let cap = |s: &str| s[..1].to_uppercase() + &s[1..];
    let year = 1800 + (n * 7) % 200;
    let pct = 5 + (n * 13) % 90;
    let mut lines = vec![format!("Lecture notes, part {}", n + 1), format!("{}. {}", n + 1, cap(t))];
    let body = [
        format!("{} is the process that {what}.", cap(t)),
        format!("The {t} pathway takes place in the {place} of the cell."),
        format!("Researchers in Cambridge described the {t} pathway in {year}."),
        format!("About {pct}% of the energy budget of a typical cell is spent on {t}."),
        format!("A {t} inhibitor is a molecule that blocks the {t} pathway."),
        format!("The {t} enzyme complex contains {} protein subunits.", 12 + n % 30),
        format!("Cells regulate the {t} pathway through feedback inhibition."),
        format!("The {t} pathway produces {} molecules of ATP per turn.", 10 + n % 25),
        "Membrane proteins move ions across membranes against their gradient.".to_string(),
        format!("A {t} rate is the amount of product that the pathway makes per minute."),
        "Three factors limit the rate: the amount of light, the temperature, and the carbon dioxide supply."
            .to_string(),
        "Students should compare the inputs and outputs of each pathway and explain where energy is stored."
            .to_string(),
    ];
    // Wrap to ~80 characters per line, as a PDF producer would lay them out.
    for para in body {
        let mut line = String::new();
        for w in para.split(' ') {
            if line.len() + w.len() > 80 {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(w);
        }
        lines.push(line);
    }
    lines.push(format!("{}", n + 1));
    lines
}

/// Part `n` as a slide: the heading as its title, the first sentences as
/// bullets (two levels), the rest as speaker notes.
fn slide(n: usize) -> Slide {
    let lines = page(n);
    let text = lines[2..lines.len() - 1].join(" ");
    let sentences: Vec<String> = text.split(". ").map(|s| s.trim_end_matches('.').to_string() + ".").collect();
    Slide {
        title: lines[1].clone(),
        bullets: sentences.iter().take(4).enumerate().map(|(i, s)| ((i % 2) as u8, s.trim_end_matches('.').to_string())).collect(),
        notes: sentences[4..].to_vec(),
        ..Slide::default()
    }
}

/// Part `n` as a document page: its heading, its sentences as paragraphs,
/// two as a list, a page break.
fn doc_page(n: usize) -> Vec<Part> {
    let lines = page(n);
    let text = lines[2..lines.len() - 1].join(" ");
    let mut parts = vec![Part::Heading(2, lines[1].clone())];
    for (i, s) in text.split(". ").enumerate() {
        let s = s.trim_end_matches('.').to_string() + ".";
        parts.push(if i == 3 || i == 4 { Part::Item(0, s) } else { Part::Para(s) });
    }
    parts.push(Part::PageBreak);
    parts
}

fn format_of(path: &str) -> Format {
    examfn_domain::upload::LectureFormat::of_key(path).unwrap_or(Format::Pdf)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("make-formats") => {
            let dir = std::path::PathBuf::from(args.get(2).expect("DIR"));
            let n: usize = args.get(3).map_or(20, |s| s.parse().expect("N is a number"));
            std::fs::create_dir_all(&dir).unwrap();
            let slides: Vec<Slide> = (0..n).map(slide).collect();
            let parts: Vec<Part> = (0..n).flat_map(doc_page).collect();
            let files: Vec<(&str, Vec<u8>)> = vec![
                ("pptx", samples::pptx(&slides)),
                ("odp", samples::odp(&slides)),
                ("docx", samples::docx(&parts)),
                ("odt", samples::odt(&parts)),
                ("md", samples::markdown(&parts).into_bytes()),
                ("html", samples::html("Lecture notes", &parts).into_bytes()),
            ];
            for (ext, bytes) in files {
                std::fs::write(dir.join(format!("lecture-{n}.{ext}")), bytes).unwrap();
            }
        }
        Some("scan") => {
            let pdf = std::fs::read(args.get(2).expect("PDF")).unwrap();
            let dpi: u32 = args.get(4).map_or(300, |s| s.parse().expect("DPI"));
            let tools = examfn_exam_gen::ocr::OcrTools::discover();
            let examfn_exam_gen::ocr::OcrTools::Found { pdftoppm, .. } = tools else { panic!("{tools:?}") };
            std::fs::write(args.get(3).expect("OUT"), examfn_exam_gen::ocr::scan_of(&pdftoppm, &pdf, dpi).unwrap()).unwrap();
        }
        Some("ocr") => {
            let bytes = std::fs::read(args.get(2).expect("FILE")).unwrap();
            let lang = args.get(3).cloned().unwrap_or_else(|| "eng".into());
            let tools = examfn_exam_gen::ocr::OcrTools::discover();
            for (k, v) in tools.child_env() {
                std::env::set_var(k, v);
            }
            std::env::set_var(examfn_exam_gen::ocr::ENV_LANG, &lang);
            let engine = examfn_exam_gen::ocr::Tesseract::from_child_env(None);
            let t = Instant::now();
            let text = lecture::extract_with(&bytes, Format::Pdf, &lecture::Options { ocr: Some(&engine), deadline: None }).expect("extract");
            let ms = t.elapsed().as_secs_f64() * 1e3;
            println!(
                "pages={} ocr_pages={} words={} extract_ms={ms:.1} per_page_ms={:.1}",
                text.page_count(),
                text.ocr_pages.len(),
                text.word_count(),
                ms / text.ocr_pages.len().max(1) as f64
            );
        }
        Some("make-fixtures") => {
            let dir = std::path::PathBuf::from(args.get(2).expect("DIR"));
            std::fs::create_dir_all(&dir).unwrap();
            let mut counts: Vec<usize> = args[3..].iter().map(|s| s.parse().expect("PAGES is a number")).collect();
            if counts.is_empty() {
                counts = vec![2, 120];
            }
            for n in counts {
                let pages: Vec<Vec<String>> = (0..n).map(page).collect();
                std::fs::write(dir.join(format!("lecture-{n}p.pdf")), pdftext::write_text_pdf(&pages)).unwrap();
            }
        }
        Some("extract") => {
            let path = args.get(2).expect("FILE");
            let bytes = std::fs::read(path).unwrap();
            let t = Instant::now();
            let text = lecture::extract(&bytes, format_of(path)).expect("extract");
            println!("pages={} words={} extract_ms={:.1}", text.page_count(), text.word_count(), t.elapsed().as_secs_f64() * 1e3);
        }
        Some("run") => {
            let bytes = std::fs::read(args.get(2).expect("FILE")).unwrap();
            let num = |i: usize, d: usize| args.get(i).map(|s| s.parse().unwrap()).unwrap_or(d);
            let req = Request { n_mcq: num(3, 20), n_tfq: num(4, 10), n_options: num(5, 4) };
            let t = Instant::now();
            let text = pdftext::extract(&bytes).expect("extract");
            let ex = t.elapsed();
            // EXAMFN_EMBED_MODEL_DIR: rank with the model, as exam-gen does with EMBED_MODEL_DIR.
            let ranker = match std::env::var_os("EXAMFN_EMBED_MODEL_DIR") {
                Some(dir) => examfn_exam_gen::Ranker::load(std::path::Path::new(&dir)).expect("model"),
                None => examfn_exam_gen::Ranker::lexical("no model"),
            };
            // The path exam-gen takes without a language model: analysis, the
            // rule-based source, the verifier and the selector.
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let t = Instant::now();
            let (g, _) = rt.block_on(examfn_exam_gen::writer::write_exam(text.pages.clone(), req, &ranker, None, &|_| {})).expect("write");
            let gen = t.elapsed();
            println!(
                "pages={} words={} questions={} needs_review={} ranking={} extract_ms={:.1} generate_ms={:.1} total_ms={:.1}",
                text.page_count(),
                text.word_count(),
                g.questions.len(),
                g.needs_review(),
                g.ranking,
                ex.as_secs_f64() * 1e3,
                gen.as_secs_f64() * 1e3,
                (ex + gen).as_secs_f64() * 1e3
            );
        }
        _ => {
            eprintln!("usage: examgen_bench make-fixtures DIR [PAGES ...] | run FILE [N_MCQ N_TFQ N_OPTIONS] | extract FILE");
            std::process::exit(2);
        }
    }
}
