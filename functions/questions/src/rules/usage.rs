//! What the lecture's own usage says about its words, worked out once per
//! lecture: the capitalised words it uses as names, the nouns it never puts
//! after an article, the `-s` words it uses as plural nouns, the words of its
//! code lines. The gate and the subject finder read them.

use std::collections::BTreeSet;

use super::grammar::capitalize_first;
use crate::analysis::prose::{self, Class};
use crate::analysis::text::{self, Sentence};

/// Lower-case words of the lecture's code and markup lines (`fontspec` of
/// `\usepackage{fontspec}`): names of packages, options, commands.
pub(super) fn code_words(sentences: &[Sentence]) -> BTreeSet<String> {
    sentences
        .iter()
        .filter(|s| s.class == Class::Code)
        .flat_map(|s| s.text.split(|c: char| !(c.is_alphanumeric() || c == '-')).map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|w| w.len() >= 3 && !text::is_stopword(w))
        .collect()
}

/// Words in `-s` the lecture uses as plural nouns: after a determiner or a
/// quantifier (`the sets`, `two breaks`) or before a plural verb (`sets are`).
pub(super) fn plural_nouns(sentences: &[Sentence]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in sentences {
        for i in 0..s.words() {
            let w = s.tok(i).to_lowercase();
            if w.len() < 4 || !w.ends_with('s') || w.ends_with("ss") {
                continue;
            }
            let before = if i > 0 { s.tok(i - 1).to_lowercase() } else { String::new() };
            let after = s.tok(i + 1).to_lowercase();
            if matches!(
                before.as_str(),
                "the" | "these" | "those" | "two" | "three" | "four" | "many" | "several" | "some" | "all" | "such" | "other" | "both" | "various" | "multiple" | "few" | "of" | "its" | "their" | "your" | "our" | "no" | "more" | "most" | "any"
            ) || matches!(after.as_str(), "are" | "were" | "have" | "do" | "of")
            {
                out.insert(w);
            }
        }
    }
    out
}

/// Capitalised words used inside sentences, with their counts; a word the
/// lecture also writes in lower case counts as `u32::MAX` ("not a name").
pub(super) fn names_mid(sentences: &[Sentence]) -> std::collections::HashMap<String, u32> {
    let mut m: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut lower: BTreeSet<String> = BTreeSet::new();
    for s in sentences.iter().filter(|s| matches!(s.class, Class::Prose | Class::Dependent | Class::Fragment | Class::Heading)) {
        for i in 0..s.words() {
            let w = s.tok(i);
            if w.chars().next().is_some_and(char::is_lowercase) {
                lower.insert(w.to_string());
            } else if i > 0 && w.chars().next().is_some_and(char::is_uppercase) && w.chars().all(char::is_alphanumeric) {
                *m.entry(w.to_string()).or_insert(0) += 1;
            }
        }
    }
    for s in sentences {
        if let Some(first) = s.toks.first().map(|_| s.tok(0)) {
            if first.chars().next().is_some_and(char::is_uppercase) && !lower.contains(&first.to_lowercase()) && !text::is_stopword(&first.to_lowercase()) {
                m.entry(first.to_string()).or_insert(0);
            }
        }
    }
    for w in lower {
        let cap = capitalize_first(&w);
        if let Some(c) = m.get_mut(&cap) {
            // `R`, `C`: a one-letter name used capitalised inside sentences
            // again and again stays a name though `r` is a variable elsewhere.
            if !(cap.chars().count() == 1 && *c >= 10 && cap != "I" && cap != "A") {
                *c = u32::MAX;
            }
        }
    }
    m
}

/// Words that prose uses inside sentences but never after an article or
/// another determiner (`systemtap`, `recursion`), with their counts: a
/// singular subject without an article is a name or a mass noun only then.
pub(super) fn bare_nouns(sentences: &[Sentence]) -> std::collections::HashMap<String, u32> {
    let mut m: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut determined: BTreeSet<String> = BTreeSet::new();
    for s in sentences.iter().filter(|s| matches!(s.class, Class::Prose | Class::Dependent)) {
        for i in 1..s.words() {
            let w = s.tok(i);
            if !w.chars().all(|c| c.is_ascii_lowercase()) || w.len() < 4 {
                continue;
            }
            let before = s.tok(i - 1).to_lowercase();
            // `the systemtap translator`: a modifier after the article, not the noun.
            let next = s.tok(i + 1).to_lowercase();
            let head = next.is_empty()
                || text::is_stopword(&next)
                || prose::is_verb_form(&next)
                || s.text[s.toks[i].end..s.toks.get(i + 1).map_or(s.text.len(), |t| t.start)].trim() != "";
            if head && matches!(before.as_str(), "a" | "an" | "the" | "this" | "that" | "each" | "every" | "any" | "some" | "no" | "its" | "their" | "our" | "your" | "his" | "her" | "one" | "another") {
                determined.insert(w.to_string());
            } else {
                *m.entry(w.to_string()).or_insert(0) += 1;
            }
        }
    }
    m.retain(|w, _| !determined.contains(w));
    m
}

/// Whether a capitalised word is a name: the lecture never writes it in
/// lower case (`Cassandra`, `R`, `Kafka`).
pub(super) fn is_name_word(names: &std::collections::HashMap<String, u32>, w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase) && names.get(w).is_some_and(|&c| c != u32::MAX)
}
