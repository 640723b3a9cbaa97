//! False statement: "Which of the following statements is false, according
//! to the lecture?" with a sentence made false as the answer and other
//! sentences near it, as the lecture states them, as the options.

use std::collections::BTreeSet;

use super::{Candidate, Draft, What};
use crate::analysis::text::Sentence;
use crate::rules::gate::hedged;
use crate::rules::Gen;

impl Gen<'_> {
    /// The false-statement question on `s`.
    pub(super) fn false_statement_candidate(&self, s: &Sentence) -> Candidate {
        let imp = self.importance[s.index];
        Candidate { sentence: s.index, score: 0.45 + 0.8 * imp, tie: self.tie(&format!("fstmt#{}", s.text)), what: What::FalseStatement }
    }

    /// `sentence` made false among `k` true statements.
    pub(super) fn build_false_statement(&self, sentence: usize, k: usize, all: &BTreeSet<String>) -> Option<Draft> {
        let s = &self.sentences[sentence];
        // One statement of the lecture made false by a swap, among
        // other statements of the lecture near it.
        if k == 0 {
            return None;
        }
        let (changed, _) = self.falsify(s, all, false)?;
        let trues = self.true_statements(sentence, k);
        if trues.len() < k {
            return None;
        }
        Some(Draft {
            question: "Which of the following statements is false, according to the lecture?".to_string(),
            answer: changed,
            distractors: trues,
            kind: "statement".to_string(),
        })
    }

    /// Other statements of the lecture near `near` (self-contained, no hedge,
    /// of a similar length), for a "which is false" question.
    fn true_statements(&self, near: usize, k: usize) -> Vec<String> {
        let page = self.sentences[near].page;
        let len = self.sentences[near].words() as i64;
        let mut cands: Vec<(usize, u64, usize)> = self
            .sentences
            .iter()
            .filter(|s| s.index != near && self.gated(s) && s.words() <= 26 && !self.used_sentences.contains(&s.index) && !self.quoted.contains(&s.index))
            .filter(|s| !hedged(s))
            .filter(|s| (s.words() as i64 - len).abs() <= 8)
            .filter(|s| !self.near_duplicate(s.index, &[near]))
            .map(|s| (s.page.abs_diff(page), self.tie(&format!("ts#{}", s.text)), s.index))
            .collect();
        cands.sort();
        cands.into_iter().take(k).map(|(_, _, i)| self.sentences[i].text.clone()).collect()
    }
}
