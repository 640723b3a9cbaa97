//! Distractors of the answer's category: terms with the answer's head or,
//! with the model, close to it in meaning but no synonym; numbers of the
//! same unit. Options are re-ranked by the model, and a stem that gives its
//! answer away ([`Gen::echoes`]) is refused.

use super::answers::key_term;
use super::grammar::{head_of, mentions, modifiers, terms_plural};
use super::Gen;
use crate::analysis::semantic;
use crate::analysis::terms::{Kind, Term};
use crate::analysis::text;
use crate::words::{CATEGORY_NOUNS, WEAK_MODIFIERS};

/// Whether a term's modifiers name a kind of thing, so that it is a fair
/// distractor for another of its family: no ordinal or quantity (`fourth
/// sign`, `total number`), no participle or `-able` adjective
/// (`user-specified handler`, `configurable number`).
fn swap_modifiers_ok(key: &str) -> bool {
    let head = head_of(key);
    if matches!(head.as_str(), "number" | "amount" | "total" | "size" | "count" | "kind" | "type" | "sort" | "part" | "piece" | "way" | "lot" | "bit" | "level" | "degree") {
        return false;
    }
    modifiers(key).iter().all(|m| {
        let adjective = m.ends_with("ed") || m.ends_with("able") || m.ends_with("ible");
        let quantity = matches!(
            m.as_str(),
            "first" | "second" | "third" | "fourth" | "fifth" | "sixth" | "seventh" | "eighth" | "ninth" | "tenth" | "nth"
                | "next" | "last" | "total" | "maximum" | "minimum" | "certain" | "given" | "particular" | "whole"
                | "entire" | "single" | "double" | "multiple" | "several" | "many" | "few" | "other" | "such"
                // Superlatives: `longest vector` is no kind of vector.
                | "longest" | "shortest" | "largest" | "smallest" | "highest" | "lowest" | "biggest" | "greatest"
                | "newest" | "oldest" | "earliest" | "fastest" | "slowest" | "simplest" | "easiest" | "widest"
                | "narrowest" | "deepest" | "best" | "worst"
        );
        !(adjective || quantity || WEAK_MODIFIERS.contains(&m.as_str()))
    })
}

impl Gen<'_> {
    /// Whether `o` is of the same category as the answer `t`: a term with the
    /// same head (`verbatim environment` for `tabular environment`), a term
    /// the lecture also defines, or a name or acronym the model finds alike.
    pub(super) fn same_category(&self, t: &Term, o: &Term) -> bool {
        if t.kind != o.kind || !key_term(o) {
            return false;
        }
        if terms_plural(&o.key) != terms_plural(&t.key) && !t.kind.is_number() {
            return false;
        }
        // With the model: a term close to the answer in meaning (plausible)
        // but not a synonym of it.
        let close = |min: f32| self.sim(&t.display, &o.display).is_some_and(|x| (min..semantic::SYNONYM).contains(&x));
        match t.kind {
            Kind::Concept if t.words > 1 => {
                // `class option`, `layout option`: a category, not one of its kind.
                let specific = |k: &str| modifiers(k).iter().all(|m| !CATEGORY_NOUNS.contains(&m.as_str()) && !WEAK_MODIFIERS.contains(&m.as_str()) && !text::is_generic(m));
                specific(&o.key)
                    && specific(&t.key)
                    && o.words > 1
                    && (head_of(&o.key) == head_of(&t.key) || (close(0.45) && o.freq >= 3))
                    // `graphical parameters` / `graphics parameters`: one term twice.
                    && !(head_of(&o.key) == head_of(&t.key)
                        && modifiers(&o.key).iter().zip(modifiers(&t.key).iter()).any(|(a, b)| a.chars().take(5).eq(b.chars().take(5))))
                    && (o.freq >= 2 || o.defined_in.is_some() || o.family >= 3)
            }
            Kind::Concept => o.words == 1 && (o.defined_in.is_some() || (close(0.45) && o.freq >= 4 && o.nounish())),
            // Names of one sort (programs for a program, not formats): only
            // the model can tell, so without it names get no distractors.
            Kind::Name | Kind::Acronym => {
                self.sim(&t.display, &o.display).is_some_and(|x| (0.45..semantic::SYNONYM).contains(&x))
                    && (o.freq >= 2 || o.defined_in.is_some())
                    && !o.display.starts_with("The ")
            }
            _ => true,
        }
    }

    /// Whether the stem gives the answer away: a stem word starts like one of
    /// the answer's words (`tables` → `tabular`), or, with the model, the
    /// stem is much closer to the answer than to every distractor (`poems`
    /// → `verse`).
    pub(super) fn echoes(&self, stem_lower: &str, answer: &str, distractors: &[String]) -> bool {
        let stem_words: Vec<&str> = stem_lower.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 4).collect();
        let lexical = answer.to_lowercase().split(' ').filter(|w| w.len() >= 4 && !CATEGORY_NOUNS.contains(w)).any(|a| {
            let p: String = a.chars().take(3).collect();
            stem_words.iter().any(|w| w.starts_with(&p) && !distractors.iter().any(|d| d.to_lowercase().contains(&p)))
        });
        if lexical {
            return true;
        }
        let Some(vecs) = self.vecs.as_ref() else { return false };
        let model_stem = self.sim_text(stem_lower);
        match (model_stem, vecs.get(answer)) {
            (Some(sv), Some(av)) => {
                let a = semantic::cos(&sv, av);
                let best_other = distractors.iter().filter_map(|d| vecs.get(d).map(|dv| semantic::cos(&sv, dv))).fold(f32::MIN, f32::max);
                best_other > f32::MIN && a - best_other > 0.15
            }
            _ => false,
        }
    }

    /// The model's vector of a text that was not embedded up front, if the
    /// model ran (a stem; computed on demand).
    fn sim_text(&self, text: &str) -> Option<Vec<f32>> {
        let model = self.model?;
        if let Some(v) = self.stem_vecs.borrow().get(text) {
            return v.clone();
        }
        let v = model.embed(&[text]).into_iter().next();
        self.stem_vecs.borrow_mut().insert(text.to_string(), v.clone());
        v
    }

    /// Distractors for a blank or a definition: same category, same number,
    /// not named in the stem; None when there are fewer than `k`.
    pub(super) fn category_distractors(&self, t: &Term, k: usize, stem_lower: &str, page: usize, tie: u64) -> Option<Vec<String>> {
        let pool: Vec<String> = self
            .terms
            .distractors(t, k + 60, stem_lower, page, tie, &[])
            .into_iter()
            .filter(|o| match self.terms.lookup(&o.to_lowercase()) {
                Some(ot) => {
                    (t.kind.is_number() || (self.same_category(t, ot) && (ot.kind != Kind::Concept || swap_modifiers_ok(&ot.key))))
                        && !modifiers(&ot.key).iter().any(|m| m.len() >= 4 && mentions(stem_lower, m))
                }
                None => t.kind.is_number(),
            })
            .collect();
        let d = self.rerank(&t.display, pool, k);
        (d.len() >= k).then_some(d)
    }

    /// Re-rank lexical distractor candidates by closeness to the answer
    /// (plausible), dropping synonyms; keep `k`.
    pub(super) fn rerank(&self, answer: &str, mut cands: Vec<String>, k: usize) -> Vec<String> {
        if self.vecs.is_some() {
            cands.retain(|c| self.sim(answer, c).is_none_or(|x| x < semantic::SYNONYM));
            let mut scored: Vec<(f32, usize, String)> =
                cands.into_iter().enumerate().map(|(i, c)| (self.sim(answer, &c).unwrap_or(0.0), i, c)).collect();
            // Embedded candidates by similarity, then the others in lexical order.
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            cands = scored.into_iter().map(|(_, _, c)| c).collect();
        }
        cands.truncate(k);
        cands
    }
}
