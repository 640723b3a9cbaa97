//! The built-in exam generator: questions from the lecture itself, offline
//! and deterministic.
//!
//! 1. The cleaned pages are split into sentences and list items
//!    ([`text`]).
//! 2. Key terms are collected ([`terms`]): terms the lecture defines (`X is
//!    a Y`, `called X`, `known as X`, `Long Name (ACR)`), capitalised
//!    multi-word names, acronyms, frequent noun phrases (words the lecture
//!    uses after an article), and numbers by kind (years, percentages, other
//!    numbers with their unit).
//! 3. Multiple-choice questions are cloze questions: a sentence with one key
//!    term or number blanked; the distractors are other terms of the same kind
//!    from the lecture (terms for terms, years for years, same unit, similar
//!    length, same plurality), never one that appears in the sentence, never a
//!    part or an extension of the answer. Lists (`The three types are:` and
//!    its items) give "which of these is listed" questions.
//! 4. True/false questions are sentences of the lecture; half of them are
//!    made false by swapping a term or number for another of the same kind
//!    from the lecture, so the lecture itself contradicts them.
//! 5. Questions are spread over the document: it is cut into as many equal
//!    segments (by sentence position) as questions are asked, and each
//!    segment gives its best question before any segment gives a second.
//!
//! Every choice that is not decided by quality (ties, option order, which
//! true/false items are false) is decided by a hash of the text, so the same
//! lecture gives the same exam. If the lecture cannot support the requested
//! number of questions, fewer are written and the reason is recorded.

pub mod llm;
pub mod terms;
pub mod text;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::exam::{Exam, Question, TRUE_FALSE_OPTIONS};
use crate::upload::ExamParams;
use terms::{Span, Term, Terms};
use text::{fnv, mix, ListGroup, Sentence};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// `year`, `percent`, `number`, `list item`.
    pub answer_kind: String,
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
}

/// Facts about the analysed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Stats {
    pub pages: usize,
    pub words: usize,
    pub sentences: usize,
    pub key_terms: usize,
    pub numbers: usize,
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

const BLANK: &str = "_____";
const MIN_WORDS: usize = 6;
const MAX_WORDS: usize = 45;

/// Generate an exam from the cleaned pages of a lecture.
pub fn generate(pages: &[String], req: &Request) -> Generation {
    let (sentences, groups) = text::sentences(pages);
    let terms = Terms::collect(&sentences);
    let seed = pages.iter().fold(fnv(b"examfn"), |h, p| mix(h, fnv(p.as_bytes())));
    let words: usize = pages.iter().map(|p| p.split_whitespace().count()).sum();
    let stats = Stats {
        pages: pages.len(),
        words,
        sentences: sentences.len(),
        key_terms: terms.count_words(),
        numbers: terms.count_numbers(),
    };
    let mut g = Gen { sentences: &sentences, groups: &groups, terms: &terms, seed, used_sentences: BTreeSet::new() };
    let mut questions = g.multiple_choice(req);
    let mcq = questions.len();
    let tf = g.true_false(req.n_tfq);
    let tfq = tf.len();
    questions.extend(tf);
    let mut shortfall = Vec::new();
    if words < 30 {
        shortfall.push(format!("the lecture has only {words} words of text"));
    }
    if mcq < req.n_mcq {
        shortfall.push(format!(
            "{mcq} of {} multiple-choice questions: the lecture has too few statements whose key term or number has {} \
             other terms or numbers of the same kind to serve as distractors",
            req.n_mcq,
            req.n_options.saturating_sub(1)
        ));
    }
    if tfq < req.n_tfq {
        shortfall.push(format!(
            "{tfq} of {} true/false questions: the lecture has too few further statements with a term or number \
             that another of the same kind can replace",
            req.n_tfq
        ));
    }
    Generation { questions, shortfall, stats, generator: "builtin".to_string() }
}

struct Gen<'a> {
    sentences: &'a [Sentence],
    groups: &'a [ListGroup],
    terms: &'a Terms,
    seed: u64,
    used_sentences: BTreeSet<usize>,
}

/// A possible multiple-choice question, before distractors are chosen.
struct Candidate {
    sentence: usize,
    score: f64,
    tie: u64,
    what: What,
}

enum What {
    Cloze(Span),
    List { group: usize, item: usize },
}

fn sentence_ok(s: &Sentence) -> bool {
    let n = s.words();
    !s.item
        && (MIN_WORDS..=MAX_WORDS).contains(&n)
        && !s.text.ends_with('?')
        && !s.text.ends_with(':')
        && s.text.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || c == '"' || c == '“')
        && s.text.chars().filter(|c| c.is_alphabetic()).count() * 2 > s.text.len()
}

fn lengths_score(n: usize) -> f64 {
    if (10..=30).contains(&n) {
        1.0
    } else if n < 10 {
        0.6
    } else {
        0.7
    }
}

/// `a` or `an` for a following word (by its first letter; good enough for
/// terms, which rarely start with a silent h or a `you`-sounding u).
fn article_for(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        Some(c) if c.is_ascii_digit() && (word.starts_with('8') || word.starts_with("11") || word.starts_with("18")) => "an",
        _ => "a",
    }
}

fn capitalize_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Replace every occurrence of `span`'s term in the sentence with `with`;
/// fix `a`/`an` before it and the capital at the sentence start.
fn substitute(s: &Sentence, spans: &[Span], with: &str, fix_article: bool) -> String {
    let mut out = String::with_capacity(s.text.len() + 16);
    let mut pos = 0;
    for sp in spans {
        let start = s.toks[sp.first].start;
        let end = s.toks[sp.last].end;
        let mut before = s.text[pos..start].to_string();
        if fix_article && sp.first > 0 {
            let prev = s.tok(sp.first - 1);
            let pt = s.toks[sp.first - 1];
            if (prev.eq_ignore_ascii_case("a") || prev.eq_ignore_ascii_case("an")) && pt.end <= start && pt.start >= pos {
                // Before a blank the article must not give the answer away.
                let art = if with == BLANK { "a(n)" } else { article_for(with) };
                let art = if prev.starts_with('A') { capitalize_first(art) } else { art.to_string() };
                before = format!("{}{}{}", &s.text[pos..pt.start], art, &s.text[pt.end..start]);
            }
        }
        out.push_str(&before);
        if start == 0 && with != BLANK {
            out.push_str(&capitalize_first(with));
        } else {
            out.push_str(with);
        }
        pos = end;
    }
    out.push_str(&s.text[pos..]);
    out
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Gen<'_> {
    fn tie(&self, s: &str) -> u64 {
        mix(self.seed, fnv(s.as_bytes()))
    }

    /// All occurrences of the same term as `span` in its sentence.
    fn occurrences(&self, s: &Sentence, span: &Span) -> Vec<Span> {
        self.terms.spans(s).into_iter().filter(|o| o.term == span.term).collect()
    }

    fn candidates(&self) -> Vec<Candidate> {
        let mut out = Vec::new();
        for s in self.sentences {
            if !sentence_ok(s) {
                continue;
            }
            let len = lengths_score(s.words());
            for sp in self.terms.spans(s) {
                let t = self.terms.get(sp.term);
                let mut score = t.quality() * len;
                if t.defined_in == Some(s.index) {
                    score += 2.0;
                }
                out.push(Candidate {
                    sentence: s.index,
                    score,
                    tie: self.tie(&format!("{}#{}", s.text, t.key)),
                    what: What::Cloze(sp),
                });
            }
        }
        for (gi, g) in self.groups.iter().enumerate() {
            let intro = &self.sentences[g.intro];
            if intro.words() < 2 || intro.words() > 25 {
                continue;
            }
            for &it in &g.items {
                let item = &self.sentences[it];
                if (1..=5).contains(&item.words()) && item.text.len() <= 60 {
                    out.push(Candidate {
                        sentence: g.intro,
                        score: 2.5,
                        tie: self.tie(&format!("{}#{}", intro.text, item.text)),
                        what: What::List { group: gi, item: it },
                    });
                }
            }
        }
        out
    }

    /// Build the question of a candidate, or None when it lacks distractors.
    fn build_mcq(&self, c: &Candidate, n_options: usize, used_answers: &BTreeSet<String>) -> Option<Generated> {
        let s = &self.sentences[c.sentence];
        let (question, answer, distractors, kind) = match &c.what {
            What::Cloze(sp) => {
                let t = self.terms.get(sp.term);
                if used_answers.contains(&t.key) {
                    return None;
                }
                let occ = self.occurrences(s, sp);
                let blanked = substitute(s, &occ, BLANK, true);
                let lower = s.text.to_lowercase();
                let d = self.terms.distractors(t, n_options - 1, &lower, s.page, self.tie(&s.text), &[]);
                if d.len() < n_options - 1 {
                    return None;
                }
                (format!("Fill in the blank: {blanked}"), t.display.clone(), d, t.kind.label())
            }
            What::List { group, item } => {
                let g = &self.groups[*group];
                let answer = self.sentences[*item].text.trim_end_matches(['.', ';', ',']).to_string();
                if used_answers.contains(&answer.to_lowercase()) {
                    return None;
                }
                let listed: Vec<String> =
                    g.items.iter().map(|i| self.sentences[*i].text.to_lowercase()).collect();
                let words = self.sentences[*item].words();
                let d = self.terms.list_distractors(&answer, words, n_options - 1, &listed, self.tie(&answer));
                if d.len() < n_options - 1 {
                    return None;
                }
                let intro = s.text.trim_end_matches(':').trim();
                (format!("Which of the following does the lecture list under “{intro}”?"), answer, d, "list item")
            }
        };
        let mut options = distractors;
        let pos = (self.tie(&question) % n_options as u64) as usize;
        options.insert(pos.min(options.len()), answer.clone());
        Some(Generated {
            question: Question { question, options, correct_answer: answer },
            kind: QuestionType::MultipleChoice,
            page: s.page,
            source: s.text.clone(),
            answer_kind: kind.to_string(),
        })
    }

    /// Segments of the document for `n` questions: sentence index ranges.
    fn segments(&self, n: usize) -> Vec<(usize, usize)> {
        let total = self.sentences.len().max(1);
        (0..n).map(|i| (i * total / n, (i + 1) * total / n)).collect()
    }

    fn multiple_choice(&mut self, req: &Request) -> Vec<Generated> {
        if req.n_mcq == 0 || req.n_options < 2 {
            return Vec::new();
        }
        let mut cands = self.candidates();
        cands.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.tie.cmp(&b.tie)));
        let segs = self.segments(req.n_mcq);
        let mut taken: Vec<Option<Generated>> = vec![None; req.n_mcq];
        let mut used_answers: BTreeSet<String> = BTreeSet::new();
        let mut used_questions: BTreeSet<String> = BTreeSet::new();
        let mut done = vec![false; cands.len()];
        // Pass 1: the best question of each segment; pass 2: fill from anywhere.
        for pass in 0..2 {
            for (si, seg) in segs.iter().enumerate() {
                if taken[si].is_some() {
                    continue;
                }
                for (ci, c) in cands.iter().enumerate() {
                    if done[ci] || (pass == 0 && !(seg.0..seg.1).contains(&c.sentence)) {
                        continue;
                    }
                    if self.used_sentences.contains(&c.sentence) {
                        continue;
                    }
                    done[ci] = true;
                    if let Some(q) = self.build_mcq(c, req.n_options, &used_answers) {
                        if !used_questions.insert(norm(&q.question.question)) {
                            continue;
                        }
                        used_answers.insert(q.question.correct_answer.to_lowercase());
                        self.used_sentences.insert(c.sentence);
                        taken[si] = Some(q);
                        break;
                    }
                }
            }
        }
        let mut out: Vec<(usize, Generated)> =
            taken.into_iter().flatten().map(|q| (self.position_of(&q.source), q)).collect();
        out.sort_by_key(|(p, _)| *p);
        out.into_iter().map(|(_, q)| q).collect()
    }

    fn position_of(&self, source: &str) -> usize {
        self.sentences.iter().position(|s| s.text == source).unwrap_or(usize::MAX)
    }

    /// A false version of `s`: one term swapped for another of its kind.
    fn falsify(&self, s: &Sentence, all: &BTreeSet<String>) -> Option<(String, String)> {
        let lower = s.text.to_lowercase();
        let mut spans: Vec<Span> = self.terms.spans(s).into_iter().filter(|sp| self.terms.get(sp.term).swappable()).collect();
        spans.sort_by_key(|sp| std::cmp::Reverse((self.terms.get(sp.term).tf_quality() * 100.0) as i64));
        for sp in spans {
            let t = self.terms.get(sp.term);
            for alt in self.terms.distractors(t, 3, &lower, s.page, self.tie(&s.text), &[]) {
                let occ = self.occurrences(s, &sp);
                let changed = substitute(s, &occ, &alt, true);
                if !all.contains(&norm(&changed)) && norm(&changed) != norm(&s.text) {
                    return Some((changed, t.kind.label().to_string()));
                }
            }
        }
        None
    }

    fn true_false(&mut self, n: usize) -> Vec<Generated> {
        if n == 0 {
            return Vec::new();
        }
        let all: BTreeSet<String> = self.sentences.iter().map(|s| norm(&s.text)).collect();
        // Which of the n are false: half (the odd one decided by the text), in hash order.
        let n_false = if n % 2 == 1 && self.seed % 2 == 1 { n / 2 + 1 } else { n / 2 };
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|i| mix(self.seed, *i as u64 + 17));
        let falses: BTreeSet<usize> = order.into_iter().take(n_false).collect();
        let mut cands: Vec<(f64, u64, usize)> = self
            .sentences
            .iter()
            .filter(|s| sentence_ok(s) && s.words() >= 7 && s.words() <= 35 && !self.used_sentences.contains(&s.index))
            .filter_map(|s| {
                let spans = self.terms.spans(s);
                let best = spans
                    .iter()
                    .map(|sp| self.terms.get(sp.term))
                    .filter(|t| t.swappable())
                    .map(Term::tf_quality)
                    .fold(0.0, f64::max);
                (best > 0.0).then(|| (best * lengths_score(s.words()), self.tie(&s.text), s.index))
            })
            .collect();
        cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let segs = self.segments(n);
        let mut taken: Vec<Option<Generated>> = vec![None; n];
        let mut used_text: BTreeSet<String> = BTreeSet::new();
        for pass in 0..2 {
            for (si, seg) in segs.iter().enumerate() {
                if taken[si].is_some() {
                    continue;
                }
                let want_false = falses.contains(&si);
                for &(_, _, idx) in &cands {
                    if self.used_sentences.contains(&idx) || (pass == 0 && !(seg.0..seg.1).contains(&idx)) {
                        continue;
                    }
                    let s = &self.sentences[idx];
                    if used_text.contains(&norm(&s.text)) {
                        continue;
                    }
                    let (statement, answer, kind) = if want_false {
                        match self.falsify(s, &all) {
                            Some((changed, kind)) => (changed, TRUE_FALSE_OPTIONS[1], kind),
                            None => continue,
                        }
                    } else {
                        // A true statement must also be one that could be falsified
                        // (a checkable fact), so both kinds are alike.
                        match self.falsify(s, &all) {
                            Some((_, kind)) => (s.text.clone(), TRUE_FALSE_OPTIONS[0], kind),
                            None => continue,
                        }
                    };
                    self.used_sentences.insert(idx);
                    used_text.insert(norm(&s.text));
                    taken[si] = Some(Generated {
                        question: Question {
                            question: format!("True or false: {statement}"),
                            options: TRUE_FALSE_OPTIONS.iter().map(|s| s.to_string()).collect(),
                            correct_answer: answer.to_string(),
                        },
                        kind: QuestionType::TrueFalse,
                        page: s.page,
                        source: s.text.clone(),
                        answer_kind: kind,
                    });
                    break;
                }
            }
        }
        taken.into_iter().flatten().collect()
    }
}

/// For a term: is `other` a plausible same-kind distractor?
pub(crate) fn related(a: &Term, b: &Term) -> bool {
    a.key.contains(&b.key) || b.key.contains(&a.key)
}

#[cfg(test)]
mod tests;
