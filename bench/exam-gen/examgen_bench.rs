//! Extraction + generation on one PDF, as exam-gen runs it, for the benchmark
//! (see bench/exam-gen/README.md). Not a test.
//!
//!   examgen_bench make-fixtures DIR [PAGES ...]
//!                                         write lecture-<PAGES>p.pdf for each page count
//!                                         (default: lecture-2p.pdf and lecture-120p.pdf)
//!   examgen_bench run FILE [N_MCQ N_TFQ N_OPTIONS]
//!   examgen_bench extract FILE            extraction only
use std::time::Instant;

use examfn_domain::generator::Request;
use examfn_domain::pdftext;

/// A lecture page of about 450 words: ten paragraphs on one topic, with
/// definitions, names, numbers and a list, varied per page.
fn page(n: usize) -> Vec<String> {
    let topics = ["photosynthesis", "respiration", "mitosis", "meiosis", "osmosis", "diffusion", "translation", "transcription"];
    let t = topics[n % topics.len()];
    let year = 1800 + (n * 7) % 200;
    let pct = 5 + (n * 13) % 90;
    let mut lines = vec![format!("Lecture notes, part {}", n + 1), format!("Section {}: {}", n + 1, t)];
    let body = [
        format!("In this section we study {t} in living cells, the {n}th topic of the course."),
        format!("The enzyme complex number {} is the catalyst that controls {t} in the cell.", 100 + n),
        format!("Researchers in Cambridge first described this mechanism in {year} after years of work."),
        format!("About {pct}% of the energy budget of a typical cell is spent on {t} and related work."),
        format!("A structure called the reaction centre {} holds the pigments that absorb light.", n % 17),
        format!("The Krebs Cycle Stage {} produces {} molecules of carbon dioxide per turn.", n % 9, 2 + n % 5),
        "Membranes separate compartments, and transport proteins move ions across membranes.".to_string(),
        format!("The rate of {t} doubles for every {} degrees of warming within the normal range.", 8 + n % 6),
        "Cells regulate these pathways through feedback, so products slow down their own synthesis.".to_string(),
        format!("Laboratory {} measured {} samples and found the same pattern in each of them.", n % 23, 40 + n),
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
