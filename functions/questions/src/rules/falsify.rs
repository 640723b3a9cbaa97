//! False versions of the lecture's statements, for true/false items and the
//! statement forms: the statement negated (`is` → `is not`, `uses` → `does
//! not use`), or a number or year swapped for another of the lecture's.

use std::collections::BTreeSet;

use super::answers::np_slot;
use super::grammar::{norm, substitute, verb_base};
use super::subject::common_verb;
use super::Gen;
use crate::analysis::prose;
use crate::analysis::terms::{Kind, Span};
use crate::analysis::text::Sentence;
use crate::words::{HEDGES, MID_ADVERBS, NEGATIONS};

/// A false version of a sentence and the kind of change that made it.
pub(super) type Falsified = Option<(String, String)>;

impl Gen<'_> {
    /// A false version of `s` by one of: the statement negated (`is` → `is
    /// not`, `uses` → `does not use`, `can` → `cannot`), only when `negate`;
    /// a number or year swapped for another of the lecture's (same unit).
    pub(super) fn falsify(&self, s: &Sentence, all: &BTreeSet<String>, negate: bool) -> Option<(String, String)> {
        if let Some(done) = self.falsified.borrow().get(&(s.index, negate)) {
            return done.clone();
        }
        let out = self.falsify_uncached(s, all, negate);
        self.falsified.borrow_mut().insert((s.index, negate), out.clone());
        out
    }

    fn falsify_uncached(&self, s: &Sentence, all: &BTreeSet<String>, negate: bool) -> Option<(String, String)> {
        // A negation is the surest false statement; swaps come after it.
        if negate {
            if let Some(n) = self.negation(s, all) {
                return Some(n);
            }
        }
        let lower = s.text.to_lowercase();
        let mut spans: Vec<Span> = self.terms.spans(s).into_iter().filter(|sp| np_slot(s, sp)).collect();
        spans.sort_by_key(|sp| std::cmp::Reverse((self.terms.get(sp.term).tf_quality() * 100.0) as i64));
        for sp in &spans {
            let t = self.terms.get(sp.term);
            let swappable = match t.kind {
                Kind::Year | Kind::Percent => true,
                Kind::Number => t.unit.is_some(),
                // A term swapped for another of its family is false only when
                // the lecture says the two differ, which it rarely does: hand
                // labels found 5 of 27 such swaps usable, against 43 of 53
                // negations. Only numbers are swapped.
                _ => false,
            };
            if !swappable || self.occurrences(s, sp).len() != 1 {
                continue;
            }
            let Some(pool) = self.category_distractors(t, 3, &lower, s.page, self.tie(&format!("swap#{}", s.text))).or_else(|| self.category_distractors(t, 1, &lower, s.page, self.tie(&format!("swap#{}", s.text)))) else { continue };
            for alt in pool {
                let changed = substitute(s, &[*sp], &alt, true);
                if !all.contains(&norm(&changed)) && norm(&changed) != norm(&s.text) {
                    return Some((changed, t.kind.label().to_string()));
                }
            }
        }
        None
    }

    /// The statement negated (`is` → `is not`, `uses` → `does not use`,
    /// `can` → `cannot`), when it is a plain claim with one main verb.
    fn negation(&self, s: &Sentence, all: &BTreeSet<String>) -> Option<(String, String)> {
        let (last, plural) = self.subject_end(s)?;
        // `X strictly maintains …`, `X also provides …`: an adverb before the verb.
        let adverb = {
            let w = s.tok(last + 1).to_lowercase();
            (MID_ADVERBS.contains(&w.as_str()) || (w.len() > 4 && w.ends_with("ly"))) && last + 2 < s.words()
        };
        let v = if adverb { last + 2 } else { last + 1 };
        let words: Vec<String> = (0..s.words()).map(|i| s.tok(i).to_lowercase()).collect();
        if words.iter().any(|w| NEGATIONS.contains(&w.as_str()) || HEDGES.contains(&w.as_str())) {
            return None;
        }
        let vt = s.toks[v];
        let verb = &s.text[vt.start..vt.end];
        let lv = verb.to_lowercase();
        let after = words.get(v + 1).map(String::as_str).unwrap_or("");
        // `X is Y, and knows Z`, `X is Y and flows …`: one negation would
        // cover half of the statement.
        if s.text.contains(", and ") || s.text.contains(", but ") || words.windows(2).any(|p| matches!(p[0].as_str(), "and" | "or" | "but") && (prose::is_verb_form(&p[1]) || p[1].ends_with("ed") || (p[1].ends_with('s') && prose::is_verb_form(&verb_base(&p[1]))))) {
            return None;
        }
        // `X are merged, giving rise to one footnote`: the consequence would
        // contradict the negated verb, a giveaway.
        if (1..s.words()).any(|i| s.tok(i).ends_with("ing") && s.text[s.toks[i - 1].end..s.toks[i].start].contains(',')) {
            return None;
        }
        // What the negation replaces: the verb, with the adverb before it.
        let from = if adverb { s.toks[last + 1].start } else { vt.start };
        // `also`, `only`, `still` go (`X does not provide …`); a manner
        // adverb stays after `not` (`X does not strictly maintain …`).
        let kept = if adverb && !matches!(words[last + 1].as_str(), "also" | "only" | "still") { format!("{} ", s.tok(last + 1)) } else { String::new() };
        if adverb && matches!(lv.as_str(), "is" | "are" | "will" | "must" | "should" | "does" | "do" | "can" | "has" | "have" | "was" | "were") {
            return None;
        }
        let replacement = match lv.as_str() {
            "does" | "do" if !prose::is_verb_form(after) => format!("{verb} not do"),
            "is" | "are" | "will" | "must" | "should" | "does" | "do" => format!("{verb} not"),
            "can" => "cannot".to_string(),
            "has" | "have" if after.ends_with("ed") || after.ends_with("en") || after == "been" => format!("{verb} not"),
            "has" => "does not have".to_string(),
            "have" => "do not have".to_string(),
            "was" | "were" => format!("{verb} not"),
            _ if (prose::is_verb_form(&lv) || common_verb(verb, s.tok(v + 1), false, &self.nouns)) && !plural && lv.ends_with('s') && !lv.ends_with("ss") => {
                format!("does not {kept}{}", verb_base(&lv))
            }
            _ if (prose::is_verb_form(&lv) || common_verb(verb, s.tok(v + 1), true, &self.nouns)) && plural && !lv.ends_with('s') && !lv.ends_with("ed") => format!("do not {kept}{lv}"),
            _ => return None,
        };
        let changed = format!("{}{}{}", &s.text[..from], replacement, &s.text[vt.end..]);
        (!all.contains(&norm(&changed))).then(|| (changed, "negation".to_string()))
    }
}
