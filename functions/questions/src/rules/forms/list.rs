//! List membership: "Which of the following is one of the …?" for a real
//! enumeration (`The four phases of mitosis are:` and its items); the
//! distractors are phrases of the lecture that are not in the list.

use super::{Candidate, Draft, What};
use crate::analysis::prose::Class;
use crate::analysis::text::Sentence;
use crate::rules::Gen;

impl Gen<'_> {
    /// The items of the lecture's lists that can be answers.
    pub(super) fn list_candidates(&self, out: &mut Vec<Candidate>) {
        for (gi, g) in self.groups.iter().enumerate() {
            let Some(stem) = list_stem(&self.sentences[g.intro]) else { continue };
            let _ = stem;
            for &it in &g.items {
                let item = &self.sentences[it];
                if item_ok(item) {
                    out.push(Candidate {
                        sentence: g.intro,
                        score: 1.4,
                        tie: self.tie(&format!("{}#{}", self.sentences[g.intro].text, item.text)),
                        what: What::List { group: gi, item: it },
                    });
                }
            }
        }
    }

    /// The list question on item `item` of list `group`, introduced by `s`.
    pub(super) fn build_list(&self, s: &Sentence, group: usize, item: usize, k: usize) -> Option<Draft> {
        let g = &self.groups[group];
        let answer = self.sentences[item].text.trim_end_matches(['.', ';', ',']).to_string();
        if self.used_answers.contains(&answer.to_lowercase()) {
            return None;
        }
        let listed: Vec<String> = g.items.iter().map(|i| self.sentences[*i].text.to_lowercase()).collect();
        let words = self.sentences[item].words();
        let pool = self.terms.list_distractors(&answer, words, k + 6, &listed, self.tie(&answer));
        let d = self.rerank(&answer, pool, k);
        if d.len() < k {
            return None;
        }
        let stem = list_stem(s)?;
        Some(Draft { question: stem, answer, distractors: d, kind: "list item".to_string() })
    }
}

/// A list item that can be an answer: a short phrase of words.
fn item_ok(s: &Sentence) -> bool {
    (1..=5).contains(&s.words())
        && s.text.len() <= 60
        && matches!(s.class, Class::Fragment | Class::Heading | Class::Prose | Class::Dependent)
        && s.text.chars().all(|c| c.is_alphanumeric() || " -’'.,;".contains(c))
}

/// The stem of a list question from its introducing sentence: `The four
/// phases of mitosis are:` → "Which of the following is one of the four
/// phases of mitosis, according to the lecture?"; None when the sentence is
/// not of that shape.
fn list_stem(intro: &Sentence) -> Option<String> {
    let t = intro.text.trim_end_matches(':').trim();
    let ws: Vec<&str> = t.split(' ').collect();
    if ws.len() < 3 || ws.len() > 14 || !intro.text.ends_with(':') {
        return None;
    }
    let low: Vec<String> = ws.iter().map(|w| w.to_lowercase()).collect();
    let verb = low.iter().rposition(|w| matches!(w.as_str(), "are" | "include" | "includes" | "is"))?;
    if verb + 1 != ws.len() && !(verb + 2 == ws.len() && low[verb + 1] == "the following") {
        // `The X are:` / `The X include:` only.
        if verb + 1 != ws.len() {
            return None;
        }
    }
    let subject = &ws[..verb];
    let first = low[0].as_str();
    if !matches!(first, "the" | "there") || subject.len() < 2 {
        return None;
    }
    if subject.iter().any(|w| w.contains(|c: char| !c.is_alphanumeric() && c != '-')) {
        return None;
    }
    let phrase = subject[1..].join(" ");
    if phrase.split(' ').any(|w| matches!(w.to_lowercase().as_str(), "this" | "these" | "following" | "above" | "below")) {
        return None;
    }
    Some(format!("Which of the following is one of the {}, according to the lecture?", phrase.to_lowercase()))
}
