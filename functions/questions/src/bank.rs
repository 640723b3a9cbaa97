//! Wrong answers from the lecture's own vocabulary, for a fact any source
//! found.
//!
//! A small model writes facts well enough, but its wrong answers are its
//! weak part: near-synonyms of the key ("downloads files" for "retrieves
//! files"), things of another kind ("pine trees" among flowering plants),
//! or a set the key stands out from. The rule-based source draws its wrong
//! answers from the lecture's terms of the key's category (a term with the
//! same head, a term the lecture also defines, a name the embedding model
//! finds alike but no synonym), and strict labellers passed those far more
//! often. [`TermBank`] offers that choice for a key any source names: a
//! student who read the lecture knows them all, and only the one the
//! sentence states is right.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::analysis::semantic::{cos, Embed};
use crate::analysis::terms::{Kind, Terms};
use crate::analysis::text::{fnv, mix};
use crate::rules::{category_options, Sim};

/// Wrong answers of a key's category, where the lecture has them.
pub trait WrongAnswers: Sync {
    /// Up to `k` wrong answers for `answer` as it stands in `sentence` (on
    /// `page`), best first, none of them named in the sentence; none when
    /// the answer is no term of the lecture.
    fn wrong_answers(&self, answer: &str, sentence: &str, page: usize, k: usize) -> Vec<String>;
}

/// No bank: every source keeps its own wrong answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBank;

impl WrongAnswers for NoBank {
    fn wrong_answers(&self, _: &str, _: &str, _: usize, _: usize) -> Vec<String> {
        Vec::new()
    }
}

/// The lecture's terms as a bank of wrong answers, ranked by the embedding
/// model when there is one (its vectors kept between calls).
pub struct TermBank {
    terms: Terms,
    embed: Option<Arc<dyn Embed>>,
    seed: u64,
    vectors: Mutex<HashMap<String, Vec<f32>>>,
}

impl TermBank {
    pub fn new(terms: Terms, embed: Option<Arc<dyn Embed>>, seed: u64) -> Self {
        Self { terms, embed, seed, vectors: Mutex::new(HashMap::new()) }
    }

    pub fn terms(&self) -> &Terms {
        &self.terms
    }

    /// The vectors of `texts` (those not embedded before, in one call).
    fn vectors(&self, texts: &[String]) -> HashMap<String, Vec<f32>> {
        let Some(model) = &self.embed else { return HashMap::new() };
        let mut known = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
        let missing: Vec<&str> = texts.iter().filter(|t| !known.contains_key(*t)).map(String::as_str).collect();
        if !missing.is_empty() {
            for (t, v) in missing.iter().zip(model.embed(&missing)) {
                known.insert(t.to_string(), v);
            }
        }
        texts.iter().filter_map(|t| known.get(t).map(|v| (t.clone(), v.clone()))).collect()
    }
}

/// `answer` as a term's key: lower case, without a leading article.
fn key_of(answer: &str) -> String {
    let a = answer.trim().trim_end_matches('.').to_lowercase();
    for article in ["the ", "a ", "an "] {
        if let Some(rest) = a.strip_prefix(article) {
            return rest.to_string();
        }
    }
    a
}

impl WrongAnswers for TermBank {
    fn wrong_answers(&self, answer: &str, sentence: &str, page: usize, k: usize) -> Vec<String> {
        let lower = sentence.to_lowercase();
        // A term of the lecture: others of its category, as the rules choose them.
        if let Some(t) = self.terms.lookup(&key_of(answer)) {
            let tie = mix(self.seed, fnv(t.key.as_bytes()));
            let found = if self.embed.is_some() {
                // The terms the lexical ranking offers, embedded in one call.
                let mut texts: Vec<String> = self.terms.distractors(t, k + 60, &lower, page, tie, &[]);
                texts.push(t.display.clone());
                let vecs = self.vectors(&texts);
                let sim = |a: &str, b: &str| Some(cos(vecs.get(a)?, vecs.get(b)?));
                category_options(&self.terms, t, k, &lower, page, tie, Some(&sim as &Sim))
            } else {
                category_options(&self.terms, t, k, &lower, page, tie, None)
            };
            // One-word terms alike to the model ("coplot": "factor",
            // "latter") are too loose a category: only terms the lecture
            // defines, as the key's peers.
            let defined = |o: &String| self.terms.lookup(&o.to_lowercase()).is_some_and(|ot| ot.defined_in.is_some());
            return found.into_iter().filter(|o| t.kind != Kind::Concept || t.words > 1 || defined(o)).collect();
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::text;

    fn bank(pages: &[&str]) -> TermBank {
        let pages: Vec<String> = pages.iter().map(|p| p.to_string()).collect();
        let (sentences, _) = text::sentences(&pages);
        TermBank::new(Terms::collect(&sentences), None, 7)
    }

    const LECTURE: &str = "The tabular environment builds tables from rows and columns. \
        The verbatim environment prints text exactly as it is typed. \
        The itemize environment makes a bulleted list of items. \
        The enumerate environment makes a numbered list of items. \
        The tabular environment takes a column specification. \
        The verbatim environment is useful for program code. \
        The itemize environment nests up to four levels. \
        The enumerate environment numbers items automatically. \
        The figure environment floats a picture to a good place. \
        The figure environment holds a caption.";

    #[test]
    fn a_lecture_term_gets_terms_of_its_category() {
        let b = bank(&[LECTURE]);
        let ds = b.wrong_answers("tabular environment", "The tabular environment builds tables from rows and columns.", 1, 3);
        assert_eq!(ds.len(), 3, "three of its family: {ds:?}");
        assert!(ds.iter().all(|d| d.ends_with("environment") && d != "tabular environment"), "{ds:?}");
        // Never one the sentence names.
        let ds = b.wrong_answers("tabular environment", "The tabular environment is not the verbatim environment.", 1, 3);
        assert!(!ds.is_empty());
        assert!(!ds.iter().any(|d| d.contains("verbatim")), "{ds:?}");
    }

    #[test]
    fn no_term_gives_none_and_the_family_bounds_the_count() {
        let b = bank(&[LECTURE]);
        assert!(b.wrong_answers("rows and columns of cells", "Tables hold rows and columns of cells.", 1, 3).is_empty());
        assert!(b.wrong_answers("tabular environment", "The tabular environment builds tables.", 1, 9).len() <= 4);
        assert!(NoBank.wrong_answers("tabular environment", "x", 1, 1).is_empty());
    }
}
