//! The verifier every candidate passes through, whichever source wrote it.
//!
//! A small model (or a rule) writes many questions a teacher would not hand
//! out: a key its passage does not support, a distractor that is also
//! correct, a stem that gives the key away or points at a passage the
//! student cannot see, a false statement that is false only because "not"
//! was inserted. The verifier checks each candidate against its passage and
//! the whole lecture and returns one of three verdicts:
//!
//! - [`Verdict::Verified`]: every check passed (with a score the selector ranks by);
//! - [`Verdict::Review`]: usable only after a teacher looked at it (the reason says why);
//! - [`Verdict::Rejected`]: never used.
//!
//! Multiple-choice candidates may come with more distractors than the exam
//! asks for: the verifier drops the bad ones and keeps the best
//! `n_options − 1`, or rejects the candidate when too few remain.

use std::collections::HashSet;
use std::sync::Arc;

use crate::analysis::prose::{classify, Class};
use crate::analysis::semantic::{cos, Embed};
use crate::candidate::{Candidate, Origin};
use crate::lexicon::{self, content_stems, coverage, is_negation, stem, words};
use crate::QuestionType;

/// What the verifier knows of the lecture.
pub struct Lecture {
    /// Every sentence of the lecture (any class), with its stems.
    sentences: Vec<(String, Vec<String>, HashSet<String>)>,
    embed: Option<Arc<dyn Embed>>,
}

impl Lecture {
    /// `sentences` in lecture order. A sentence that points back ("This can
    /// be used to …") is read together with the one before it, so that it
    /// still counts as saying what it says about the thing that one named.
    pub fn new(sentences: impl IntoIterator<Item = String>, embed: Option<Arc<dyn Embed>>) -> Self {
        let mut out: Vec<(String, Vec<String>, HashSet<String>)> = Vec::new();
        let mut prev: Vec<String> = Vec::new();
        for s in sentences {
            let st = content_stems(&s);
            let first = words(&s).into_iter().next().unwrap_or_default();
            let points_back = lexicon::POINTING_OPENERS.contains(&first.as_str());
            let set = st.iter().chain(prev.iter().filter(|_| points_back)).cloned().collect();
            prev = st.clone();
            out.push((s, st, set));
        }
        Self { sentences: out, embed }
    }

    /// A lecture sentence that states `claim` (≥ `min` of its content stems,
    /// all of `must` among them), if any.
    fn states(&self, claim: &[String], must: &[String], min: f64) -> Option<&str> {
        self.sentences
            .iter()
            .filter(|(_, _, set)| must.iter().all(|m| set.contains(m)))
            .find(|(_, _, set)| coverage(claim, set) >= min)
            .map(|(s, _, _)| s.as_str())
    }
}

/// The verdict on one candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Passed every check; higher scores are better questions.
    Verified { score: f64 },
    /// Usable only after a teacher's review: why.
    Review { score: f64, reason: String },
    /// Refused as written, for a fault a teacher mends in a few words (see
    /// [`editable`]), every other check passed: used only when nothing else
    /// fills the exam, marked for review.
    Mendable { score: f64, reason: String },
    Rejected { reason: String },
}

impl Verdict {
    pub fn is_rejected(&self) -> bool {
        matches!(self, Verdict::Rejected { .. } | Verdict::Mendable { .. })
    }
    /// Why it was refused, if it was.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            Verdict::Rejected { reason } | Verdict::Mendable { reason, .. } => Some(reason),
            _ => None,
        }
    }
    pub fn score(&self) -> f64 {
        match self {
            Verdict::Verified { score } | Verdict::Review { score, .. } | Verdict::Mendable { score, .. } => *score,
            Verdict::Rejected { .. } => 0.0,
        }
    }
}

/// The checks' thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Options each multiple-choice question has.
    pub n_options: usize,
    /// Share of a statement's content words its passage must hold.
    pub support: f64,
    /// Below this share (but at least half), the statement needs review.
    pub support_review: f64,
    /// Share of a swapped statement's words a lecture sentence must hold for
    /// a distractor (or a false statement) to count as also stated.
    pub also_true: f64,
    /// Cosine from which a distractor is a near-synonym of the key.
    pub synonym_cos: f32,
    /// Under this cosine to every sentence of its passage, a statement needs review.
    pub meaning_review: f32,
    /// Cosine under which a false statement's swapped words are of another
    /// kind than the words they replace (an absurd statement).
    pub swap_min_cos: f32,
}

impl Settings {
    pub fn new(n_options: usize) -> Self {
        Self { n_options, support: 0.75, support_review: 0.5, also_true: 0.8, synonym_cos: 0.86, meaning_review: 0.45, swap_min_cos: 0.2 }
    }
}

/// Check one candidate. `candidate` is changed in place: its distractors
/// become the best `n_options − 1` that pass.
pub fn verify(candidate: &mut Candidate, lecture: &Lecture, settings: &Settings) -> Verdict {
    let passage_words: Vec<String> = content_stems(&candidate.grounding.passage);
    let passage: HashSet<String> = passage_words.iter().cloned().collect();
    let mut review: Vec<String> = Vec::new();
    let mut score = 0.5 + 0.5 * candidate.prior.clamp(0.0, 1.0);

    // The first fault a teacher could mend; the other checks still run.
    let mut fault: Option<String> = None;
    let refuse = |why: String, fault: &mut Option<String>| -> Option<Verdict> {
        if editable(&why) {
            fault.get_or_insert(why);
            None
        } else {
            Some(Verdict::Rejected { reason: why })
        }
    };
    if let Err(why) = stem_ok(candidate) {
        if let Some(v) = refuse(why, &mut fault) {
            return v;
        }
    }
    // A model's statement must be a sentence: the classifier that keeps
    // fragments, code, tables, references and boilerplate out of the
    // rule-based source judges it too. (Its "dependent" and "heading" calls
    // are tuned to refuse more than a model's well-formed sentence deserves;
    // pointing back is checked above.)
    if candidate.origin != Origin::Rules && !candidate.statement.is_empty() {
        let class = classify(&candidate.statement);
        if matches!(class, Class::Fragment | Class::Code | Class::Table | Class::Reference | Class::Caption | Class::Boilerplate | Class::Footnote) {
            if let Some(v) = refuse(format!("its statement is not plain prose ({})", class.label()), &mut fault) {
                return v;
            }
        }
    }
    // The fact itself: its statement must be what the passage says.
    let statement = if candidate.statement.is_empty() { candidate.question.clone() } else { candidate.statement.clone() };
    let claim = content_stems(&statement);
    let supported = coverage(&claim, &passage);
    if let Some(n) = numbers(&statement).into_iter().find(|n| !numbers(&candidate.grounding.passage).contains(n)) {
        return Verdict::Rejected { reason: format!("the number {n} is not in its passage") };
    }
    if supported < settings.support_review {
        return Verdict::Rejected { reason: format!("its passage does not state it ({:.0} % of its words are there)", supported * 100.0) };
    }
    if supported < settings.support {
        review.push(format!("its passage holds only {:.0} % of the statement's words: check that the lecture says it", supported * 100.0));
    }
    score += 0.3 * supported;
    // In meaning too: a model's statement is close to a sentence of its
    // passage (the rules' statements are the lecture's sentences).
    if let (Some(e), false, false) = (&lecture.embed, candidate.grounding.passage.is_empty(), candidate.origin == Origin::Rules) {
        let mut texts: Vec<&str> = vec![statement.as_str()];
        let sentences: Vec<&str> = split_sentences(&candidate.grounding.passage);
        texts.extend(sentences.iter().copied());
        let v = e.embed(&texts);
        if let Some((first, rest)) = v.split_first() {
            let best = rest.iter().map(|s| cos(first, s)).fold(f32::MIN, f32::max);
            if !rest.is_empty() && best < settings.meaning_review {
                review.push(format!("its statement is far in meaning from every sentence of its passage (cosine {best:.2})"));
            }
            score += 0.2 * best.max(0.0) as f64;
        }
    } else if candidate.origin == Origin::Rules {
        score += 0.2;
    }

    match candidate.kind {
        QuestionType::TrueFalse => match true_false_ok(candidate, lecture, settings, &passage) {
            Err(why) => {
                if let Some(v) = refuse(why, &mut fault) {
                    return v;
                }
            }
            Ok(Some(why)) => review.push(why),
            Ok(None) => {}
        },
        QuestionType::MultipleChoice => {
            if candidate.fixed_options.is_none() {
                match options_ok(candidate, lecture, settings, &passage_words) {
                    Ok(s) => score += s,
                    // Only once the distractors were chosen (they are then
                    // the candidate's) is a fault of the options mendable.
                    Err((why, chosen)) => {
                        if !chosen {
                            return Verdict::Rejected { reason: why };
                        }
                        if let Some(v) = refuse(why, &mut fault) {
                            return v;
                        }
                    }
                }
            }
        }
    }
    if let Some(reason) = fault {
        Verdict::Mendable { score: score * 0.5, reason }
    } else if review.is_empty() {
        Verdict::Verified { score }
    } else {
        Verdict::Review { score: score * 0.8, reason: review.join("; ") }
    }
}

/// Refusals that leave a question wrong, unsupported by its lecture, or
/// unreadable: such a candidate is never handed out, not even for review.
const NEVER: &[&str] = &[
    "the number ",
    "its passage does not state it",
    "no key",
    "the key is \"",
    "the question holds markup or code",
    "the true statement is not what its passage says",
    "a false statement needs the true statement",
    "the false statement is the true one",
    "the false statement differs from the true one in no fact",
    "the lecture may state the \"false\" statement",
    "its passage holds every word of the \"false\" statement",
    "a true/false key must be",
    "the false statement changes a negation",
    "the question: a citation placeholder",
    "its statement: a citation placeholder",
    "the question: about the document",
    "its statement: about the document",
];

/// Whether a refused candidate may still fill an exam that verified
/// candidates and those wanting review cannot fill, marked for review: its
/// fault is one a teacher mends in a few words (a pointing phrase, a key
/// longer than its distractors, an article before the blank), never a wrong
/// or unsupported key.
pub fn editable(reason: &str) -> bool {
    // "the key \"…\" is not in its passage" too.
    // A false statement made absurd by its swap needs another swap.
    !NEVER.iter().any(|n| reason.starts_with(n)) && !reason.ends_with("is not in its passage") && !reason.ends_with("makes an absurd statement")
}

/// The sentences of a passage (split at sentence ends and line breaks).
fn split_sentences(passage: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = passage.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let end = b == b'\n' || (matches!(b, b'.' | b'?' | b'!') && bytes.get(i + 1).is_none_or(|n| *n == b' ' || *n == b'\n'));
        if end {
            let s = passage[start..=i].trim();
            if s.split_whitespace().count() >= 3 {
                out.push(s);
            }
            start = i + 1;
        }
    }
    let tail = passage[start..].trim();
    if tail.split_whitespace().count() >= 3 {
        out.push(tail);
    }
    out
}

/// Numbers a text states.
fn numbers(text: &str) -> Vec<String> {
    words(text).into_iter().filter(|w| lexicon::is_number(w)).map(|w| w.trim_end_matches('.').replace(',', "")).collect()
}

/// The sentence a stem asks about: the stem without a cloze's "Fill in the
/// blank:" and a true/false item's "True or false:".
fn core(q: &str) -> &str {
    let t = q.trim();
    for p in ["Fill in the blank:", "True or false:"] {
        if let Some(rest) = t.strip_prefix(p) {
            return rest.trim_start();
        }
    }
    t
}

/// Why a sentence (a statement, or the sentence of a stem) is not clean,
/// self-contained prose: an instruction, a fragment cut off, a slide's
/// "label: text", a reference to a table or figure, the reader addressed,
/// a word doubled, a script the passage does not use.
fn sentence_problem(text: &str, passage: &str) -> Option<String> {
    let t = text.trim();
    let ws = words(t);
    let first = ws.first().map(String::as_str).unwrap_or("");
    if lexicon::IMPERATIVES.contains(&first) {
        return Some(format!("an instruction (\"{first} …\"), not a fact"));
    }
    // "To use mutt on stable, modify it …": an instruction after its purpose.
    if first == "to" {
        if let Some((_, after)) = t.split_once(", ") {
            let next = words(after).into_iter().next().unwrap_or_default();
            if lexicon::IMPERATIVES.contains(&next.as_str()) {
                return Some(format!("an instruction (\"{next} …\"), not a fact"));
            }
        }
    }
    if crate::passages::has_placeholder(t) {
        return Some("a citation placeholder (\"?\") where a reference was".into());
    }
    if let Some(w) = ws.iter().find(|w| lexicon::PERSONAL.contains(&w.as_str())) {
        return Some(format!("it speaks to the reader (\"{w}\")"));
    }
    if let Some(w) = ws.iter().skip(1).find(|w| lexicon::DEMONSTRATIVES.contains(&w.as_str())) {
        return Some(format!("it points back at what came before (\"{w}\")"));
    }
    if let Some(pair) = ws.windows(2).find(|p| lexicon::PART_NOUNS.contains(&p[0].as_str()) && p[1].chars().next().is_some_and(|c| c.is_ascii_digit())) {
        return Some(format!("it points at a part of the document (\"{} {}\")", pair[0], pair[1]));
    }
    if let Some(p) = ws.windows(2).find(|p| p[0] == p[1] && p[0].chars().all(char::is_alphabetic) && p[0].len() > 1) {
        return Some(format!("a word twice (\"{} {}\")", p[0], p[1]));
    }
    let without_blank = t.replace("_____", "");
    if without_blank.contains([':', ';']) {
        return Some("a label or a list (a colon or a semicolon), not one sentence".into());
    }
    let last = ws.last().map(String::as_str).unwrap_or("");
    let blank_last = t.trim_end_matches(['.', '?']).trim_end().ends_with("_____");
    if !blank_last && lexicon::is_stopword(last) && !matches!(last, "used" | "known" | "called" | "true" | "false" | "one" | "all" | "both" | "it") && t.ends_with('.') {
        return Some(format!("it is cut off (ends with \"{last}\")"));
    }
    if let Some(c) = t.chars().find(|c| c.is_alphabetic() && !c.is_ascii() && !passage.contains(*c) && !"’‘“”–—éèàçüöäñ".contains(*c)) {
        return Some(format!("a character the lecture does not use ({c})"));
    }
    None
}

/// The stem (or true/false statement) is a self-contained, clean question.
fn stem_ok(c: &Candidate) -> Result<(), String> {
    let q = c.question.trim();
    let lower = q.to_lowercase();
    if let Some(why) = sentence_problem(core(q), &c.grounding.passage) {
        return Err(format!("the question: {why}"));
    }
    if c.statement != c.question {
        if let Some(why) = sentence_problem(&c.statement, &c.grounding.passage) {
            return Err(format!("its statement: {why}"));
        }
    }
    let n = words(q).len();
    if !(4..=45).contains(&n) {
        return Err(format!("the question has {n} words"));
    }
    if q.contains(['\n', '\\', '{', '}', '<', '>', '|']) || lower.contains("http") || q.contains("```") {
        return Err("the question holds markup or code".into());
    }
    if q.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_uppercase()) {
        return Err("the question is in capitals".into());
    }
    let padded = format!(" {} ", lower.replace(|c: char| !c.is_alphanumeric() && c != '\'' && c != '_', " "));
    if let Some(p) = lexicon::POINTING_PHRASES.iter().find(|p| padded.contains(&format!(" {} ", p.trim()))) {
        return Err(format!("the question points at something the student cannot see (\"{}\")", p.trim()));
    }
    let first = words(core(q)).into_iter().next().unwrap_or_default();
    if lexicon::POINTING_OPENERS.contains(&first.as_str()) {
        return Err(format!("the question starts with \"{first}\", which points back"));
    }
    if let Some(why) = cues::about_the_document(core(q)) {
        return Err(format!("the question: {why}"));
    }
    if let Some(why) = cues::about_the_document(&c.statement) {
        return Err(format!("its statement: {why}"));
    }
    if let Some(why) = cues::dangling_subject(core(q)) {
        return Err(format!("the question: {why}"));
    }
    match c.kind {
        QuestionType::TrueFalse => {
            if let Some(h) = hedge(core(q)) {
                return Err(format!("a hedged or judging statement (\"{h}\"): a student answers it by common sense"));
            }
            if !q.ends_with('.') || q.ends_with("..") {
                return Err("a true/false statement must be one sentence ending with a full stop".into());
            }
            if q.contains('?') {
                return Err("a true/false statement must not be a question".into());
            }
        }
        QuestionType::MultipleChoice => {
            let blank = q.contains("_____");
            if !blank && !q.ends_with('?') {
                return Err("a multiple-choice stem must be a question or hold a blank".into());
            }
        }
    }
    Ok(())
}

/// The word that hedges or judges `statement` ([`lexicon::HEDGES`], "rather"
/// but not "rather than", "in some cases", "can help"), if one does.
fn hedge(statement: &str) -> Option<String> {
    let ws = words(statement);
    for (i, w) in ws.iter().enumerate() {
        let next = ws.get(i + 1).map(String::as_str).unwrap_or("");
        if lexicon::HEDGES.contains(&w.as_str()) || (w == "rather" && next != "than") {
            return Some(w.clone());
        }
        if (w == "some" && matches!(next, "cases" | "situations")) || (w == "can" && next == "help") {
            return Some(format!("{w} {next}"));
        }
    }
    None
}

/// A true/false candidate: a true one is the lecture's fact; a false one
/// differs from its true statement in a fact (a term, a name, a number), not
/// only in a negation, and the lecture does not state it. A statement made
/// false by a negation is not wrong, but a student answers it by the word
/// "not": it is refused as mendable, the last resort of the selector, marked
/// for a teacher's review.
fn true_false_ok(c: &Candidate, lecture: &Lecture, settings: &Settings, passage: &HashSet<String>) -> Result<Option<String>, String> {
    match c.answer.as_str() {
        "True" => {
            if !c.statement.is_empty() && c.statement.trim() != core(&c.question) {
                let claim = content_stems(core(&c.question));
                if coverage(&claim, passage) < settings.support {
                    return Err("the true statement is not what its passage says".into());
                }
            }
            Ok(None)
        }
        "False" => {
            if c.statement.trim().is_empty() {
                return Err("a false statement needs the true statement it was made from".into());
            }
            let (removed, added) = word_diff(&c.statement, core(&c.question));
            let substantive = |ws: &[String]| ws.iter().any(|w| !lexicon::is_stopword(w) && !is_negation(w) || lexicon::is_number(w));
            let negation_change =
                added.iter().chain(&removed).any(|w| is_negation(w));
            if !substantive(&added) && !substantive(&removed) {
                return if negation_change {
                    Err("false only through an inserted \"not\": a student answers it by that word; change a fact instead".into())
                } else if added.is_empty() && removed.is_empty() {
                    Err("the false statement is the true one".into())
                } else {
                    Err("the false statement differs from the true one in no fact".into())
                };
            }
            if negation_change {
                return Err("the false statement changes a negation as well as a fact: the negation gives it away".into());
            }
            // The changed statement must not be what the lecture says elsewhere.
            let claim = content_stems(core(&c.question));
            let must: Vec<String> = added.iter().filter(|w| !lexicon::is_stopword(w)).map(|w| stem(w)).collect();
            if let Some(s) = lecture.states(&claim, &must, settings.also_true) {
                return Err(format!("the lecture may state the \"false\" statement: \"{}\"", clip(s)));
            }
            if !must.is_empty() && coverage(&claim, passage) >= 0.999 {
                return Err("its passage holds every word of the \"false\" statement".into());
            }
            // A swap for something of another kind is absurd, and so a giveaway.
            if let Some(e) = &lecture.embed {
                let (was, now) = (content_text(&removed), content_text(&added));
                if !was.is_empty() && !now.is_empty() {
                    let v = e.embed(&[was.as_str(), now.as_str()]);
                    if v.len() == 2 && cos(&v[0], &v[1]) < settings.swap_min_cos {
                        return Err(format!("\"{now}\" in place of \"{was}\" makes an absurd statement"));
                    }
                }
            }
            Ok(None)
        }
        other => Err(format!("a true/false key must be True or False, not {other:?}")),
    }
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// The content words of a diff, as text.
fn content_text(ws: &[String]) -> String {
    ws.iter().filter(|w| !lexicon::is_stopword(w) && !is_negation(w)).cloned().collect::<Vec<_>>().join(" ")
}

/// Words removed from `from` and added in `to` (a multiset difference, lower-case).
fn word_diff(from: &str, to: &str) -> (Vec<String>, Vec<String>) {
    let a = words(from);
    let b = words(to);
    let mut rest_b = b.clone();
    let mut removed = Vec::new();
    for w in &a {
        if let Some(i) = rest_b.iter().position(|x| x == w) {
            rest_b.remove(i);
        } else {
            removed.push(w.clone());
        }
    }
    (removed, rest_b)
}

pub(crate) mod cues;
mod options;

use options::options_ok;

#[cfg(test)]
mod tests;
