//! The exam-quality harness's generator run (see bench/exam-quality/README.md).
//! Not a test: it writes what exam-gen would write for every lecture of the
//! corpus, with timings, for `score.py` to judge against the hand labels.
//!
//!   quality gen CORPUS_DIR OUT.json [N_MCQ N_TFQ N_OPTIONS]
//!
//! With `EXAMFN_EMBED_MODEL_DIR` set to an installed all-MiniLM-L6-v2
//! (functions/embed/install-model.sh), questions are ranked with the model.
//!
//! CORPUS_DIR holds `corpus.tsv` (id, kind, …) and `<id>.pdf`, as
//! `corpus.sh` installs them.
use std::time::Instant;

use examfn_questions::analysis::semantic::Embed;
use examfn_questions::{self as generator, Request};

struct Model(examfn_embed::Embedder);

impl Embed for Model {
    fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.0.embed(texts)
    }
    fn name(&self) -> String {
        "all-MiniLM-L6-v2".into()
    }
}
use examfn_questions::extract::pdf as pdftext;
use serde_json::json;

/// A lecture's pages: a PDF's extracted text, or a `.txt` split at form feeds.
fn read_pages(path: &str) -> Vec<String> {
    let bytes = std::fs::read(path).expect("file");
    if path.ends_with(".txt") {
        String::from_utf8_lossy(&bytes).split('\x0c').map(str::to_string).collect()
    } else {
        pdftext::extract(&bytes).expect("extract").pages
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("sentences") {
        // quality sentences FILE.pdf|FILE.txt: every sentence with its class, and the definitions found.
        let pages = read_pages(&args[2]);
        let (sentences, _) = generator::analysis::text::sentences(&pages);
        for s in &sentences {
            let def = generator::analysis::define::find(s).map(|d| format!("  DEF[{} {} | {}]", d.article, d.term, d.body)).unwrap_or_default();
            println!("p{:<3} {:<11} {}{}{}", s.page, s.class.label(), if s.item { "• " } else { "" }, s.text, def);
        }
        return;
    }
    if args.get(1).map(String::as_str) == Some("passages") {
        // quality passages FILE.pdf: the passages a language model reads, in
        // reading order, with page, score and words.
        let pages = read_pages(&args[2]);
        let (sentences, _) = generator::analysis::text::sentences(&pages);
        let terms = generator::analysis::terms::Terms::collect(&sentences);
        let ps = generator::passages::passages(&sentences, &terms);
        let order = generator::passages::reading_order(&ps, 12);
        for (rank, &i) in order.iter().enumerate() {
            let p = &ps[i];
            println!("#{rank:<3} p{:<3} score {:.2} {} words [{}]\n{}\n", p.page, p.score, p.words, p.title, p.text);
        }
        for (i, p) in ps.iter().enumerate().filter(|(i, _)| !order.contains(i)) {
            println!("left out #{i} p{:<3} score {:.2} {} words [{}]\n{}\n", p.page, p.score, p.words, p.title, p.text);
        }
        return;
    }
    if args.get(1).map(String::as_str) == Some("explain") {
        // quality explain FILE.pdf: every prose sentence, whether questions may
        // use it (and why not), its subject and key terms. FILE.txt: its text
        // as pages split at form feeds.
        let pages = read_pages(&args[2]);
        for line in generator::explain(&pages) {
            println!("{line}");
        }
        return;
    }
    if args.get(1).map(String::as_str) != Some("gen") || args.len() < 4 {
        eprintln!("usage: quality gen CORPUS_DIR OUT.json [N_MCQ N_TFQ N_OPTIONS]");
        std::process::exit(2);
    }
    let dir = std::path::PathBuf::from(&args[2]);
    let num = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let req = Request { n_mcq: num(4, 12), n_tfq: num(5, 8), n_options: num(6, 4) };
    let model = std::env::var_os("EXAMFN_EMBED_MODEL_DIR").map(|d| {
        let t = Instant::now();
        let m = Model(examfn_embed::Embedder::load(std::path::Path::new(&d)).expect("model").with_threads(2));
        eprintln!("model loaded in {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
        m
    });
    let manifest = std::fs::read_to_string(dir.join("corpus.tsv")).expect("corpus.tsv");
    let mut docs = Vec::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 2 || cols[0].is_empty() {
            continue;
        }
        let (id, kind) = (cols[0], cols[1]);
        let bytes = std::fs::read(dir.join(format!("{id}.pdf"))).expect("pdf");
        let t0 = Instant::now();
        let text = match pdftext::extract(&bytes) {
            Ok(t) => t,
            Err(e) => {
                docs.push(json!({"id": id, "kind": kind, "error": e.to_string()}));
                continue;
            }
        };
        let extract_ms = t0.elapsed().as_secs_f64() * 1e3;
        let t1 = Instant::now();
        let g = match &model {
            Some(m) => generator::generate_with(&text.pages, &req, Some(m as &dyn Embed), ""),
            None => generator::generate(&text.pages, &req),
        };
        let generate_ms = t1.elapsed().as_secs_f64() * 1e3;
        eprintln!("{id:>20} {kind:>9} {:>4} pages {:>6.0} ms extract {:>6.0} ms generate {} questions", text.pages.len(), extract_ms, generate_ms, g.questions.len());
        docs.push(json!({
            "id": id, "kind": kind, "pages": text.pages.len(),
            "extract_ms": extract_ms, "generate_ms": generate_ms,
            "generator": g.generator, "ranking": g.ranking, "shortfall": g.shortfall, "stats": g.stats,
            "questions": g.questions,
        }));
    }
    let out = json!({"request": req, "docs": docs});
    std::fs::write(&args[3], serde_json::to_string_pretty(&out).unwrap()).expect("write");
}
