//! Writing an exam: analyse the lecture ([`Lecture::analyse`]), let the
//! sources propose candidates, verify each as it arrives ([`Writer::take`]),
//! and select the exam ([`Writer::finish`]).
//!
//! The caller drives it, so that the slow source (a language model, minutes)
//! can run on an async runtime while the analysis, the rule-based source and
//! the selection run where CPU work belongs:
//!
//! ```text
//! let lecture = Lecture::analyse(pages, embed, "lexical: …");     // CPU
//! let mut w = Writer::new(lecture.clone(), req);   // lecture: Arc<Lecture>
//! RulesSource.propose(&lecture, &req, deadline, &mut |c| w.take(c)) // CPU, ready at once
//! llm.propose(&lecture, &req, deadline, &mut |c| w.take(c)).await   // I/O
//! let writing = w.finish();                                        // CPU
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::analysis::prose::Class;
use crate::analysis::semantic::Embed;
use crate::analysis::terms::Terms;
use crate::analysis::text::{self, fnv, mix, Sentence};
use crate::candidate::{Candidate, SourceReport, Writing};
use crate::llm::Flow;
use crate::passages::{self, Passage};
use crate::select::{self, Checked};
use crate::verify::{self, Verdict};
use crate::{QuestionType, Request, Stats};

/// A lecture, analysed once for every source.
pub struct Lecture {
    pub pages: Vec<String>,
    /// What the lecture is called (its first heading, or empty).
    pub title: String,
    pub sentences: Vec<Sentence>,
    pub passages: Vec<Passage>,
    /// The order to read passages in ([`passages::reading_order`]).
    pub order: Vec<usize>,
    pub embed: Option<Arc<dyn Embed>>,
    /// How sentences are ranked (`embedding:<model>` or `lexical: <why>`).
    pub ranking: String,
    /// Why there is no embedding model (for the rule-based source).
    pub without: String,
    pub stats: Stats,
    /// Decides ties (a hash of the text).
    pub seed: u64,
    /// Sentence text → passage.
    by_sentence: HashMap<String, usize>,
    check: verify::Lecture,
}

impl Lecture {
    /// Analyse `pages`; `embed` ranks and checks meaning when given,
    /// `without` says why there is none.
    pub fn analyse(pages: Vec<String>, embed: Option<Arc<dyn Embed>>, without: &str) -> Self {
        let (sentences, _) = text::sentences(&pages);
        let terms = Terms::collect(&sentences);
        let passages = passages::passages(&sentences, &terms);
        let order = passages::reading_order(&passages, 12);
        let mut by_sentence = HashMap::new();
        for (pi, p) in passages.iter().enumerate() {
            for t in &p.texts {
                by_sentence.entry(t.clone()).or_insert(pi);
            }
        }
        let title = sentences
            .iter()
            .take(40)
            .find(|s| s.class == Class::Heading && (2..=12).contains(&s.words()))
            .map(|s| s.text.trim().to_string())
            .unwrap_or_default();
        let seed = pages.iter().fold(fnv(b"examfn"), |h, p| mix(h, fnv(p.as_bytes())));
        let stats = Stats {
            pages: pages.len(),
            words: pages.iter().map(|p| p.split_whitespace().count()).sum(),
            sentences: sentences.len(),
            key_terms: terms.count_words(),
            numbers: terms.count_numbers(),
            prose_sentences: sentences.iter().filter(|s| s.class == Class::Prose).count(),
            definitions: 0,
            embedded: 0,
        };
        let ranking = match &embed {
            Some(m) => format!("embedding:{}", m.name()),
            None => format!("lexical: {without}"),
        };
        let check = verify::Lecture::new(sentences.iter().map(|s| s.text.clone()), embed.clone());
        Self { pages, title, sentences, passages, order, embed, ranking, without: without.to_string(), stats, seed, by_sentence, check }
    }

    /// The passage holding `sentence` (its text and position), or the
    /// sentence alone.
    pub fn passage_of(&self, sentence: &str, page: usize) -> (String, f64) {
        match self.by_sentence.get(sentence.trim()) {
            Some(&i) => (self.passages[i].text.clone(), self.passages[i].position),
            None => {
                let position = self.sentences.iter().position(|s| s.text.trim() == sentence.trim()).map_or_else(
                    || self.sentences.iter().position(|s| s.page >= page).unwrap_or(0) as f64 / self.sentences.len().max(1) as f64,
                    |i| i as f64 / self.sentences.len().max(1) as f64,
                );
                (sentence.to_string(), position)
            }
        }
    }
}

/// Progress of one exam, for the status document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Questions that could be asked now (facts with a verified candidate), at most `total`.
    pub written: usize,
    pub total: usize,
}

/// How much of the exam verified candidates fill ([`Writer::fill`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    pub written: usize,
    pub total: usize,
    pub spares: usize,
}

/// Candidates in, an exam out.
pub struct Writer {
    lecture: Arc<Lecture>,
    req: Request,
    settings: verify::Settings,
    checked: Vec<Checked>,
    reports: Vec<SourceReport>,
    facts: HashSet<u64>,
    /// Facts with a verified candidate, by question type.
    verified_facts: HashMap<QuestionType, HashSet<u64>>,
    /// Facts with a verified candidate, by source (`rules`, `llm`).
    verified_by_origin: HashMap<&'static str, HashSet<u64>>,
    rejected: HashMap<String, usize>,
    rejected_samples: Vec<Rejected>,
    stats: Stats,
}

/// Rejected candidates kept as examples (for the benchmark's report).
const MAX_REJECTED_SAMPLES: usize = 400;

/// A rejected candidate and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub origin: &'static str,
    pub form: String,
    pub question: String,
    pub answer: String,
    pub reason: String,
}

impl Writer {
    pub fn new(lecture: Arc<Lecture>, req: Request) -> Self {
        Self {
            stats: lecture.stats,
            lecture,
            req,
            settings: verify::Settings::new(req.n_options),
            checked: Vec::new(),
            reports: Vec::new(),
            facts: HashSet::new(),
            verified_facts: HashMap::new(),
            verified_by_origin: HashMap::new(),
            rejected: HashMap::new(),
            rejected_samples: Vec::new(),
        }
    }

    /// Verify a source's candidates and keep those not rejected; says
    /// whether the source should go on ([`Flow::Stop`] once there are
    /// enough verified facts for the exam and some spares).
    pub fn take(&mut self, candidates: Vec<Candidate>) -> Flow {
        for mut c in candidates {
            let verdict = verify::verify(&mut c, &self.lecture.check, &self.settings);
            match &verdict {
                Verdict::Rejected { reason } | Verdict::Mendable { reason, .. } => {
                    if self.rejected_samples.len() < MAX_REJECTED_SAMPLES {
                        self.rejected_samples.push(Rejected { origin: c.origin.label(), form: c.form.clone(), question: c.question.clone(), answer: c.answer.clone(), reason: reason.clone() });
                    }
                    let class = reason.split(['(', '"']).next().unwrap_or(reason).trim().to_string();
                    *self.rejected.entry(class).or_default() += 1;
                    // A mendable one is kept: the last resort of the selector.
                    if matches!(verdict, Verdict::Mendable { .. }) {
                        self.checked.push(Checked { candidate: c, verdict });
                    }
                    continue;
                }
                Verdict::Verified { .. } => {
                    self.verified_facts.entry(c.kind).or_default().insert(c.fact);
                    self.verified_by_origin.entry(c.origin.label()).or_default().insert(c.fact);
                }
                Verdict::Review { .. } => {}
            }
            self.facts.insert(c.fact);
            self.checked.push(Checked { candidate: c, verdict });
        }
        if self.enough() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// Distinct facts with a verified candidate from one source (`rules`, `llm`).
    pub fn verified_from(&self, origin: &str) -> usize {
        self.verified_by_origin.get(origin).map_or(0, HashSet::len)
    }

    /// Record what a source did.
    pub fn report(&mut self, r: SourceReport) {
        if let Some(st) = r.stats {
            self.stats.definitions = self.stats.definitions.max(st.definitions);
            self.stats.embedded += st.embedded;
        }
        self.reports.push(r);
    }

    /// Facts that can fill the exam now: distinct verified facts, each
    /// counted for the type that still needs it.
    pub fn progress(&self) -> Progress {
        let total = self.req.n_mcq + self.req.n_tfq;
        let empty = HashSet::new();
        let mcq = self.verified_facts.get(&QuestionType::MultipleChoice).unwrap_or(&empty);
        let tf = self.verified_facts.get(&QuestionType::TrueFalse).unwrap_or(&empty);
        let m = mcq.len().min(self.req.n_mcq);
        let t = tf.iter().filter(|f| !mcq.contains(f) || mcq.len() > self.req.n_mcq).count().min(self.req.n_tfq);
        Progress { written: (m + t).min(total), total }
    }

    /// Enough verified candidates for the exam: the selector fills every
    /// question with a verified one, and about a fifth more remain as spares.
    pub fn enough(&self) -> bool {
        let f = self.fill();
        f.written >= f.total && f.spares * 5 >= f.total
    }

    /// What the selector could fill now with verified candidates only: the
    /// questions, and how many verified spares remain (no embeddings: quick).
    pub fn fill(&self) -> Fill {
        let verified: Vec<Checked> = self.checked.iter().filter(|c| matches!(c.verdict, Verdict::Verified { .. })).cloned().collect();
        let s = select::select(&verified, &self.req, self.lecture.seed, None);
        Fill { written: s.questions.len(), total: self.req.n_mcq + self.req.n_tfq, spares: s.spares.len() }
    }

    /// Select the exam.
    pub fn finish(self) -> Writing {
        let selection = select::select(&self.checked, &self.req, self.lecture.seed, self.lecture.embed.as_deref());
        let mut reports = self.reports;
        for r in &mut reports {
            let (origin, model) = match r.name.split_once(':') {
                Some((o, m)) => (o.to_string(), Some(m.to_string())),
                None => (r.name.clone(), None),
            };
            let of = |w: &&crate::candidate::Written| w.origin == origin && w.model == model;
            r.used = selection.questions.iter().filter(of).count();
            r.verified = self
                .checked
                .iter()
                .filter(|c| matches!(c.verdict, Verdict::Verified { .. }) && c.candidate.origin.label() == origin && c.candidate.origin.model().map(str::to_string) == model)
                .count();
        }
        let used_llm: Vec<&SourceReport> = reports.iter().filter(|r| r.name.starts_with("llm:") && r.used > 0).collect();
        let generator = if used_llm.is_empty() {
            "builtin".to_string()
        } else {
            let mut names: Vec<String> = used_llm.iter().map(|r| r.name.clone()).collect();
            if reports.iter().any(|r| r.name == "rules" && r.used > 0) {
                names.push("rules".into());
            }
            names.join("+")
        };
        Writing {
            questions: selection.questions,
            spares: selection.spares,
            shortfall: selection.notes,
            stats: self.stats,
            generator,
            ranking: self.lecture.ranking.clone(),
            sources: reports,
        }
    }

    /// Examples of rejected candidates with their reasons (the first few hundred).
    pub fn rejected_samples(&self) -> &[Rejected] {
        &self.rejected_samples
    }

    /// Why candidates were rejected, most common first (for logs and the bench).
    pub fn rejections(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self.rejected.iter().map(|(k, n)| (k.clone(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

#[cfg(test)]
mod tests;
