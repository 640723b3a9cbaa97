//! Glossary: for an entry of a run of `term – description` bullets, a stem
//! made of its description (`Which of these is …?`); the options are the
//! other terms of its run.

use super::{Candidate, Draft, What};
use crate::analysis::glossary;
use crate::analysis::prose;
use crate::analysis::text::{fnv, mix};
use crate::rules::grammar::verb_base;
use crate::rules::Gen;
use crate::words::VERB_BASES;

impl Gen<'_> {
    /// Every entry of the lecture's glossaries.
    pub(super) fn glossary_candidates(&self, out: &mut Vec<Candidate>) {
        for (run, g) in self.glossaries.iter().enumerate() {
            for (entry, e) in g.entries.iter().enumerate() {
                out.push(Candidate { sentence: e.sentence, score: 1.3, tie: self.tie(&format!("gloss#{}", e.term)), what: What::Gloss { run, entry } });
            }
        }
    }

    /// The question on entry `entry` of glossary `run`.
    pub(super) fn build_glossary(&self, run: usize, entry: usize, k: usize) -> Option<Draft> {
        let g = &self.glossaries[run];
        let e = &g.entries[entry];
        if self.used_answers.contains(&e.term.to_lowercase()) || glossary::echoes(e) {
            return None;
        }
        // The other terms of the run: things of the same kind.
        let tie = self.tie(&e.term);
        let mut others: Vec<&glossary::Entry> = g.entries.iter().filter(|o| o.term != e.term).collect();
        others.sort_by_key(|o| mix(tie, fnv(o.term.as_bytes())));
        if others.len() < k {
            return None;
        }
        let d: Vec<String> = others.into_iter().take(k).map(|o| o.term.clone()).collect();
        let stem = glossary::stem(&e.description, |w| {
            w.ends_with('s') && !w.ends_with("ss") && (prose::is_verb_form(w) || VERB_BASES.binary_search(&verb_base(w).as_str()).is_ok())
        });
        Some(Draft { question: stem, answer: e.term.clone(), distractors: d, kind: "term".to_string() })
    }
}
