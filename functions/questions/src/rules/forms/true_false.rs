//! True/false: statements of the lecture, half of them made false (negated,
//! or a number swapped), spread over the lecture; a true item is one that
//! could have been falsified too, so both kinds are alike.

use std::collections::BTreeSet;

use examfn_domain::exam::{Question, TRUE_FALSE_OPTIONS};

use crate::analysis::terms::Term;
use crate::analysis::text::mix;
use crate::rules::answers::strong_answer;
use crate::rules::gate::hedged;
use crate::rules::grammar::norm;
use crate::rules::{lengths_score, Gen};
use crate::{Generated, QuestionType};

impl Gen<'_> {
    pub(in crate::rules) fn true_false(&mut self, n: usize) -> Vec<Generated> {
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
            .filter(|s| self.gated(s) && s.words() >= 7 && s.words() <= 32 && !self.used_sentences.contains(&s.index))
            .filter(|s| !hedged(s))
            .map(|s| {
                let spans = self.terms.spans(s);
                let best = spans
                    .iter()
                    .map(|sp| self.terms.get(sp.term))
                    .filter(|t| strong_answer(t))
                    .map(Term::tf_quality)
                    .fold(0.5, f64::max);
                (best / 6.0 * lengths_score(s.words()) + self.importance[s.index], self.tie(&s.text), s.index)
            })
            .collect();
        cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let segs = self.segments(n);
        let mut taken: Vec<Option<Generated>> = vec![None; n];
        let mut used_text: BTreeSet<String> = BTreeSet::new();
        let mut taken_sentences: Vec<usize> = self.used_sentences.iter().copied().collect();
        // Pass 0: each segment's best; 1: anywhere; 2: also the sentences a
        // statement question quotes (a short lecture has few others).
        for pass in 0..3 {
            for (si, seg) in segs.iter().enumerate() {
                if taken[si].is_some() {
                    continue;
                }
                let want_false = falses.contains(&si);
                for &(_, _, idx) in &cands {
                    if self.used_sentences.contains(&idx) || (pass == 0 && !(seg.0..seg.1).contains(&idx)) || (pass < 2 && self.quoted.contains(&idx)) {
                        continue;
                    }
                    let s = &self.sentences[idx];
                    if used_text.contains(&norm(&s.text)) || self.near_duplicate(idx, &taken_sentences) {
                        continue;
                    }
                    let (statement, answer, kind) = if want_false {
                        match self.falsify(s, &all, true) {
                            Some((changed, kind)) => (changed, TRUE_FALSE_OPTIONS[1], kind),
                            None => continue,
                        }
                    } else {
                        // A true statement must also be one that could be falsified
                        // (a checkable fact), so both kinds are alike.
                        match self.falsify(s, &all, true) {
                            Some((_, kind)) => (s.text.clone(), TRUE_FALSE_OPTIONS[0], kind),
                            None => continue,
                        }
                    };
                    self.used_sentences.insert(idx);
                    taken_sentences.push(idx);
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
                        form: "true_false".to_string(),
                    });
                    break;
                }
            }
        }
        taken.into_iter().flatten().collect()
    }
}
