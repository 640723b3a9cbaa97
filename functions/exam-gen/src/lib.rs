//! exam-gen: an uploaded lecture in, an exam out.
//!
//! A bucket notification (MinIO Kafka record via KafkaSource, MinIO webhook,
//! AWS S3 event) for `exams/<name>.pdf` (or `.pptx`, `.docx`, `.odp`,
//! `.odt`, `.md`, `.html`: [`examfn_domain::upload::LectureFormat`]) →
//!
//! 1. HeadObject: the current version's ETag and user metadata (`n_mcq`,
//!    `n_tfq`, `n_mcq_options`; MinIO's event metadata is used when S3 has
//!    none);
//! 2. the status document `exams.exams/<name>`: already `ready` or `failed`
//!    for this ETag and notified → Skipped (a redelivery); else `generating`;
//! 3. GetObject, then text extraction and generation on a blocking thread
//!    under a deadline ([`GENERATION_DEADLINE`]); the LLM backend first when
//!    configured, the built-in generator on any failure;
//! 4. PutObject `questions_bank/<name>.json` (the AWS array) and the sidecar
//!    `questions_bank/<name>.meta.json` (type, page and source sentence of
//!    every question, the shortfall reason, stats);
//! 5. status `ready` (counts requested/written, reason, timings), then the
//!    "exam ready" notice on `email-topic` with message id
//!    `exam-ready:<name>:<etag>`, then `notified: true`;
//! 6. (built-in generator) spare questions: the generator asked for about
//!    twice as many, those not in the exam go into the sidecar's `spares`
//!    (take-exam offers them when an educator replaces a question).
//!
//! A bad PDF (not a PDF, truncated, encrypted, image-only) or bad metadata
//! ends in state `failed` with the reason and an "exam failed" notice
//! (`exam-failed:<name>:<etag>`); the event is acknowledged (Done), never
//! retried. S3, MongoDB or Kafka trouble is `Unavailable`: retried, then
//! dead-lettered by the runtime. A crash between any two steps is repaired by
//! the redelivery: the steps are overwrites, and a notice whose `notified`
//! flag is not set is sent again with the same message id (the email
//! function sends each message id once).

pub mod llm;
pub mod ocr;
pub mod sandbox;
pub mod store;
pub mod writer;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use examfn_domain::email::{EmailMessage, Recipients};
use examfn_questions::{self as generator, Generation, QuestionType, Request};
use examfn_domain::names;
use examfn_questions::extract::pdf::{self as pdftext, PdfText};
use examfn_domain::upload::{self, ExamParams, ObjectEvent, Target};
use examfn_runtime::cloudevents::Event;
use examfn_runtime::config::{ConfigError, Env};
use examfn_runtime::event::data_json;
use examfn_runtime::kafka::Emitter;
use examfn_runtime::mongo::MongoConfig;
use examfn_runtime::s3::S3Config;
use examfn_runtime::{CommonConfig, FnError, Handler, Outcome, Service};
use mongodb::bson::{doc, Bson, Document};
use serde_json::{json, Value};

pub use llm::{LlmBackend, LlmConfig};
pub use sandbox::{ExtractError, PdfExtractor, PdfLimits};
pub use store::{Bucket, Notices, State, Status, Statuses};

pub const NAME: &str = "exam-gen";

/// Longest time extraction + generation may take for one lecture.
pub const GENERATION_DEADLINE: Duration = Duration::from_secs(60);

/// Most spare questions kept in the sidecar (`spares`) for replacements.
pub use examfn_questions::select::MAX_SPARES;

/// How often, at most, the status document's `progress` is written while a
/// language model writes.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(3);

/// Largest lecture accepted (bytes).
pub const MAX_PDF_BYTES: i64 = 100 * 1024 * 1024;

/// exam-gen's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub s3: S3Config,
    pub mongo: MongoConfig,
    pub email_topic: String,
    pub kafka_brokers: String,
    pub llm: Option<LlmConfig>,
    /// Limits of the PDF extraction child ([`sandbox`]).
    pub pdf: PdfLimits,
    /// The installed all-MiniLM-L6-v2 (`EMBED_MODEL_DIR`); unset: lexical ranking.
    pub embed_model_dir: Option<std::path::PathBuf>,
}

impl Config {
    pub fn from_env(env: &Env, common: &CommonConfig) -> Result<Self, ConfigError> {
        let kafka_brokers = common.kafka_brokers.clone().ok_or_else(|| ConfigError::Missing {
            name: "KAFKA_BROKERS".into(),
            hint: " (exam-gen produces its notices to email-topic)".into(),
        })?;
        let llm = match env.optional("LLM_BASE_URL") {
            None => None,
            Some(base_url) => {
                if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                    return Err(ConfigError::invalid("LLM_BASE_URL", base_url, "must be an http(s) URL"));
                }
                let timeout_ms: u64 = env.parse_or("LLM_TIMEOUT_MS", 120_000u64)?;
                if timeout_ms == 0 {
                    return Err(ConfigError::invalid("LLM_TIMEOUT_MS", "0", "must be at least 1"));
                }
                let budget_ms: u64 = env.parse_or("LLM_BUDGET_MS", 240_000u64)?;
                if !(1_000..=3_600_000).contains(&budget_ms) {
                    return Err(ConfigError::invalid("LLM_BUDGET_MS", budget_ms.to_string(), "must be between 1000 and 3600000"));
                }
                let parallel: usize = env.parse_or("LLM_PARALLEL", 1usize)?;
                if !(1..=16).contains(&parallel) {
                    return Err(ConfigError::invalid("LLM_PARALLEL", parallel.to_string(), "must be between 1 and 16"));
                }
                let check = env.flag("LLM_CHECK", false)?;
                Some(LlmConfig {
                    base_url,
                    model: env.string_or("LLM_MODEL", "qwen2.5-coder-1.5b-instruct"),
                    api_key: env.secret_optional("LLM_API_KEY"),
                    timeout: Duration::from_millis(timeout_ms),
                    budget: Duration::from_millis(budget_ms),
                    parallel,
                    check,
                })
            }
        };
        let timeout_ms: u64 =
            env.parse_or("PDF_EXTRACT_TIMEOUT_MS", PdfLimits::DEFAULT_TIMEOUT.as_millis() as u64)?;
        if !(100..=GENERATION_DEADLINE.as_millis() as u64).contains(&timeout_ms) {
            return Err(ConfigError::invalid(
                "PDF_EXTRACT_TIMEOUT_MS",
                timeout_ms.to_string(),
                format!("must be between 100 and {}", GENERATION_DEADLINE.as_millis()),
            ));
        }
        let max_memory_mb: u64 = env.parse_or("PDF_EXTRACT_MAX_MEMORY_MB", PdfLimits::DEFAULT_MAX_MEMORY_MB)?;
        if max_memory_mb < PdfLimits::MIN_MEMORY_MB {
            return Err(ConfigError::invalid(
                "PDF_EXTRACT_MAX_MEMORY_MB",
                max_memory_mb.to_string(),
                format!("must be at least {}", PdfLimits::MIN_MEMORY_MB),
            ));
        }
        Ok(Self {
            s3: S3Config::from_env(env)?,
            mongo: MongoConfig::from_env(env)?,
            email_topic: env.string_or("EMAIL_TOPIC", names::EMAIL_TOPIC),
            kafka_brokers,
            llm,
            pdf: PdfLimits { timeout: Duration::from_millis(timeout_ms), max_memory_mb },
            embed_model_dir: env.optional("EMBED_MODEL_DIR").map(std::path::PathBuf::from),
        })
    }
}

/// Timings of one generation, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Timings {
    pub extract_ms: u64,
    pub generate_ms: u64,
}

/// Extract the text of a PDF and generate with the built-in generator (no
/// I/O; the benchmark runs exactly this).
pub fn extract_and_generate(pdf: &[u8], req: &Request) -> Result<(PdfText, Generation, Timings), pdftext::PdfError> {
    extract_and_generate_with(pdf, req, &Ranker::lexical("no embedding model configured"))
}

/// [`extract_and_generate`], ranking with `ranker` (the model, if it has one).
pub fn extract_and_generate_with(pdf: &[u8], req: &Request, ranker: &Ranker) -> Result<(PdfText, Generation, Timings), pdftext::PdfError> {
    let t = Instant::now();
    let text = pdftext::extract(pdf)?;
    let extract_ms = t.elapsed().as_millis() as u64;
    let t = Instant::now();
    let g = ranker.generate(&text.pages, req);
    Ok((text, g, Timings { extract_ms, generate_ms: t.elapsed().as_millis() as u64 }))
}

/// How questions are ranked: with the sentence-embedding model when one is
/// installed, else lexically; the reason goes into the sidecar.
///
/// exam-gen loads the model for each exam and drops it after
/// ([`Ranker::on_demand`]): its weights (≈90 MB) would otherwise be most of
/// an idle function's memory. Benchmarks keep it loaded ([`Ranker::load`]).
#[derive(Clone)]
pub struct Ranker {
    /// A model kept loaded.
    pub model: Option<Arc<Model>>,
    /// A model loaded when an exam needs it.
    pub dir: Option<std::path::PathBuf>,
    /// Why there is no model (for the sidecar's `ranking`).
    pub without: String,
}

impl std::fmt::Debug for Ranker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ranker").field("model", &self.model.is_some()).field("dir", &self.dir).field("without", &self.without).finish()
    }
}

fn load_model(dir: &std::path::Path) -> anyhow::Result<Model> {
    let embedder = examfn_embed::Embedder::load(dir)
        .map_err(|e| anyhow::anyhow!("EMBED_MODEL_DIR={}: {e}", dir.display()))?
        .with_threads(2);
    Ok(Model(embedder))
}

impl Ranker {
    /// No model: lexical ranking, saying why.
    pub fn lexical(why: impl Into<String>) -> Self {
        Self { model: None, dir: None, without: why.into() }
    }
    /// Load the model from `dir` and keep it (a configured model that cannot
    /// be loaded stops the function with the reason).
    pub fn load(dir: &std::path::Path) -> anyhow::Result<Self> {
        Ok(Self { model: Some(Arc::new(load_model(dir)?)), dir: None, without: String::new() })
    }
    /// Check at start-up that `dir` holds the model's files (its config
    /// read), then load it for each exam. Loading it here too took ≈ 270 ms
    /// of every cold start and left ≈ 8 MB of freed heap in the idle
    /// process; a model whose weights no longer load ranks that exam
    /// lexically, saying why.
    pub fn on_demand(dir: &std::path::Path) -> anyhow::Result<Self> {
        for file in ["config.json", "tokenizer.json", "model.safetensors"] {
            let path = dir.join(file);
            let meta = std::fs::metadata(&path).map_err(|e| anyhow::anyhow!("EMBED_MODEL_DIR={}: {file}: {e}", dir.display()))?;
            if meta.len() == 0 {
                anyhow::bail!("EMBED_MODEL_DIR={}: {file} is empty", dir.display());
            }
        }
        let config = std::fs::read(dir.join("config.json"))?;
        serde_json::from_slice::<serde_json::Value>(&config).map_err(|e| anyhow::anyhow!("EMBED_MODEL_DIR={}: config.json: {e}", dir.display()))?;
        Ok(Self { model: None, dir: Some(dir.to_path_buf()), without: String::new() })
    }
    /// The model as the writer's embedding model, if there is one (loaded
    /// now when it is loaded on demand; a model that no longer loads ranks
    /// lexically, saying why).
    pub fn embed(&self) -> (Option<Arc<dyn generator::analysis::semantic::Embed>>, String) {
        if let Some(m) = &self.model {
            return (Some(m.clone() as Arc<dyn generator::analysis::semantic::Embed>), String::new());
        }
        match &self.dir {
            Some(dir) => match load_model(dir) {
                Ok(m) => (Some(Arc::new(m) as Arc<dyn generator::analysis::semantic::Embed>), String::new()),
                Err(e) => (None, format!("the embedding model could not be loaded: {e}")),
            },
            None => (None, self.without.clone()),
        }
    }
    /// Generate with the built-in generator, ranked by this.
    pub fn generate(&self, pages: &[String], req: &Request) -> Generation {
        match self.embed() {
            (Some(m), _) => generator::generate_with(pages, req, Some(m.as_ref()), ""),
            (None, why) => generator::generate_with(pages, req, None, &why),
        }
    }
}

/// all-MiniLM-L6-v2 behind the generator's [`generator::analysis::semantic::Embed`].
pub struct Model(pub examfn_embed::Embedder);

impl generator::analysis::semantic::Embed for Model {
    fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.0.embed(texts)
    }
    fn name(&self) -> String {
        "all-MiniLM-L6-v2".into()
    }
}

/// The function.
#[derive(Clone, Debug)]
pub struct ExamGen {
    pub bucket: Bucket,
    pub statuses: Statuses,
    pub notices: Notices,
    pub llm: Option<LlmBackend>,
    /// Text extraction, in a child process under limits. [`Self::from_config`]
    /// starts the running executable again; tests point it at the
    /// `exam-gen` binary.
    pub pdf: PdfExtractor,
    pub ranker: Ranker,
}

impl ExamGen {
    /// Clients connect lazily: building this does not wait for the servers.
    pub async fn from_config(cfg: &Config) -> anyhow::Result<Self> {
        let client = examfn_runtime::mongo::client(&cfg.mongo).await?;
        let llm = match &cfg.llm {
            Some(c) => Some(LlmBackend::new(c.clone())?),
            None => None,
        };
        Ok(Self {
            bucket: Bucket { client: examfn_runtime::s3::client(&cfg.s3), name: cfg.s3.bucket.clone() },
            statuses: Statuses { db: client.database(&cfg.mongo.database) },
            notices: Notices { emitter: Emitter::new(&cfg.kafka_brokers)?, topic: cfg.email_topic.clone() },
            llm,
            pdf: PdfExtractor::current_process(cfg.pdf)?,
            ranker: match &cfg.embed_model_dir {
                Some(dir) => Ranker::on_demand(dir)?,
                None => Ranker::lexical("no embedding model configured (EMBED_MODEL_DIR unset)"),
            },
        })
    }

    async fn process(&self, ev: &ObjectEvent) -> Result<Outcome, FnError> {
        let name = match upload::target(ev) {
            Target::Ignore(why) => return Ok(Outcome::skipped(why)),
            Target::Lecture { name } => name,
        };
        if !ev.bucket.is_empty() && ev.bucket != self.bucket.name {
            return Ok(Outcome::skipped(format!("bucket {:?} is not {:?}", ev.bucket, self.bucket.name)));
        }
        let Some(head) = self.bucket.head(&ev.key).await? else {
            return Ok(Outcome::skipped(format!("{:?} no longer exists", ev.key)));
        };
        let etag = if head.etag.is_empty() { ev.etag.clone().unwrap_or_default() } else { head.etag.clone() };
        let status = self.statuses.get(&name).await?;
        if let Some(s) = &status {
            if s.etag == etag && matches!(s.state, State::Ready | State::Failed) {
                if s.notified {
                    return Ok(Outcome::skipped(format!(
                        "exam {name:?} is already {} for this upload (etag {etag})",
                        s.state.as_str()
                    )));
                }
                // Done but the notice was not confirmed: send it again (same id).
                let (msg, subject) = if s.state == State::Ready {
                    let written = self.written_counts(&name).await?;
                    ready_notice(&name, &etag, written, s.reason.as_deref())
                } else {
                    failed_notice(&name, &etag, s.reason.as_deref().unwrap_or("unknown"))
                };
                self.notices.send(&msg, &subject).await?;
                self.statuses.set(&name, doc! {"notified": true}).await?;
                return Ok(Outcome::done(json!({"exam": name, "state": s.state.as_str(), "notice": "resent"})));
            }
        }
        let started = Instant::now();
        let base = doc! {
            "source_key": &ev.key,
            "etag": &etag,
            "notified": false,
            "started_at": mongodb::bson::DateTime::now(),
        };
        // Parameters: S3's metadata for the current version; MinIO's event copy otherwise.
        let params = if ExamParams::present_in(&head.metadata) {
            ExamParams::from_metadata(&head.metadata)
        } else {
            ExamParams::from_metadata(&ev.user_metadata)
        };
        let params = match params {
            Ok(p) => p,
            Err(e) => return self.fail(&name, &etag, base, None, &e.0, started).await,
        };
        // The file's format (its extension) and the OCR language for scans.
        let format = upload::LectureFormat::of_key(&ev.key).unwrap_or_default();
        let lang = upload::ocr_lang(if head.metadata.is_empty() { &ev.user_metadata } else { &head.metadata });
        let lang = match lang {
            Ok(l) => l,
            Err(e) => return self.fail(&name, &etag, base, None, &e.0, started).await,
        };
        let req = Request::from(params);
        let mut generating = base.clone();
        generating.insert("state", State::Generating.as_str());
        generating.insert("requested", requested_doc(&req));
        generating.insert("written", Bson::Null);
        generating.insert("reason", Bson::Null);
        generating.insert(
            "progress",
            progress_doc(&writer::Update { stage: "extracting", written: 0, total: req.n_mcq + req.n_tfq, eta_seconds: None }),
        );
        self.statuses.set(&name, generating).await?;

        if head.size > MAX_PDF_BYTES {
            let reason = format!("the {format} is {} bytes; at most {MAX_PDF_BYTES} are accepted", head.size);
            return self.fail(&name, &etag, base, Some(&req), &reason, started).await;
        }
        let Some(bytes) = self.bucket.get(&ev.key).await? else {
            return Ok(Outcome::skipped(format!("{:?} disappeared before it could be read", ev.key)));
        };
        let fetched_ms = started.elapsed().as_millis() as u64;
        // Extraction in a child process under memory, CPU and wall-clock limits.
        let t = Instant::now();
        let text = match self.pdf.extract_as(bytes, format, &lang).await {
            Ok(text) => text,
            Err(e) if e.is_permanent() => {
                return self.fail(&name, &etag, base, Some(&req), &e.to_string(), started).await;
            }
            Err(e) => return Err(FnError::unavailable(e.to_string())),
        };
        let extract_ms = t.elapsed().as_millis() as u64;
        let t = Instant::now();
        // Progress into the status document, at most every PROGRESS_EVERY (the last one always).
        let statuses = self.statuses.clone();
        let progress_name = name.clone();
        let last = std::sync::Mutex::new(None::<Instant>);
        let report = move |u: writer::Update| {
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|l| l.elapsed() < PROGRESS_EVERY) && u.stage == "writing" {
                return;
            }
            *last = Some(Instant::now());
            let statuses = statuses.clone();
            let name = progress_name.clone();
            let doc = progress_doc(&u);
            tokio::spawn(async move {
                if let Err(e) = statuses.set(&name, doc! {"progress": doc}).await {
                    tracing::debug!(exam = %name, error = %e.message(), "progress not recorded");
                }
            });
        };
        let (writing, notes) =
            match writer::write_exam(text.pages.clone(), req, &self.ranker, self.llm.as_ref(), &report).await {
                Ok(w) => w,
                Err(reason) => return self.fail(&name, &etag, base, Some(&req), &reason, started).await,
            };
        let generate_ms = t.elapsed().as_millis() as u64;
        if let Some(why) = &notes.llm_fallback {
            tracing::warn!(exam = %name, reason = %why, "the language model wrote nothing: the exam comes from the rule-based source");
        }
        if writing.questions.is_empty() {
            let reason = format!(
                "no question could be written from the lecture text: {}",
                writing.reason().unwrap_or_else(|| "too little text".into())
            );
            return self.fail(&name, &etag, base, Some(&req), &reason, started).await;
        }
        let exam = writing.exam();
        let exam_key = format!("{}{name}.json", names::QUESTIONS_PREFIX);
        let meta_key = format!("{}{name}.meta.json", names::QUESTIONS_PREFIX);
        let exam_bytes = serde_json::to_vec(&exam).map_err(|e| FnError::permanent(format!("exam file: {e}")))?;
        let written = (writing.count(QuestionType::MultipleChoice), writing.count(QuestionType::TrueFalse));
        let reason = writing.reason();
        let needs_review = writing.needs_review();
        let meta = json!({
            "name": name,
            "source_key": ev.key,
            "etag": etag,
            "generator": writing.generator,
            "ranking": writing.ranking,
            "llm_fallback_reason": notes.llm_fallback,
            "requested": {"mcq": req.n_mcq, "tfq": req.n_tfq, "options": req.n_options},
            "written": {"mcq": written.0, "tfq": written.1},
            "reason": reason,
            "needs_review": needs_review,
            "stats": writing.stats,
            "sources": writing.sources,
            "generate_ms": generate_ms,
            "extraction": extraction_doc(&text, &lang),
            "questions": writing.questions,
            "spares": writing.spares.iter().map(|w| w.question().clone()).collect::<Vec<_>>(),
            "spare_details": writing.spares,
        });
        let meta_bytes = serde_json::to_vec_pretty(&meta).map_err(|e| FnError::permanent(format!("sidecar: {e}")))?;
        self.statuses.set(&name, doc! {"progress": progress_doc(&writer::Update { stage: "storing", written: exam.len(), total: req.n_mcq + req.n_tfq, eta_seconds: Some(1) })}).await?;
        self.bucket.put_json(&exam_key, exam_bytes).await?;
        self.bucket.put_json(&meta_key, meta_bytes).await?;
        let total_ms = started.elapsed().as_millis() as u64;
        let mut ready = base;
        ready.insert("state", State::Ready.as_str());
        ready.insert("requested", requested_doc(&req));
        ready.insert("written", doc! {"mcq": written.0 as i64, "tfq": written.1 as i64});
        ready.insert("reason", reason.clone().map(Bson::String).unwrap_or(Bson::Null));
        ready.insert("needs_review", needs_review as i64);
        ready.insert("progress", Bson::Null);
        ready.insert("exam_key", &exam_key);
        ready.insert("generator", &writing.generator);
        ready.insert("pages", text.page_count() as i64);
        ready.insert("format", format.extension());
        ready.insert(
            "timings",
            doc! {"fetch_ms": fetched_ms as i64, "extract_ms": extract_ms as i64, "generate_ms": generate_ms as i64, "total_ms": total_ms as i64},
        );
        self.statuses.set(&name, ready).await?;
        let (msg, subject) = ready_notice_with(&name, &etag, written, reason.as_deref(), &Took { took: Duration::from_millis(total_ms), needs_review });
        self.notices.send(&msg, &subject).await?;
        self.statuses.set(&name, doc! {"notified": true}).await?;
        tracing::info!(
            exam = %name, etag = %etag, mcq = written.0, tfq = written.1, needs_review, generator = %writing.generator,
            extract_ms, generate_ms, total_ms, rejections = ?notes.rejections, "exam ready"
        );
        Ok(Outcome::done(json!({
            "exam": name,
            "state": "ready",
            "key": exam_key,
            "written": {"mcq": written.0, "tfq": written.1},
            "reason": reason,
            "needs_review": needs_review,
            "generator": writing.generator,
            "timings": {"extract_ms": extract_ms, "generate_ms": generate_ms, "total_ms": total_ms},
        })))
    }

    async fn written_counts(&self, name: &str) -> Result<(usize, usize), FnError> {
        let d = self
            .statuses
            .db
            .collection::<Document>(names::EXAMS_COLLECTION)
            .find_one(doc! {"_id": name})
            .await
            .map_err(examfn_runtime::mongo::classify)?;
        let w = d.as_ref().and_then(|d| d.get_document("written").ok());
        let get = |k: &str| w.and_then(|w| store::int_of(w, k)).unwrap_or(0);
        Ok((get("mcq") as usize, get("tfq") as usize))
    }

    /// Record the failure, send the notice, acknowledge the event.
    async fn fail(
        &self,
        name: &str,
        etag: &str,
        mut base: Document,
        req: Option<&Request>,
        reason: &str,
        started: Instant,
    ) -> Result<Outcome, FnError> {
        base.insert("state", State::Failed.as_str());
        base.insert("reason", reason);
        base.insert("progress", Bson::Null);
        base.insert("written", doc! {"mcq": 0i64, "tfq": 0i64});
        if let Some(r) = req {
            base.insert("requested", requested_doc(r));
        }
        base.insert("timings", doc! {"total_ms": started.elapsed().as_millis() as i64});
        self.statuses.set(name, base).await?;
        let (msg, subject) = failed_notice(name, etag, reason);
        self.notices.send(&msg, &subject).await?;
        self.statuses.set(name, doc! {"notified": true}).await?;
        tracing::warn!(exam = %name, etag = %etag, reason = %reason, "exam failed");
        Ok(Outcome::done(json!({"exam": name, "state": "failed", "reason": reason})))
    }
}

fn requested_doc(r: &Request) -> Document {
    doc! {"mcq": r.n_mcq as i64, "tfq": r.n_tfq as i64, "options": r.n_options as i64}
}

/// The "exam ready" notice (keeps the original's `Hello, Exam Generated`).
pub fn ready_notice(name: &str, etag: &str, written: (usize, usize), reason: Option<&str>) -> (EmailMessage, String) {
    ready_notice_with(name, etag, written, reason, &Took::default())
}

/// What the notice says about how the exam was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Took {
    /// Upload to exam (zero: not said).
    pub took: Duration,
    /// Questions that need the educator's review.
    pub needs_review: usize,
}

/// "3 min 12 s", "1.4 s".
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{} min {} s", (s / 60.0).floor() as u64, (s % 60.0).floor() as u64)
    }
}

/// [`ready_notice`] saying how long writing took and how many questions
/// need review.
pub fn ready_notice_with(name: &str, etag: &str, written: (usize, usize), reason: Option<&str>, took: &Took) -> (EmailMessage, String) {
    let subject = format!("Exam ready: {name}");
    let mut text = format!(
        "Hello, Exam Generated\n\nThe exam \"{name}\" is ready: {} multiple-choice and {} true/false questions.\n\
         Review it and publish it for students in examfn (students see it at once only where generated \
         exams are published on generation); it is stored as {}{name}.json.\n",
        written.0,
        written.1,
        names::QUESTIONS_PREFIX
    );
    if !took.took.is_zero() {
        text.push_str(&format!("It took {} to write.\n", human_duration(took.took)));
    }
    if took.needs_review > 0 {
        text.push_str(&format!(
            "{} question{} could not be verified automatically: {} marked \"needs review\" on the review page.\n",
            took.needs_review,
            if took.needs_review == 1 { "" } else { "s" },
            if took.needs_review == 1 { "it is" } else { "they are" }
        ));
    }
    if let Some(r) = reason {
        text.push_str(&format!("\nFewer questions than requested: {r}.\n"));
    }
    let msg = EmailMessage {
        message_id: format!("exam-ready:{name}:{etag}"),
        subject: subject.clone(),
        text,
        html: None,
        recipients: Recipients { subscribers: true, extra: Vec::new() },
    };
    (msg, subject)
}

/// The status document's `progress` while an exam is written.
fn progress_doc(u: &writer::Update) -> Document {
    doc! {
        "stage": u.stage,
        "written": u.written as i64,
        "total": u.total as i64,
        "eta_seconds": u.eta_seconds.map(|s| Bson::Int64(s as i64)).unwrap_or(Bson::Null),
        "updated_at": mongodb::bson::DateTime::now(),
    }
}

/// The sidecar's `extraction`: how the lecture was read (its format, what a
/// question's `page` counts — slides for decks —, the pages OCR read).
fn extraction_doc(text: &examfn_questions::extract::Text, lang: &str) -> Value {
    json!({
        "format": text.format,
        "page_unit": text.unit(),
        "pages": text.page_count(),
        "ocr_pages": text.ocr_pages,
        "ocr_lang": if text.ocr_pages.is_empty() { Value::Null } else { json!(lang) },
        "notes": text.notes,
    })
}

/// The "exam failed" notice.
pub fn failed_notice(name: &str, etag: &str, reason: &str) -> (EmailMessage, String) {
    let subject = format!("Exam failed: {name}");
    let text = format!(
        "Hello,\n\nThe exam \"{name}\" could not be generated: {reason}.\n\
         Fix the lecture or its settings and upload it again under exams/.\n"
    );
    let msg = EmailMessage {
        message_id: format!("exam-failed:{name}:{etag}"),
        subject: subject.clone(),
        text,
        html: None,
        recipients: Recipients { subscribers: true, extra: Vec::new() },
    };
    (msg, subject)
}

impl Handler for ExamGen {
    async fn handle(&self, event: Event) -> Result<Outcome, FnError> {
        let value: Value = data_json(&event)?;
        let records = upload::parse_notification(&value).map_err(|e| FnError::bad_input(e.to_string()))?;
        if records.is_empty() {
            return Ok(Outcome::skipped("notification without records (a test event?)"));
        }
        let mut done = Vec::new();
        let mut skipped = Vec::new();
        for r in &records {
            match self.process(r).await? {
                Outcome::Done(v) => done.push(v),
                Outcome::Skipped(why) => {
                    tracing::info!(key = %r.key, event = %r.event_name, reason = %why, "skipped");
                    skipped.push(why);
                }
            }
        }
        if done.is_empty() {
            return Ok(Outcome::skipped(skipped.join("; ")));
        }
        Ok(Outcome::done(json!({"results": done, "skipped": skipped})))
    }

    /// The retries are spent (storage or database down longer than the
    /// retry budget): every lecture of the notification that is not already
    /// `ready`/`failed` for this upload ends `failed` with the reason and a
    /// notice, instead of staying `uploaded` with nobody told. Replaying the
    /// record from the dead-letter topic later generates the exam as usual.
    async fn gave_up(&self, event: &Event, error: &FnError) {
        let Ok(value) = data_json::<Value>(event) else { return };
        let Ok(records) = upload::parse_notification(&value) else { return };
        for ev in &records {
            let Target::Lecture { name } = upload::target(ev) else { continue };
            let etag = ev.etag.clone().unwrap_or_default();
            match self.statuses.get(&name).await {
                Ok(Some(s)) if matches!(s.state, State::Ready | State::Failed) && (etag.is_empty() || s.etag == etag) => continue,
                Err(e) => {
                    tracing::warn!(exam = %name, error = %e.message(), "cannot record the failure: the database is unavailable too");
                    continue;
                }
                Ok(_) => {}
            }
            let reason = format!(
                "could not be processed after every retry: {}. Upload the PDF again, or replay it from {}.dlq once the service is back",
                error.message(),
                names::EXAM_GENERATOR_TOPIC
            );
            let base = doc! {"source_key": &ev.key, "etag": &etag, "notified": false};
            if let Err(e) = self.fail(&name, &etag, base, None, &reason, Instant::now()).await {
                tracing::warn!(exam = %name, error = %e.message(), "cannot record the failure");
            }
        }
    }

    async fn ready(&self) -> Result<(), String> {
        self.statuses.ping().await
    }
}

/// The service: the event endpoint plus health and metrics.
pub fn service(gen: ExamGen) -> Service<ExamGen> {
    Service::new(NAME, Arc::new(gen))
}

/// Entry point of the binary and of `examfn run exam-gen`.
/// (Started with [`sandbox::CHILD_ENV`] set, this is the extraction child.)
pub fn main() -> anyhow::Result<()> {
    if std::env::var_os(sandbox::CHILD_ENV).is_some() {
        sandbox::child_main();
    }
    let env = Env::from_process();
    let common = CommonConfig::from_env(&env, Some(names::EXAM_GENERATOR_TOPIC), NAME)?;
    let config = Config::from_env(&env, &common)?;
    examfn_runtime::telemetry::init(common.log_format, &common.log_filter);
    tracing::info!(
        bucket = %config.s3.bucket,
        llm = config.llm.is_some(),
        embed_model = ?config.embed_model_dir,
        pdf_timeout_ms = config.pdf.timeout.as_millis() as u64,
        pdf_max_memory_mb = config.pdf.max_memory_mb,
        "exam-gen starting"
    );
    examfn_runtime::server::block_on_configured(&common.clone(), async move {
        let gen = ExamGen::from_config(&config).await?;
        examfn_runtime::serve(&common, service(gen)).await?;
        Ok(())
    })
}

/// Metadata as the handler reads it (for tests and tools).
pub fn params_of(meta: &BTreeMap<String, String>) -> Result<ExamParams, upload::ParamError> {
    ExamParams::from_metadata(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let mut v = vec![
            ("KAFKA_BROKERS", "127.0.0.1:9"),
            ("MONGODB_URI", "mongodb://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ];
        v.extend_from_slice(pairs);
        Env::from_pairs(v)
    }

    #[test]
    fn an_on_demand_model_is_checked_by_its_files_at_start_and_a_broken_one_ranks_lexically() {
        let dir = std::env::temp_dir().join(format!("examfn-ranker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = Ranker::on_demand(&dir).unwrap_err().to_string();
        assert!(err.contains("config.json"), "{err}");
        std::fs::write(dir.join("config.json"), b"{\"hidden_act\": \"gelu\"}").unwrap();
        std::fs::write(dir.join("tokenizer.json"), b"{}").unwrap();
        std::fs::write(dir.join("model.safetensors"), b"not weights").unwrap();
        let ranker = Ranker::on_demand(&dir).expect("the files are there");
        let (model, why) = ranker.embed();
        assert!(model.is_none());
        assert!(why.contains("could not be loaded"), "{why}");
        std::fs::write(dir.join("config.json"), b"{").unwrap();
        assert!(Ranker::on_demand(&dir).is_err(), "an unreadable config stops the function");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn config_defaults_and_llm() {
        let e = env(&[]);
        let common = CommonConfig::from_env(&e, Some(names::EXAM_GENERATOR_TOPIC), NAME).unwrap();
        let c = Config::from_env(&e, &common).unwrap();
        assert_eq!(c.email_topic, "email-topic");
        assert_eq!(c.s3.bucket, "exams");
        assert!(c.llm.is_none());
        let e = env(&[("LLM_BASE_URL", "http://127.0.0.1:1/v1"), ("LLM_TIMEOUT_MS", "1500"), ("LLM_API_KEY", "x")]);
        let c = Config::from_env(&e, &common).unwrap();
        let l = c.llm.unwrap();
        assert_eq!(l.timeout, Duration::from_millis(1500));
        assert_eq!(l.api_key.as_deref(), Some("x"));
        assert!(!format!("{l:?}").contains("\"x\""), "the key is not printed");
        let e = env(&[("LLM_BASE_URL", "ftp://x")]);
        assert!(Config::from_env(&e, &common).unwrap_err().to_string().contains("LLM_BASE_URL"));
        let no_kafka = Env::from_pairs([("MONGODB_URI", "mongodb://x"), ("AWS_ACCESS_KEY_ID", "k"), ("AWS_SECRET_ACCESS_KEY", "s")]);
        let common = CommonConfig::from_env(&no_kafka, None, NAME).unwrap();
        assert!(Config::from_env(&no_kafka, &common).unwrap_err().to_string().contains("KAFKA_BROKERS"));
    }

    #[test]
    fn pdf_limits_from_the_environment() {
        let e = env(&[]);
        let common = CommonConfig::from_env(&e, None, NAME).unwrap();
        assert_eq!(Config::from_env(&e, &common).unwrap().pdf, PdfLimits::default());
        let e = env(&[("PDF_EXTRACT_TIMEOUT_MS", "2500"), ("PDF_EXTRACT_MAX_MEMORY_MB", "300")]);
        let c = Config::from_env(&e, &common).unwrap();
        assert_eq!(c.pdf, PdfLimits { timeout: Duration::from_millis(2500), max_memory_mb: 300 });
        for (k, v) in [
            ("PDF_EXTRACT_TIMEOUT_MS", "0"),
            ("PDF_EXTRACT_TIMEOUT_MS", "600000"),
            ("PDF_EXTRACT_TIMEOUT_MS", "soon"),
            ("PDF_EXTRACT_MAX_MEMORY_MB", "8"),
        ] {
            let err = Config::from_env(&env(&[(k, v)]), &common).unwrap_err().to_string();
            assert!(err.contains(k), "{k}={v}: {err}");
        }
    }

    #[test]
    fn notices_name_the_exam_and_have_stable_ids() {
        let (m, s) = ready_notice("Week 3", "abc", (5, 3), None);
        assert_eq!(m.message_id, "exam-ready:Week 3:abc");
        assert_eq!(s, "Exam ready: Week 3");
        assert!(m.text.starts_with("Hello, Exam Generated"));
        assert!(m.text.contains("\"Week 3\"") && m.text.contains("5 multiple-choice and 3 true/false"));
        assert_eq!(ready_notice("Week 3", "abc", (5, 3), None).0, m);
        let (m, _) = failed_notice("Week 3", "abc", "the PDF is encrypted");
        assert_eq!(m.message_id, "exam-failed:Week 3:abc");
        assert!(m.text.contains("the PDF is encrypted"));
    }

    #[test]
    fn pipeline_on_a_generated_pdf() {
        let pages: Vec<Vec<String>> = (0..3)
            .map(|p| {
                vec![
                    format!("Topic {p}"),
                    format!("The organelle number {p} is the mitochondrion that releases energy from glucose."),
                    format!("Photosynthesis is the process {p} by which plants turn light into sugar."),
                    format!("About {}% of cells divide every {} hours in {}.", 10 + p, 20 + p, 1950 + p),
                ]
            })
            .collect();
        let pdf = pdftext::write_text_pdf(&pages);
        let (text, g, _) = extract_and_generate(&pdf, &Request { n_mcq: 2, n_tfq: 2, n_options: 3 }).unwrap();
        assert_eq!(text.page_count(), 3);
        assert!(!g.questions.is_empty());
        assert!(matches!(extract_and_generate(b"nope", &Request { n_mcq: 1, n_tfq: 0, n_options: 2 }), Err(pdftext::PdfError::NotPdf)));
    }
}
