//! Extraction + generation on one PDF, as exam-gen runs it, for the benchmark
//! (see bench/exam-gen/README.md). Not a test.
//!
//!   examgen_bench make-fixtures DIR [PAGES ...]
//!                                         write lecture-<PAGES>p.pdf for each page count
//!                                         (default: lecture-2p.pdf and lecture-120p.pdf)
//!   examgen_bench run FILE [N_MCQ N_TFQ N_OPTIONS]
//!   examgen_bench extract FILE            extraction only
use std::time::Instant;

use examfn_questions::Request;
use examfn_questions::extract::pdf as pdftext;

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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
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
            let bytes = std::fs::read(args.get(2).expect("FILE")).unwrap();
            let t = Instant::now();
            let text = pdftext::extract(&bytes).expect("extract");
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
            let t = Instant::now();
            let g = ranker.generate(&text.pages, &req);
            let gen = t.elapsed();
            println!(
                "pages={} words={} questions={} ranking={} extract_ms={:.1} generate_ms={:.1} total_ms={:.1}",
                text.page_count(),
                text.word_count(),
                g.questions.len(),
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
