//! Which candidates become the exam's multiple-choice questions: the best of
//! each segment of the lecture first, forms and pages already used weighing
//! less, no near-duplicates, a few questions per glossary, statement pairs
//! only from what the true/false questions leave.

use std::collections::{BTreeMap, BTreeSet};

use super::forms::{Form, What};
use super::gate::hedged;
use super::grammar::norm;
use super::Gen;
use crate::analysis::semantic;
use crate::analysis::text::fnv;
use crate::{Generated, Request};

/// Questions one glossary ([`glossary::find`](crate::analysis::glossary::find)) may give.
pub(super) const MAX_PER_GLOSSARY: usize = 3;

impl Gen<'_> {
    pub(super) fn multiple_choice(&mut self, req: &Request) -> Vec<Generated> {
        if req.n_mcq == 0 || req.n_options < 2 {
            return Vec::new();
        }
        let all: BTreeSet<String> = self.sentences.iter().map(|s| norm(&s.text)).collect();
        let mut cands = self.candidates();
        cands.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.tie.cmp(&b.tie)));
        let segs = self.segments(req.n_mcq);
        let mut taken: Vec<Option<Generated>> = vec![None; req.n_mcq];
        let mut used_questions: BTreeSet<String> = BTreeSet::new();
        let mut taken_sentences: Vec<usize> = Vec::new();
        let mut form_count: BTreeMap<Form, usize> = BTreeMap::new();
        let mut used_pages: BTreeSet<usize> = BTreeSet::new();
        // Questions per glossary: a few, not a whole exam from one slide.
        let mut per_glossary: BTreeMap<usize, usize> = BTreeMap::new();
        // Statement pairs take two sentences each: only from what the
        // true/false questions leave (they need one each).
        // Sentences a pair may use; the count of distinct ones (a text
        // repeated on several pages is one statement).
        self.pairable = self
            .sentences
            .iter()
            .filter(|s| self.gated(s) && s.words() <= 26 && !hedged(s) && self.falsify(s, &all, true).is_some())
            .map(|s| s.index)
            .collect();
        // True/false needs statements that are no near-duplicates of each other.
        let mut distinct: Vec<usize> = Vec::new();
        for s in self.sentences.iter().filter(|s| self.gated(s) && s.words() <= 32 && !hedged(s) && self.falsify(s, &all, true).is_some()) {
            if !self.near_duplicate(s.index, &distinct) {
                distinct.push(s.index);
            }
        }
        let mut pair_budget = distinct.len().saturating_sub(req.n_tfq) / 2;
        let mut done = vec![false; cands.len()];
        // Pass 0: the best question of each segment; 1: fill from anywhere;
        // 2: also from sentences a statement question quotes.
        for pass in 0..3 {
            for (si, seg) in segs.iter().enumerate() {
                if taken[si].is_some() {
                    continue;
                }
                // The best remaining candidate, forms already used weighing less.
                let mut order: Vec<usize> = (0..cands.len())
                    .filter(|&ci| !done[ci] && (pass >= 1 || (seg.0..seg.1).contains(&cands[ci].sentence)))
                    .collect();
                // Forms and pages already used weigh less: a mix of forms over the whole lecture.
                let adjusted = |ci: usize| {
                    let c = &cands[ci];
                    let page = if used_pages.contains(&self.sentences[c.sentence].page) { 0.7 } else { 1.0 };
                    c.score * page * 0.8f64.powi(*form_count.get(&c.what.form()).unwrap_or(&0) as i32)
                };
                order.sort_by(|a, b| adjusted(*b).total_cmp(&adjusted(*a)).then(cands[*a].tie.cmp(&cands[*b].tie)));
                for ci in order {
                    let c = &cands[ci];
                    if self.used_sentences.contains(&c.sentence) || (pass < 2 && self.quoted.contains(&c.sentence)) || self.near_duplicate(c.sentence, &taken_sentences) {
                        continue;
                    }
                    if let What::Gloss { run, .. } = c.what {
                        if per_glossary.get(&run).copied().unwrap_or(0) >= MAX_PER_GLOSSARY {
                            continue;
                        }
                    }
                    if matches!(c.what, What::Pair) && pair_budget == 0 {
                        continue;
                    }
                    done[ci] = true;
                    if let Some(q) = self.build_mcq(c, req.n_options, &all) {
                        // Statement questions share their stem; they differ by their options.
                        if !used_questions.insert(norm(&format!("{} {}", q.question.question, q.question.correct_answer))) {
                            continue;
                        }
                        // The sentences a statement question quotes (true or
                        // falsified) are not quoted again, and true/false
                        // questions take them only when nothing else is left.
                        if matches!(c.what, What::Statement | What::FalseStatement) {
                            let quoted = self.quoted_sentences(&q.question.options);
                            self.quoted.extend(quoted);
                        }
                        self.used_answers.insert(q.question.correct_answer.to_lowercase());
                        if let What::TermFor(di) | What::Meaning(di) = c.what {
                            self.used_answers.insert(self.defs[di].key.clone());
                        }
                        if let What::Gloss { run, .. } = c.what {
                            *per_glossary.entry(run).or_default() += 1;
                        }
                        // Both sentences of a pair are used.
                        if matches!(c.what, What::Pair) {
                            if let Some(other) = self.pair_partner(c.sentence, &all) {
                                self.used_sentences.insert(other);
                                taken_sentences.push(other);
                            }
                            pair_budget -= 1;
                        }
                        self.used_sentences.insert(c.sentence);
                        taken_sentences.push(c.sentence);
                        used_pages.insert(self.sentences[c.sentence].page);
                        *form_count.entry(c.what.form()).or_default() += 1;
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

    /// The sentences that options quote as they are or falsified.
    fn quoted_sentences(&self, options: &[String]) -> Vec<usize> {
        let wanted: BTreeSet<String> = options.iter().map(|o| norm(o)).collect();
        let mut out: Vec<usize> = self.sentences.iter().filter(|s| wanted.contains(&norm(&s.text))).map(|s| s.index).collect();
        for (&(i, _), done) in self.falsified.borrow().iter() {
            if done.as_ref().is_some_and(|(changed, _)| wanted.contains(&norm(changed))) {
                out.push(i);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Segments of the document for `n` questions: sentence index ranges.
    pub(super) fn segments(&self, n: usize) -> Vec<(usize, usize)> {
        let total = self.sentences.len().max(1);
        (0..n).map(|i| (i * total / n, (i + 1) * total / n)).collect()
    }

    /// Whether a question on `sentence` would repeat one already written.
    pub(super) fn near_duplicate(&self, sentence: usize, taken: &[usize]) -> bool {
        let text = &self.sentences[sentence].text;
        taken.iter().any(|&o| {
            let other = &self.sentences[o].text;
            match self.sim(text, other) {
                Some(x) => x > semantic::NEAR_DUPLICATE,
                None => jaccard(&self.word_sets[sentence], &self.word_sets[o]) > 0.6,
            }
        })
    }
}

/// A sentence's words (lower case, hashed, sorted, once each), for
/// [`jaccard`].
pub(super) fn word_set(text: &str) -> Vec<u64> {
    let mut v: Vec<u64> = text.split_whitespace().map(|w| fnv(w.to_lowercase().as_bytes())).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Word overlap of two sentences (without a model, for near-duplicates).
/// The share of words two sentences have in common ([`word_set`]s).
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter).max(1) as f64
}
