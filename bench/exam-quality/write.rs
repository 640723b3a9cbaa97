//! The exam-quality harness's writer run: every lecture of the corpus through
//! exactly the path exam-gen takes (analysis → rule-based source → language
//! model → verifier → selector), timed per lecture.
//!
//!     write CORPUS_DIR OUT.json [--llm BASE_URL --model NAME] [--only ID,ID]
//!           [--cache DIR] [--budget-ms MS] [--check] [--mcq 12 --tfq 8 --options 4]
//!
//! Without `--llm` only the rule-based source writes. `EXAMFN_EMBED_MODEL_DIR`
//! ranks with all-MiniLM-L6-v2. `--cache DIR` keeps each chat answer in DIR
//! (by a hash of the request) and replays it next time: for working on the
//! verifier and selector without waiting for the model; never for timings.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use examfn_exam_gen::writer::{write_exam, Update};
use examfn_exam_gen::{LlmBackend, LlmConfig, Ranker};
use examfn_questions::extract::pdf as pdftext;
use examfn_questions::llm::{Chat, ChatError};
use examfn_questions::Request;
use serde_json::json;

/// A chat endpoint that answers from `dir` when it can, else asks `inner` and keeps the answer.
#[derive(Clone)]
struct Cached {
    inner: LlmBackend,
    dir: Option<PathBuf>,
}

impl Chat for Cached {
    async fn complete(&self, body: String, timeout: Duration) -> Result<String, ChatError> {
        let Some(dir) = &self.dir else { return self.inner.complete(body, timeout).await };
        let key = format!("{:016x}", examfn_questions::analysis::text::fnv(body.as_bytes()));
        let path = dir.join(format!("{key}.txt"));
        if let Ok(s) = std::fs::read_to_string(&path) {
            return Ok(s);
        }
        let out = self.inner.complete(body, timeout).await?;
        std::fs::create_dir_all(dir).ok();
        std::fs::write(&path, &out).ok();
        Ok(out)
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: write CORPUS_DIR OUT.json [--llm BASE_URL --model NAME] [--only ID,ID] [--cache DIR] [--budget-ms MS] [--check]");
        std::process::exit(2);
    }
    let dir = PathBuf::from(&args[1]);
    let num = |n: &str, d: usize| arg(&args, n).and_then(|s| s.parse().ok()).unwrap_or(d);
    let req = Request { n_mcq: num("--mcq", 12), n_tfq: num("--tfq", 8), n_options: num("--options", 4) };
    let only: Option<Vec<String>> = arg(&args, "--only").map(|s| s.split(',').map(str::to_string).collect());
    let ranker = match std::env::var_os("EXAMFN_EMBED_MODEL_DIR") {
        Some(d) => Ranker::load(std::path::Path::new(&d)).expect("model"),
        None => Ranker::lexical("no embedding model configured"),
    };
    let llm = arg(&args, "--llm").map(|base_url| {
        LlmBackend::new(LlmConfig {
            base_url,
            model: arg(&args, "--model").unwrap_or_else(|| "qwen2.5-coder-1.5b-instruct".into()),
            api_key: None,
            timeout: Duration::from_secs(180),
            budget: Duration::from_millis(num("--budget-ms", 240_000) as u64),
            parallel: num("--parallel", 1),
            check: args.iter().any(|a| a == "--check"),
        })
        .expect("http client")
    });
    let cache = arg(&args, "--cache").map(PathBuf::from);
    let manifest = std::fs::read_to_string(dir.join("corpus.tsv")).expect("corpus.tsv");
    let mut docs = Vec::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 2 || cols[0].is_empty() || only.as_ref().is_some_and(|o| !o.iter().any(|x| x == cols[0])) {
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
        let updates = Arc::new(std::sync::Mutex::new(Vec::<Update>::new()));
        let u2 = updates.clone();
        let progress = move |u: Update| u2.lock().unwrap().push(u);
        let cached = llm.as_ref().map(|b| Cached { inner: b.clone(), dir: cache.clone() });
        let result = match &cached {
            Some(c) => write_with(text.pages.clone(), req, &ranker, c, &progress).await,
            None => write_exam(text.pages.clone(), req, &ranker, None, &progress).await,
        };
        let generate_ms = t1.elapsed().as_secs_f64() * 1e3;
        let (w, notes) = match result {
            Ok(x) => x,
            Err(e) => {
                docs.push(json!({"id": id, "kind": kind, "error": e}));
                continue;
            }
        };
        eprintln!(
            "{id:>26} {kind:>9} {:>4} pages {:>6.0} ms extract {:>8.0} ms write {:>2} questions ({} need review) by {}",
            text.pages.len(),
            extract_ms,
            generate_ms,
            w.questions.len(),
            w.needs_review(),
            w.generator
        );
        docs.push(json!({
            "id": id, "kind": kind, "pages": text.pages.len(),
            "extract_ms": extract_ms, "generate_ms": generate_ms,
            "generator": w.generator, "ranking": w.ranking, "shortfall": w.shortfall, "stats": w.stats,
            "sources": w.sources, "llm_fallback_reason": notes.llm_fallback,
            "rejections": notes.rejections, "rejected": notes.rejected, "needs_review": w.needs_review(),
            "questions": w.questions, "spares": w.spares.len(),
            "progress_updates": updates.lock().unwrap().len(),
        }));
    }
    let out = json!({"request": req, "llm": llm.as_ref().map(|b| b.config.model.clone()), "docs": docs});
    std::fs::write(&args[2], serde_json::to_string_pretty(&out).unwrap()).expect("write");
}

/// [`write_exam`] with a chat endpoint in front of the backend (the cache).
async fn write_with(
    pages: Vec<String>,
    req: Request,
    ranker: &Ranker,
    chat: &Cached,
    progress: &(dyn Fn(Update) + Send + Sync),
) -> Result<(examfn_questions::candidate::Writing, examfn_exam_gen::writer::Notes), String> {
    examfn_exam_gen::writer::write_exam_with(pages, req, ranker, Some((&chat.inner, chat)), progress).await
}
