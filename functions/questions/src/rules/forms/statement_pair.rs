//! Statement pair: "Which of these statements are true, according to the
//! lecture? (I) … (II) …", two sentences each as the lecture states it or
//! negated; the options are the four cases.

use std::collections::BTreeSet;

use examfn_domain::exam::Question;

use super::{Candidate, Form, What};
use crate::analysis::text::{mix, Sentence};
use crate::rules::gate::hedged;
use crate::rules::Gen;
use crate::{Generated, QuestionType};

/// The options of a statement-pair question, in this order.
const PAIR_OPTIONS: [&str; 4] = ["I only", "II only", "Both I and II", "Neither I nor II"];

impl Gen<'_> {
    /// The statement-pair question on `s` (its partner is found when it is built).
    pub(super) fn statement_pair_candidate(&self, s: &Sentence) -> Candidate {
        let imp = self.importance[s.index];
        Candidate { sentence: s.index, score: 0.3 + 0.8 * imp, tie: self.tie(&format!("pair#{}", s.text)), what: What::Pair }
    }

    /// The pair question on `sentence` and a partner near it, for
    /// `n_options` options (four, or none).
    pub(super) fn build_statement_pair(&self, sentence: usize, n_options: usize, all: &BTreeSet<String>) -> Option<Generated> {
        let s = &self.sentences[sentence];
        // Two statements of the lecture, each as it is or negated
        // (one of the four cases by the text): which are true?
        if n_options != PAIR_OPTIONS.len() {
            return None;
        }
        let other = self.pair_partner(sentence, all)?;
        let case = self.tie(&format!("pair#{}", s.text)) % 4;
        let (true_a, true_b) = (case == 0 || case == 1, case == 0 || case == 2);
        let text = |i: usize, keep: bool| -> Option<String> {
            if keep {
                Some(self.sentences[i].text.clone())
            } else {
                self.falsify(&self.sentences[i], all, true).map(|(changed, _)| changed)
            }
        };
        let (a, b) = (text(sentence, true_a)?, text(other, true_b)?);
        let answer = PAIR_OPTIONS[match (true_a, true_b) {
            (true, false) => 0,
            (false, true) => 1,
            (true, true) => 2,
            (false, false) => 3,
        }];
        Some(Generated {
            question: Question {
                question: format!("Which of these statements are true, according to the lecture? (I) {a} (II) {b}"),
                options: PAIR_OPTIONS.iter().map(|o| o.to_string()).collect(),
                correct_answer: answer.to_string(),
            },
            kind: QuestionType::MultipleChoice,
            page: s.page,
            source: s.text.clone(),
            answer_kind: "statement pair".to_string(),
            form: Form::StatementPair.label().to_string(),
        })
    }

    /// The second statement of a pair question on `near`: a sentence near it
    /// of similar length that, like it, can be negated (the anchor too).
    pub(in crate::rules) fn pair_partner(&self, near: usize, all: &BTreeSet<String>) -> Option<usize> {
        let s = &self.sentences[near];
        if s.words() > 26 || hedged(s) || self.falsify(s, all, true).is_none() {
            return None;
        }
        let len = s.words() as i64;
        let mut cands: Vec<(usize, u64, usize)> = self
            .pairable
            .iter()
            .map(|&i| &self.sentences[i])
            .filter(|o| o.index != near && !self.used_sentences.contains(&o.index) && !self.quoted.contains(&o.index))
            .filter(|o| (o.words() as i64 - len).abs() <= 8)
            .map(|o| (o.page.abs_diff(s.page), mix(self.tie(&o.text), 0x7061_6972), o.index))
            .collect();
        cands.sort_unstable();
        cands.into_iter().map(|(_, _, i)| i).find(|&i| !self.near_duplicate(i, &[near]))
    }
}
