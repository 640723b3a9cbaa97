//! Writing exams from lectures: text extraction, analysis of the text, question
//! sources, and the verifier and selector every source's candidates pass through.
//!
//! Layers, each depending only on those above it:
//!
//! - [`words`]: the hand-listed word lists (stop words, verbs, hedges, kind
//!   nouns, …) the layers below judge text by; data only;
//! - [`extract`]: the text of an uploaded lecture (PDF), page by page;
//! - [`analysis`]: sentences and their classes (prose, heading, code, …), key
//!   terms, definitions, glossaries, sentence embeddings;
//! - [`rules`]: the rule-based question source (question forms built from the
//!   analysed text);
//! - [`passages`]: the lecture's passages, ranked and in a reading order that
//!   covers the lecture;
//! - [`llm`]: the language-model question source (grounded per passage),
//!   over a [`llm::Chat`] endpoint the caller provides;
//! - [`source`]: the trait every question source implements ([`source::QuestionSource`]);
//! - [`candidate`]: what sources propose and what the writer returns;
//! - [`priors`]: how good each source's forms are, as strict labellers found them;
//! - [`verify`]: the verifier every candidate passes through;
//! - [`select`]: the selector that fills exactly the count asked;
//! - [`write`]: the whole path — analyse, propose, verify, select;
//! - [`lexicon`]: the verifier's and selector's word lists (a leaf).
//!
//! Nothing here performs I/O except through the traits callers implement.

pub mod analysis;
pub mod candidate;
pub mod extract;
pub mod lexicon;
pub mod llm;
pub mod passages;
pub mod priors;
pub mod rules;
pub mod select;
pub mod source;
pub mod verify;
pub mod words;
pub mod write;

use serde::{Deserialize, Serialize};

use examfn_domain::exam::{Exam, Question};
use examfn_domain::upload::ExamParams;

pub use rules::{explain, generate, generate_with};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub n_mcq: usize,
    pub n_tfq: usize,
    /// Options of every multiple-choice question (2–8).
    pub n_options: usize,
}

impl From<ExamParams> for Request {
    fn from(p: ExamParams) -> Self {
        Self { n_mcq: p.n_mcq as usize, n_tfq: p.n_tfq as usize, n_options: p.n_mcq_options as usize }
    }
}

/// The type of a generated question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    MultipleChoice,
    TrueFalse,
}

/// A question with where it came from (the sidecar of the exam file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    #[serde(flatten)]
    pub question: Question,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// 1-based page of the source sentence.
    pub page: usize,
    /// The lecture's sentence the question is built on.
    pub source: String,
    /// What the answer (or the swapped part) is: `term`, `name`, `acronym`,
    /// `year`, `percent`, `number`, `list item`, `definition`, `statement`,
    /// `statement pair`.
    pub answer_kind: String,
    /// The question's form: `cloze`, `term_for_definition`, `definition`,
    /// `statement`, `false_statement`, `statement_pair`, `glossary`, `list`,
    /// `true_false` (empty for an LLM's questions).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub form: String,
}

/// The result of a generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    pub questions: Vec<Generated>,
    /// Why fewer questions than requested were written (empty when all were).
    pub shortfall: Vec<String>,
    pub stats: Stats,
    /// `builtin` or the LLM backend's model.
    pub generator: String,
    /// How sentences and options were ranked: `embedding:<model>` or
    /// `lexical` (no embedding model installed), with the reason.
    #[serde(default)]
    pub ranking: String,
}

/// Facts about the analysed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Stats {
    pub pages: usize,
    pub words: usize,
    pub sentences: usize,
    pub key_terms: usize,
    pub numbers: usize,
    /// Sentences classified as usable prose.
    #[serde(default)]
    pub prose_sentences: usize,
    #[serde(default)]
    pub definitions: usize,
    /// Texts embedded by the model (0 without one).
    #[serde(default)]
    pub embedded: usize,
}

impl Generation {
    /// The exam file (the AWS format): multiple-choice first, then true/false.
    pub fn exam(&self) -> Exam {
        self.questions.iter().map(|g| g.question.clone()).collect()
    }
    pub fn count(&self, kind: QuestionType) -> usize {
        self.questions.iter().filter(|q| q.kind == kind).count()
    }
    /// The shortfall as one sentence, if any.
    pub fn reason(&self) -> Option<String> {
        (!self.shortfall.is_empty()).then(|| self.shortfall.join("; "))
    }
}

