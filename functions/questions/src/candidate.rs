//! What a question source proposes ([`Candidate`]) and what the exam writer
//! returns ([`Written`], [`Writing`]): every source's candidates pass through
//! one verifier ([`crate::verify`]) and one selector ([`crate::select`]).

use serde::{Deserialize, Serialize};

use crate::{Generated, QuestionType, Stats};
use examfn_domain::exam::{Question, TRUE_FALSE_OPTIONS};

/// Which source wrote a candidate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "origin")]
pub enum Origin {
    /// The rule-based source ([`crate::rules`]).
    Rules,
    /// A language model, by name.
    Llm { model: String },
}

impl Origin {
    pub fn label(&self) -> &'static str {
        match self {
            Origin::Rules => "rules",
            Origin::Llm { .. } => "llm",
        }
    }
    pub fn model(&self) -> Option<&str> {
        match self {
            Origin::Rules => None,
            Origin::Llm { model } => Some(model),
        }
    }
}

/// The part of the lecture a candidate was written from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Grounding {
    /// 1-based page (the slide, for a deck).
    pub page: usize,
    /// The passage (a few sentences) the source read.
    pub passage: String,
    /// The sentence of the passage the question rests on, when known.
    pub sentence: String,
    /// Position of the passage in the lecture, 0.0 (start) to 1.0 (end), for spreading.
    pub position: f64,
}

/// One question a source proposes. Multiple choice: `answer` is the key and
/// `distractors` the wrong options (a source may propose more than are
/// needed; the verifier drops bad ones and the selector keeps the best).
/// True/false: `answer` is `True` or `False`, and `statement` is the true
/// fact — for a false item, the statement it was made false from.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub kind: QuestionType,
    /// The question's form: `question` (a question about a fact), `cloze`,
    /// `true_false`, `statement`, … (the rule-based source's forms keep their names).
    pub form: String,
    /// The stem (a true/false item's statement).
    pub question: String,
    pub answer: String,
    pub distractors: Vec<String>,
    /// The fact in one self-contained sentence, true according to the lecture.
    pub statement: String,
    /// What the answer is (`term`, `name`, `number`, `statement`, …).
    pub answer_kind: String,
    pub grounding: Grounding,
    pub origin: Origin,
    /// Candidates from one fact share this: an exam asks about a fact once.
    pub fact: u64,
    /// The source's own estimate of how good and important it is (0–1).
    pub prior: f64,
    /// Options whose order means something (true/false, "I only … Neither"): kept in this order.
    pub fixed_options: Option<Vec<String>>,
}

impl Candidate {
    /// The options in the source's order: the key first, then the distractors
    /// (or the fixed order).
    pub fn options(&self) -> Vec<String> {
        if let Some(f) = &self.fixed_options {
            return f.clone();
        }
        if self.kind == QuestionType::TrueFalse {
            return TRUE_FALSE_OPTIONS.iter().map(|s| s.to_string()).collect();
        }
        std::iter::once(self.answer.clone()).chain(self.distractors.iter().cloned()).collect()
    }
}

/// A question of the written exam with where it came from: the sidecar's
/// entry (the existing fields of [`Generated`] plus its provenance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Written {
    #[serde(flatten)]
    pub generated: Generated,
    /// `rules` or `llm`.
    pub origin: String,
    /// The model, when a language model wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The lecture passage it was written from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub passage: String,
    /// Why the verifier could not confirm it; absent when verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_review: Option<String>,
}

impl Written {
    pub fn question(&self) -> &Question {
        &self.generated.question
    }
}

/// What one source did for one exam (the sidecar's `sources`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SourceReport {
    /// `rules` or `llm:<model>`.
    pub name: String,
    /// Candidates proposed.
    pub candidates: usize,
    /// Of those, verified.
    pub verified: usize,
    /// Of those, in the exam.
    pub used: usize,
    /// Passages read (the language model), or 0.
    #[serde(default)]
    pub passages: usize,
    pub time_ms: u64,
    /// Why the source stopped early or was not used (absent when it ran to the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// What the language model's check of its own questions did (absent
    /// for other sources, or when the check is off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckReport>,
    /// What the source found in the text (the rule-based source: definitions,
    /// texts embedded), merged into the exam's stats.
    #[serde(skip)]
    pub stats: Option<Stats>,
}

/// The language model's check of its own questions (see `llm::check`),
/// summed over the passages read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckReport {
    /// Facts the model was asked to answer.
    pub facts: usize,
    /// Of those, dropped: the model, holding the passage, did not choose the key.
    pub refused: usize,
    /// Wrong answers dropped: the model chose them as correct too.
    pub distractors_dropped: usize,
    /// Passages whose check failed (no answer in time, or garbage): their
    /// facts went on unchecked.
    pub failed: usize,
}

/// A written exam with its sidecar's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Writing {
    pub questions: Vec<Written>,
    /// Verified questions not in the exam, for replacements.
    pub spares: Vec<Written>,
    /// Why fewer questions than asked were written, or why some need review.
    pub shortfall: Vec<String>,
    pub stats: Stats,
    /// The sources that wrote the exam: `rules`, `llm:<model>+rules`, …
    pub generator: String,
    /// How sentences were ranked (`embedding:<model>` or `lexical: <why>`).
    pub ranking: String,
    pub sources: Vec<SourceReport>,
}

impl Writing {
    pub fn exam(&self) -> Vec<Question> {
        self.questions.iter().map(|w| w.generated.question.clone()).collect()
    }
    pub fn count(&self, kind: QuestionType) -> usize {
        self.questions.iter().filter(|q| q.generated.kind == kind).count()
    }
    pub fn needs_review(&self) -> usize {
        self.questions.iter().filter(|q| q.needs_review.is_some()).count()
    }
    /// The shortfall as one sentence, if any.
    pub fn reason(&self) -> Option<String> {
        (!self.shortfall.is_empty()).then(|| self.shortfall.join("; "))
    }
}
