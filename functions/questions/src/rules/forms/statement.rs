//! Statement: "Which of the following statements is true, according to the
//! lecture?" with a sentence of the lecture as the answer and false versions
//! of other sentences near it as the options.

use std::collections::BTreeSet;

use super::{Candidate, Draft, What};
use crate::analysis::text::Sentence;
use crate::rules::Gen;

impl Gen<'_> {
    /// The statement question on `s`.
    pub(super) fn statement_candidate(&self, s: &Sentence) -> Candidate {
        let imp = self.importance[s.index];
        Candidate { sentence: s.index, score: 0.5 + 0.8 * imp, tie: self.tie(&format!("stmt#{}", s.text)), what: What::Statement }
    }

    /// `sentence` as the true statement among `k` false ones.
    pub(super) fn build_statement(&self, sentence: usize, k: usize, all: &BTreeSet<String>) -> Option<Draft> {
        let s = &self.sentences[sentence];
        if k == 0 {
            return None;
        }
        let falses = self.false_statements(sentence, k, all);
        if falses.len() < k {
            return None;
        }
        Some(Draft {
            question: "Which of the following statements is true, according to the lecture?".to_string(),
            answer: s.text.clone(),
            distractors: falses,
            kind: "statement".to_string(),
        })
    }

    /// False versions of other sentences near `near`, for a statement question.
    fn false_statements(&self, near: usize, k: usize, all: &BTreeSet<String>) -> Vec<String> {
        let page = self.sentences[near].page;
        let mut cands: Vec<(usize, u64, usize)> = self
            .sentences
            .iter()
            .filter(|s| s.index != near && self.gated(s) && s.words() <= 26 && !self.used_sentences.contains(&s.index) && !self.quoted.contains(&s.index))
            .map(|s| (s.page.abs_diff(page), self.tie(&format!("fs#{}", s.text)), s.index))
            .collect();
        cands.sort();
        let mut out = Vec::new();
        for (_, _, i) in cands.into_iter().take(40) {
            if let Some((changed, _)) = self.falsify(&self.sentences[i], all, false) {
                out.push(changed);
                if out.len() == k {
                    break;
                }
            }
        }
        out
    }
}
