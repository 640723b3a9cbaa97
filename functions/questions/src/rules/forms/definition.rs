//! Definition: "What is X, according to the lecture?" with the lecture's
//! definition of X as the answer and other definitions of similar length as
//! the options.

use super::{Candidate, Draft, What};
use crate::analysis::define::Definition;
use crate::analysis::text::{fnv, mix};
use crate::rules::grammar::capitalize_first;
use crate::rules::Gen;

impl Gen<'_> {
    /// The question on definition `di` (`d`).
    pub(super) fn definition_candidate(&self, di: usize, d: &Definition) -> Candidate {
        let imp = self.importance.get(d.sentence).copied().unwrap_or(0.0);
        Candidate { sentence: d.sentence, score: 1.5 + imp, tie: self.tie(&format!("def#{}", d.key)), what: What::Meaning(di) }
    }

    /// What the term of definition `di` is, among `k` other definitions.
    pub(super) fn build_definition(&self, di: usize, k: usize) -> Option<Draft> {
        let d = &self.defs[di];
        if self.used_answers.contains(&d.key) {
            return None;
        }
        let pool = self.other_bodies(d, k + 6);
        let opts = self.rerank(&d.body, pool, k);
        if opts.len() < k {
            return None;
        }
        let stem = format!("What {} {}, according to the lecture?", d.copula(), d.with_article());
        Some(Draft {
            question: stem,
            answer: capitalize_first(&d.body),
            distractors: opts.iter().map(|o| capitalize_first(o)).collect(),
            kind: "definition".to_string(),
        })
    }

    /// Definitions for "What is X?": the other definitions' bodies of similar
    /// length and the same number.
    fn other_bodies(&self, d: &Definition, _k: usize) -> Vec<String> {
        let len = d.body.split(' ').count() as f64;
        let mut pool: Vec<(f64, u64, &Definition)> = self
            .defs
            .iter()
            .filter(|o| o.key != d.key && o.plural == d.plural && !o.body.eq_ignore_ascii_case(&d.body))
            .filter(|o| !o.body.to_lowercase().contains(&d.key))
            .map(|o| {
                let ol = o.body.split(' ').count() as f64;
                ((len.max(ol) / len.min(ol).max(1.0)), mix(self.tie(&d.key), fnv(o.key.as_bytes())), o)
            })
            .filter(|(ratio, _, _)| *ratio <= 2.5)
            .collect();
        pool.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        pool.into_iter().map(|(_, _, o)| o.body.clone()).collect()
    }
}
