//! Cloze: a sentence of the lecture with its key term, or a number it states
//! as a fact, blanked out; the options are terms (numbers) of the answer's
//! category.

use super::{Candidate, Draft, What};
use crate::analysis::prose;
use crate::analysis::terms::{Kind, Span};
use crate::analysis::text::{self, Sentence};
use crate::rules::answers::{article_ok, np_slot, strong_answer};
use crate::rules::gate::{hedged, quotation_in, sentence_ok, short_aside};
use crate::rules::grammar::{head_of, mentions, modifiers, substitute, BLANK};
use crate::rules::{lengths_score, Gen};
use crate::words::VERB_CONTEXT;

impl Gen<'_> {
    /// A number the lecture states as a fact (a year, a percentage, a
    /// quantity with its unit) in a plain present-tense statement, which the
    /// gate refused for other questions: its clozes.
    pub(super) fn fact_cloze_candidates(&self, s: &Sentence, out: &mut Vec<Candidate>) {
        if sentence_ok(s) {
            for sp in self.terms.spans(s) {
                let t = self.terms.get(sp.term);
                let fact = matches!(t.kind, Kind::Year | Kind::Percent)
                    || (t.kind == Kind::Number && t.unit.as_deref().is_some_and(|u| !text::is_stopword(u) && !prose::is_verb_form(u)) && t.value.is_some_and(|v| v >= 10.0));
                if fact && np_slot(s, &sp) && !hedged(s) {
                    out.push(Candidate {
                        sentence: s.index,
                        score: 0.8 + self.importance[s.index],
                        tie: self.tie(&format!("{}#{}", s.text, t.key)),
                        what: What::Cloze(sp),
                    });
                }
            }
        }
    }

    /// Cloze: a key term the sentence is about (before its verb, or defined there).
    pub(super) fn cloze_candidates(&self, s: &Sentence, out: &mut Vec<Candidate>) {
        let imp = self.importance[s.index];
        let len = lengths_score(s.words());
        let spans = self.terms.spans(s);
        let aside = short_aside(&s.text);
        let quote = quotation_in(&s.text);
        for sp in &spans {
            let t = self.terms.get(sp.term);
            if !strong_answer(t) || !np_slot(s, sp) || !article_ok(s, sp, t, t.plural) {
                continue;
            }
            // No blank inside an aside in parentheses.
            if aside.is_some_and(|(a, b)| (a..b).contains(&s.toks[sp.first].start)) || quote.is_some_and(|(a, b)| (a..b).contains(&s.toks[sp.first].start)) {
                continue;
            }
            let before = if sp.first > 0 { s.tok(sp.first - 1).to_lowercase() } else { String::new() };
            if t.words == 1 && t.kind == Kind::Concept && VERB_CONTEXT.contains(&before.as_str()) {
                continue;
            }
            // Part of a longer name (`the R _____`): no blank there.
            let capital = |i: usize| s.tok(i).chars().next().is_some_and(char::is_uppercase);
            if (sp.first > 0 && capital(sp.first - 1) && !matches!(before.as_str(), "the" | "a" | "an"))
                || (sp.last + 1 < s.words() && capital(sp.last + 1))
            {
                continue;
            }
            let mut score = 0.6 * t.quality() / 3.0 * len + imp;
            if t.defined_in == Some(s.index) {
                score += 0.6;
            }
            // The subject of the sentence (among its first words).
            if sp.first <= 3 {
                score += 0.2;
            }
            out.push(Candidate { sentence: s.index, score, tie: self.tie(&format!("{}#{}", s.text, t.key)), what: What::Cloze(*sp) });
        }
    }

    /// The cloze of the term at `sp`: the sentence with the term blanked, and
    /// `k` terms of its category as distractors.
    pub(super) fn build_cloze(&self, s: &Sentence, sp: &Span, k: usize) -> Option<Draft> {
        let t = self.terms.get(sp.term);
        if self.used_answers.contains(&t.key) {
            return None;
        }
        let occ = self.occurrences(s, sp);
        if occ.len() != 1 {
            return None;
        }
        let blanked = substitute(s, &occ, BLANK, true);
        let lower = s.text.to_lowercase();
        let stem_lower = blanked.to_lowercase();
        // The stem must not name the answer's own words (`list of
        // _____ … Options Summary` → `class options`).
        if modifiers(&t.key).iter().any(|m| m.len() >= 4 && mentions(&stem_lower, m)) && !t.kind.is_number() {
            return None;
        }
        let d = self.category_distractors(t, k, &lower, s.page, self.tie(&s.text))?;
        // The head in the stem (`A _____ is a vector of …`) gives
        // nothing away when every option has that head.
        let head = head_of(&t.key);
        if head.len() >= 4 && mentions(&stem_lower, &head) && !t.kind.is_number() && !d.iter().all(|o| head_of(&o.to_lowercase()) == head) {
            return None;
        }
        if self.echoes(&stem_lower, &t.display, &d) {
            return None;
        }
        Some(Draft {
            question: format!("Fill in the blank: {blanked}"),
            answer: t.display.clone(),
            distractors: d,
            kind: t.kind.label().to_string(),
        })
    }
}
