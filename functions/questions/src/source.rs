//! Question sources: anything that proposes candidate questions for a
//! lecture. Two today — the rule-based generator ([`RulesSource`]) and a
//! language model ([`crate::llm::LlmSource`]) — and room for more. A source
//! hands its candidates over as it makes them; the caller verifies them and
//! says whether it wants more ([`Flow`]).

use std::future::Future;
use std::time::Instant;

use crate::analysis::text::fnv;
use crate::candidate::{Candidate, Grounding, Origin, SourceReport};
use crate::llm::{Chat, LlmSource};
pub use crate::llm::Flow;
use crate::write::Lecture;
use crate::{Generated, QuestionType, Request};

/// Something that writes candidate questions for a lecture.
pub trait QuestionSource: Sync {
    /// `rules`, `llm:<model>`, …
    fn name(&self) -> String;
    /// Propose candidates for `lecture`, at most until `deadline`, handing
    /// each batch to `take`; stop when it answers [`Flow::Stop`].
    fn propose(
        &self,
        lecture: &Lecture,
        req: &Request,
        deadline: Instant,
        take: &mut (dyn FnMut(Vec<Candidate>) -> Flow + Send),
    ) -> impl Future<Output = SourceReport> + Send;
}

/// The rule-based generator as a source: it writes about twice the exam
/// asked for (the verifier and the selector choose), in one batch, at once
/// (its future is ready when first polled: no I/O).
#[derive(Debug, Clone, Copy, Default)]
pub struct RulesSource;

impl QuestionSource for RulesSource {
    fn name(&self) -> String {
        "rules".into()
    }

    fn propose(
        &self,
        lecture: &Lecture,
        req: &Request,
        _deadline: Instant,
        take: &mut (dyn FnMut(Vec<Candidate>) -> Flow + Send),
    ) -> impl Future<Output = SourceReport> + Send {
        let started = Instant::now();
        let more = Request { n_mcq: req.n_mcq * 2 + 2, n_tfq: req.n_tfq * 2 + 2, n_options: req.n_options };
        let g = match &lecture.embed {
            Some(m) => crate::rules::generate_with(&lecture.pages, &more, Some(m.as_ref()), ""),
            None => crate::rules::generate_with(&lecture.pages, &more, None, &lecture.without),
        };
        let cands: Vec<Candidate> = g.questions.iter().flat_map(|q| rules_candidates(q, lecture)).collect();
        let report = SourceReport { name: self.name(), candidates: cands.len(), time_ms: 0, stats: Some(g.stats), ..Default::default() };
        take(cands);
        let report = SourceReport { time_ms: started.elapsed().as_millis() as u64, ..report };
        std::future::ready(report)
    }
}

/// A rule-based question as candidates. Statement pairs ("(I) … (II) …",
/// each statement the lecture's or negated) are left out: their key follows
/// the word "not". A cloze also gives its sentence as a true statement and,
/// with its first distractor in the key's place, as a false one (the same
/// fact: the selector asks about it once).
fn rules_candidates(q: &Generated, lecture: &Lecture) -> Vec<Candidate> {
    if q.form == "statement_pair" {
        return Vec::new();
    }
    let (passage, position) = lecture.passage_of(&q.source, q.page);
    let prior = crate::priors::rules(&q.form, &q.question.correct_answer);
    let question = &q.question;
    let distractors: Vec<String> = question.options.iter().filter(|o| **o != question.correct_answer).cloned().collect();
    let base = Candidate {
        kind: q.kind,
        form: q.form.clone(),
        question: question.question.clone(),
        answer: question.correct_answer.clone(),
        distractors: if q.kind == QuestionType::TrueFalse { Vec::new() } else { distractors.clone() },
        statement: q.source.clone(),
        answer_kind: q.answer_kind.clone(),
        grounding: Grounding { page: q.page, passage, sentence: q.source.clone(), position },
        origin: Origin::Rules,
        fact: fnv(q.source.to_lowercase().as_bytes()),
        prior,
        fixed_options: None,
    };
    let mut out = Vec::new();
    // A question whose key stands in its sentence: the sentence is a true
    // statement, and with a distractor in the key's place a false one.
    if q.kind == QuestionType::MultipleChoice {
        let truth = q.source.trim().to_string();
        if let Some((at, len)) = crate::llm::facts::find_word_span(&truth, &question.correct_answer) {
            let tf = |shown: String, answer: &str| Candidate {
                kind: QuestionType::TrueFalse,
                form: "true_false".into(),
                question: format!("True or false: {shown}"),
                answer: answer.into(),
                distractors: Vec::new(),
                statement: truth.clone(),
                answer_kind: "statement".into(),
                prior: crate::priors::DERIVED_STATEMENT,
                ..base.clone()
            };
            out.push(tf(truth.clone(), "True"));
            for d in distractors.iter().take(2) {
                out.push(tf(crate::llm::facts::swap(&truth, at, len, d), "False"));
            }
        }
    }
    out.push(base);
    out
}

impl<C: Chat> QuestionSource for LlmSource<C> {
    fn name(&self) -> String {
        format!("llm:{}", self.settings.model)
    }

    fn propose(
        &self,
        lecture: &Lecture,
        req: &Request,
        deadline: Instant,
        take: &mut (dyn FnMut(Vec<Candidate>) -> Flow + Send),
    ) -> impl Future<Output = SourceReport> + Send {
        self.read_passages(&lecture.title, &lecture.passages, &lecture.order, req, deadline, take)
    }
}
