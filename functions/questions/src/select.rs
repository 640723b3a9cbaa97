//! The selector: from every source's checked candidates, the exam of exactly
//! the size asked.
//!
//! 1. Verified candidates first, best score first; a candidate the verifier
//!    wants reviewed only when verified ones run out (it stays marked
//!    `needs_review` with the reason); then, the last resort, one the checks
//!    refused for a fault a teacher mends in a few words (`Mendable`: a
//!    pointing phrase, a key longer than its distractors; never a wrong or
//!    unsupported key), marked `needs_review` with the fault; a shortfall
//!    only when all of these run out.
//! 2. One question per fact and per lecture sentence, none a near-duplicate
//!    of another (shared content words, or close sentence embeddings), none
//!    whose key another question gives away.
//! 3. Spread: over the lecture (its length cut into stretches, each with its
//!    share of questions) and over question forms (a form used already weighs
//!    less).
//! 4. True/false: half false (the odd one decided by the lecture's text);
//!    places an even split cannot fill go to multiple choice (when the exam
//!    asks for any), and only as the last resort to an uneven split.
//! 5. Options: in an order from a hash of the text, and the key's position
//!    spread evenly over the exam's questions (ordered option sets, such as
//!    True/False and "I only … Neither", keep their order).

use std::collections::HashSet;

use crate::analysis::semantic::{cos, Embed};
use crate::analysis::text::{fnv, mix};
use crate::candidate::{Candidate, Written};
use crate::lexicon::{self, content_stems};
use crate::verify::Verdict;
use crate::{Generated, QuestionType, Request};
use examfn_domain::exam::Question;

/// Most spare questions kept for replacements.
pub const MAX_SPARES: usize = 20;

/// Stretches of the lecture the exam is spread over (at most).
const BANDS: usize = 5;

/// A candidate the verifier passed (or wants reviewed).
#[derive(Debug, Clone)]
pub struct Checked {
    pub candidate: Candidate,
    pub verdict: Verdict,
}

/// The selection.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub questions: Vec<Written>,
    pub spares: Vec<Written>,
    /// Why the exam is short, or why some questions need review.
    pub notes: Vec<String>,
}

/// How a pass of the selector fills the true/false places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// Half of them false, the multiple-choice places as asked.
    Even,
    /// Half of them false; places an even split leaves empty go to multiple choice.
    ToChoice,
    /// Any truth value.
    Any,
}

struct Pick<'a> {
    c: &'a Checked,
    stems: HashSet<String>,
    vec: Option<Vec<f32>>,
}

/// Choose the exam. `seed` decides ties, option order and which true/false
/// items are false (a hash of the lecture: the same lecture gives the same exam).
pub fn select(checked: &[Checked], req: &Request, seed: u64, embed: Option<&dyn Embed>) -> Selection {
    // Verified, then wanting review, then (the last resort) refused for a
    // fault a teacher mends in a few words.
    let usable: Vec<&Checked> = checked.iter().filter(|c| tier(c) < 3).collect();
    let vecs: Vec<Option<Vec<f32>>> = match embed {
        Some(e) if !usable.is_empty() => {
            let texts: Vec<&str> = usable.iter().map(|c| fact_text(&c.candidate)).collect();
            e.embed(&texts).into_iter().map(Some).collect()
        }
        _ => vec![None; usable.len()],
    };
    let mut order: Vec<usize> = (0..usable.len()).collect();
    let tie = |i: usize| mix(seed, fnv(usable[i].candidate.question.as_bytes()));
    order.sort_by(|&a, &b| {
        tier(usable[a]).cmp(&tier(usable[b])).then(usable[b].verdict.score().total_cmp(&usable[a].verdict.score())).then(tie(a).cmp(&tie(b)))
    });

    let mut chosen: Vec<Pick> = Vec::new();
    let mut facts: HashSet<u64> = HashSet::new();
    let mut sentences: HashSet<String> = HashSet::new();
    let mut notes = Vec::new();
    let bands = BANDS.min((req.n_mcq + req.n_tfq).max(1));
    let n_false = if req.n_tfq % 2 == 1 && seed % 2 == 1 { req.n_tfq / 2 + 1 } else { req.n_tfq / 2 };
    // Never more true statements than false ones plus one, nor the other way
    // round: a student who answers every statement True (or False) would
    // score above chance. The caps come from the facts that have a statement
    // of each truth value, so places an even split cannot fill go to
    // multiple choice early.
    let facts_of = |answer: &str| usable.iter().filter(|c| c.candidate.kind == QuestionType::TrueFalse && c.candidate.answer == answer).map(|c| c.candidate.fact).collect::<HashSet<u64>>().len();
    let (n_true, n_false) = ((req.n_tfq - n_false).min(facts_of("False") + 1), n_false.min(facts_of("True") + 1));
    let total = req.n_mcq + req.n_tfq;
    // Passes: verified only, then with those that need review; both with
    // half the true/false items false. Then the true/false places that an
    // even split leaves empty go to multiple choice (a surplus of true
    // statements would give their key away), first verified, then wanting
    // review, then mendable. Only then an uneven split, and never by more
    // than one.
    use Fill::*;
    for (max_tier, fill) in [(0, Even), (1, Even), (0, ToChoice), (1, ToChoice), (2, Even), (2, ToChoice), (0, Any), (1, Any), (2, Any)] {
        // `(trues, falses)`: the true and the false statements chosen so far.
        let want = |kind: QuestionType, answer: &str, (trues, falses): (usize, usize)| -> usize {
            let tf_have = trues + falses;
            match (kind, fill) {
                // An exam of true/false only gets no multiple choice.
                (QuestionType::MultipleChoice, _) if req.n_mcq == 0 => 0,
                (QuestionType::MultipleChoice, Even) => req.n_mcq,
                (QuestionType::MultipleChoice, _) => total.saturating_sub(tf_have),
                // Any split of the places, but never two more of one truth value.
                (QuestionType::TrueFalse, Any) if tf_have >= req.n_tfq => 0,
                (QuestionType::TrueFalse, Any) => {
                    let (same, other) = if answer == "False" { (falses, trues) } else { (trues, falses) };
                    if same > other { 0 } else { usize::MAX }
                }
                (QuestionType::TrueFalse, _) if answer == "False" => n_false,
                (QuestionType::TrueFalse, _) => n_true,
            }
        };
        let balanced = fill != Any;
        loop {
            if chosen.len() >= total {
                break;
            }
            let tf_have = true_false_split(&chosen);
            let mut best: Option<(usize, f64)> = None;
            for &i in &order {
                let c = usable[i];
                if tier(c) > max_tier {
                    continue;
                }
                let cand = &c.candidate;
                let have = chosen
                    .iter()
                    .filter(|p| p.c.candidate.kind == cand.kind && (cand.kind == QuestionType::MultipleChoice || !balanced || p.c.candidate.answer == cand.answer))
                    .count();
                if have >= want(cand.kind, &cand.answer, tf_have) || facts.contains(&cand.fact) {
                    continue;
                }
                let sentence_key = lexicon::norm_option(&cand.grounding.sentence);
                if !sentence_key.is_empty() && sentences.contains(&sentence_key) {
                    continue;
                }
                let stems: HashSet<String> = content_stems(fact_text(cand)).into_iter().collect();
                if chosen.iter().any(|p| conflicts(p, cand, &stems, vecs[i].as_deref())) {
                    continue;
                }
                // Spread over the lecture and over forms.
                let band = |p: f64| ((p * bands as f64) as usize).min(bands - 1);
                let in_band = chosen.iter().filter(|p| band(p.c.candidate.grounding.position) == band(cand.grounding.position)).count();
                let fair = (req.n_mcq + req.n_tfq).div_ceil(bands);
                let same_form = chosen.iter().filter(|p| p.c.candidate.form == cand.form).count();
                let score = c.verdict.score() - 0.12 * same_form as f64 - if in_band >= fair { 0.25 * (in_band + 1 - fair) as f64 } else { 0.0 };
                if best.is_none_or(|(_, s)| score > s) {
                    best = Some((i, score));
                }
            }
            let Some((i, _)) = best else { break };
            let c = usable[i];
            facts.insert(c.candidate.fact);
            let sk = lexicon::norm_option(&c.candidate.grounding.sentence);
            if !sk.is_empty() {
                sentences.insert(sk);
            }
            chosen.push(Pick { c, stems: content_stems(fact_text(&c.candidate)).into_iter().collect(), vec: vecs[i].clone() });
        }
    }
    // A statement of the other truth value whose fact went elsewhere can
    // leave a surplus after all: the last chosen (the weakest) go.
    let mut dropped_tf = 0;
    loop {
        let (trues, falses) = true_false_split(&chosen);
        let surplus = if trues > falses + 1 { "True" } else if falses > trues + 1 { "False" } else { break };
        let last = chosen.iter().rposition(|p| p.c.candidate.kind == QuestionType::TrueFalse && p.c.candidate.answer == surplus).expect("a surplus has a member");
        chosen.remove(last);
        dropped_tf += 1;
    }
    let review = chosen.iter().filter(|p| !verified(p.c)).count();
    if review > 0 {
        notes.push(format!(
            "{review} question{} could not be verified and need{} your review",
            if review == 1 { "" } else { "s" },
            if review == 1 { "s" } else { "" }
        ));
    }
    let (trues, falses) = true_false_split(&chosen);
    // The balance left true/false places empty that statements of one truth
    // value could fill (not when the exam is short of multiple choice only).
    let (few, many, n_many) = if trues < falses { ("True", "False", falses) } else { ("False", "True", trues) };
    if chosen.len() < total && trues + falses < req.n_tfq && (dropped_tf > 0 || facts_of(many) > n_many) {
        notes.push(format!(
            "{trues} of the true/false statements are true and {falses} false: the lecture gave too few {} statements that pass the checks, and more {} ones would give their key away",
            few.to_lowercase(),
            many.to_lowercase()
        ));
    }
    let count = |kind| chosen.iter().filter(|p| p.c.candidate.kind == kind).count();
    let (mcq, tfq) = (count(QuestionType::MultipleChoice), count(QuestionType::TrueFalse));
    if mcq + tfq < total {
        if mcq < req.n_mcq {
            notes.push(format!("{mcq} of {} multiple-choice questions: the lecture's text supports no more that pass the checks", req.n_mcq));
        }
        if tfq < req.n_tfq {
            notes.push(format!("{tfq} of {} true/false questions: the lecture's text supports no more that pass the checks", req.n_tfq));
        }
    } else if tfq < req.n_tfq {
        notes.push(format!(
            "{} of the {} true/false questions asked are multiple choice: too few false statements passed the checks for an even split",
            req.n_tfq - tfq,
            req.n_tfq
        ));
    }

    // Exam order: multiple choice, then true/false, each in lecture order.
    chosen.sort_by(|a, b| {
        (a.c.candidate.kind == QuestionType::TrueFalse)
            .cmp(&(b.c.candidate.kind == QuestionType::TrueFalse))
            .then(a.c.candidate.grounding.position.total_cmp(&b.c.candidate.grounding.position))
    });
    let positions = key_positions(chosen.iter().filter(|p| p.c.candidate.kind == QuestionType::MultipleChoice && p.c.candidate.fixed_options.is_none()).count(), req.n_options, seed);
    let mut next_position = positions.into_iter();
    let questions: Vec<Written> = chosen
        .iter()
        .map(|p| {
            let c = &p.c.candidate;
            let at = if c.kind == QuestionType::MultipleChoice && c.fixed_options.is_none() { next_position.next() } else { None };
            written(p.c, seed, at)
        })
        .collect();

    // Spares: verified, of facts not asked, none a duplicate of a question.
    let mut spares = Vec::new();
    for &i in &order {
        if spares.len() >= MAX_SPARES {
            break;
        }
        let c = usable[i];
        if !verified(c) || facts.contains(&c.candidate.fact) {
            continue;
        }
        let stems: HashSet<String> = content_stems(fact_text(&c.candidate)).into_iter().collect();
        if chosen.iter().any(|p| conflicts(p, &c.candidate, &stems, vecs[i].as_deref())) {
            continue;
        }
        facts.insert(c.candidate.fact);
        let at = (c.candidate.kind == QuestionType::MultipleChoice && c.candidate.fixed_options.is_none())
            .then(|| (mix(seed, fnv(c.candidate.question.as_bytes())) % req.n_options.max(1) as u64) as usize);
        spares.push(written(c, seed, at));
    }
    Selection { questions, spares, notes }
}

/// The true and the false statements among `chosen`.
fn true_false_split(chosen: &[Pick]) -> (usize, usize) {
    let n = |answer: &str| chosen.iter().filter(|p| p.c.candidate.kind == QuestionType::TrueFalse && p.c.candidate.answer == answer).count();
    (n("True"), n("False"))
}

fn verified(c: &Checked) -> bool {
    matches!(c.verdict, Verdict::Verified { .. })
}

/// 0 verified, 1 wants review, 2 mendable, 3 rejected.
fn tier(c: &Checked) -> u8 {
    match c.verdict {
        Verdict::Verified { .. } => 0,
        Verdict::Review { .. } => 1,
        Verdict::Mendable { .. } => 2,
        Verdict::Rejected { .. } => 3,
    }
}

/// The text that says what a candidate is about (its fact).
fn fact_text(c: &Candidate) -> &str {
    if c.statement.is_empty() {
        &c.question
    } else {
        &c.statement
    }
}

/// Whether `cand` repeats a chosen question or gives its key away (or the other way round).
fn conflicts(p: &Pick, cand: &Candidate, stems: &HashSet<String>, vec: Option<&[f32]>) -> bool {
    let shared = p.stems.intersection(stems).count();
    let smaller = p.stems.len().min(stems.len()).max(1);
    if shared as f64 / smaller as f64 >= 0.6 {
        return true;
    }
    if let (Some(a), Some(b)) = (p.vec.as_deref(), vec) {
        if cos(a, b) >= 0.88 {
            return true;
        }
    }
    let other = &p.c.candidate;
    // One question's key in the other's stem, about the same thing.
    let gives = |a: &Candidate, b: &Candidate| {
        a.kind == QuestionType::MultipleChoice && {
            let key = content_stems(&a.answer);
            let stem_b: HashSet<String> = content_stems(&b.question).into_iter().collect();
            !key.is_empty() && key.iter().all(|k| stem_b.contains(k)) && shared * 3 >= smaller
        }
    };
    other.answer.eq_ignore_ascii_case(&cand.answer) && cand.kind == QuestionType::MultipleChoice && other.kind == QuestionType::MultipleChoice
        || gives(other, cand)
        || gives(cand, other)
}

/// Key positions for `n` questions of `k` options: each position equally
/// often (±1), in an order from `seed`.
pub fn key_positions(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let k = k.max(1);
    let mut out = Vec::with_capacity(n);
    let mut round = 0u64;
    while out.len() < n {
        let mut perm: Vec<usize> = (0..k).collect();
        perm.sort_by_key(|&p| mix(mix(seed, round), p as u64));
        out.extend(perm.into_iter().take(n - out.len()));
        round += 1;
    }
    out
}

/// The sidecar entry for a chosen candidate, its key at `key_at` (or
/// options in hash order when `None`).
fn written(c: &Checked, seed: u64, key_at: Option<usize>) -> Written {
    let cand = &c.candidate;
    let options = match (&cand.fixed_options, cand.kind) {
        (Some(f), _) => f.clone(),
        (None, QuestionType::TrueFalse) => cand.options(),
        (None, QuestionType::MultipleChoice) => {
            let mut ds = cand.distractors.clone();
            ds.sort_by_key(|d| mix(seed, fnv(d.as_bytes())));
            let at = key_at.unwrap_or(0).min(ds.len());
            ds.insert(at, cand.answer.clone());
            ds
        }
    };
    let needs_review = match &c.verdict {
        Verdict::Review { reason, .. } => Some(reason.clone()),
        Verdict::Mendable { reason, .. } => Some(format!("the checks refused it as written ({reason}): mend it or replace it")),
        _ => None,
    };
    Written {
        generated: Generated {
            question: Question { question: cand.question.clone(), options, correct_answer: cand.answer.clone() },
            kind: cand.kind,
            page: cand.grounding.page,
            source: if cand.grounding.sentence.is_empty() { cand.statement.clone() } else { cand.grounding.sentence.clone() },
            answer_kind: cand.answer_kind.clone(),
            form: cand.form.clone(),
        },
        origin: cand.origin.label().to_string(),
        model: cand.origin.model().map(str::to_string),
        passage: cand.grounding.passage.clone(),
        needs_review,
    }
}

#[cfg(test)]
mod tests;
