//! Term for a definition: `What is a segment of DNA that codes for a
//! protein?` (or `Which term does the lecture describe as “…”?`); the options
//! are other terms of the same sort (defined terms first, then key terms).

use super::{Candidate, Draft, What};
use crate::analysis::define::Definition;
use crate::analysis::semantic;
use crate::analysis::terms::{Kind, Term};
use crate::analysis::text::{fnv, mix};
use crate::rules::answers::key_term;
use crate::rules::grammar::{starts_with_article, terms_plural};
use crate::rules::Gen;

impl Gen<'_> {
    /// The question on definition `di` (`d`).
    pub(super) fn term_for_definition_candidate(&self, di: usize, d: &Definition) -> Candidate {
        let imp = self.importance.get(d.sentence).copied().unwrap_or(0.0);
        Candidate { sentence: d.sentence, score: 1.6 + imp, tie: self.tie(&format!("tfd#{}", d.key)), what: What::TermFor(di) }
    }

    /// The term the lecture defines as definition `di` says, among `k` others.
    pub(super) fn build_term_for_definition(&self, di: usize, k: usize) -> Option<Draft> {
        let d = &self.defs[di];
        if self.used_answers.contains(&d.key) {
            return None;
        }
        let pool = self.other_terms(d, k + 6);
        let opts = self.rerank(&d.term, pool, k);
        if opts.len() < k {
            return None;
        }
        let stem = if d.body.chars().next().is_some_and(char::is_lowercase) && starts_with_article(&d.body) || d.plural {
            format!("What {} {}?", d.copula(), d.body)
        } else {
            format!("Which term does the lecture describe as “{}”?", d.body)
        };
        Some(Draft {
            question: stem,
            answer: d.term.clone(),
            distractors: opts,
            kind: if d.name { "name" } else { "term" }.to_string(),
        })
    }

    /// Terms for "What is <definition>?": the other defined terms of the same
    /// sort (name or common noun, singular or plural), then key terms.
    fn other_terms(&self, d: &Definition, k: usize) -> Vec<String> {
        let body = d.body.to_lowercase();
        let mut out: Vec<String> = Vec::new();
        let ok = |key: &str, out: &Vec<String>| {
            key != d.key
                && !key.contains(&d.key)
                && !d.key.contains(key)
                && !body.contains(key)
                && !out.iter().any(|o| o.eq_ignore_ascii_case(key))
        };
        let mut defs: Vec<&Definition> = self.defs.iter().filter(|o| o.name == d.name && o.plural == d.plural).collect();
        defs.sort_by_key(|o| mix(self.tie(&d.key), fnv(o.key.as_bytes())));
        let this = self.terms.lookup(&d.key);
        for o in defs {
            // Of the same sort as the defined term (programs for a program):
            // by the terms' category, or, for names, by the model.
            let alike = match (this, self.terms.lookup(&o.key)) {
                (Some(t), Some(ot)) => self.same_category(t, ot),
                _ => !d.name || self.sim(&d.term, &o.term).is_some_and(|x| (0.45..semantic::SYNONYM).contains(&x)),
            };
            if alike && ok(&o.key, &out) {
                out.push(o.term.clone());
            }
        }
        if out.len() < k {
            let kind = if d.name { Kind::Name } else { Kind::Concept };
            if let Some(t) = self.terms.lookup(&d.key).filter(|t| t.kind == kind) {
                for o in self.terms.distractors(t, k * 2, &body, self.sentences[d.sentence].page, self.tie(&d.body), &[]) {
                    let key = o.to_lowercase();
                    let good = self.terms.lookup(&key).is_some_and(|ot| key_term(ot) && (ot.defined_in.is_some() || ot.freq >= 3) && self.same_category(t, ot));
                    if good && ok(&key, &out) && terms_plural(&key) == d.plural {
                        out.push(o);
                    }
                }
            } else {
                let mut pool: Vec<&Term> = self
                    .terms
                    .iter()
                    .filter(|t| t.kind == kind && key_term(t) && t.plural == d.plural && t.words <= 3 && (t.defined_in.is_some() || t.freq >= 3))
                    // Names of the defined one's sort: only the model can tell
                    // (without it, no names); concepts close to it with the model.
                    .filter(|t| match self.sim(&d.term, &t.display) {
                        Some(x) => x >= if d.name { 0.45 } else { 0.3 },
                        None => !d.name && self.vecs.is_none(),
                    })
                    .collect();
                pool.sort_by(|a, b| b.freq.cmp(&a.freq).then(a.key.cmp(&b.key)));
                for t in pool {
                    if ok(&t.key, &out) {
                        out.push(t.display.clone());
                    }
                }
            }
        }
        out
    }
}
