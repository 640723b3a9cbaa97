//! The gate: which sentences questions may be built on. A sentence must be
//! plain prose ([`prose_refusal`]: a whole sentence of 7–32 words, no colon,
//! few commas, nothing chatty), have a subject the lecture names
//! (`super::subject`), make a claim in the present tense (or history with a
//! year or a name), and not be a demonstration of markup. Every refusal has
//! a reason, which `quality explain` prints.

use std::collections::{BTreeMap, BTreeSet};

use super::grammar::singular;
use super::usage::is_name_word;
use super::Gen;
use crate::analysis::prose::Class;
use crate::analysis::terms::Kind;
use crate::analysis::text::{self, Sentence};
use crate::words::{HEDGES, INFORMAL};

const MIN_WORDS: usize = 7;
const MAX_WORDS: usize = 32;

/// Quote marks and apostrophes a plain sentence may have: possessives and
/// one short quotation ([`short_quote`]), nothing else. Only a text with
/// such marks pays for looking.
fn quotes_ok(t: &str) -> bool {
    const QUOTES: [char; 6] = ['“', '”', '"', '‘', '\'', '’'];
    !t.contains(QUOTES) || {
        let rest = without_possessives(t);
        let rest = match short_quote(&rest) {
            Some((a, b)) => format!("{}{}", &rest[..a], &rest[b..]),
            None => rest,
        };
        !rest.contains(QUOTES)
    }
}

/// Where the short quotation of a plain sentence stands in its text (a
/// blank never falls there): found once the possessives are out of the
/// way, located in the text itself.
pub(super) fn quotation_in(t: &str) -> Option<(usize, usize)> {
    short_quote(&without_possessives(t)).and(short_quote(t))
}

/// The text with its possessive apostrophes taken out (`Ansible’s check
/// mode`, `authors’ names`); contractions (`it’s`, `doesn’t`) keep theirs.
pub(super) fn without_possessives(t: &str) -> String {
    let chars: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len());
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '\'' | '’') && i > 0 && chars[i - 1].is_alphabetic() {
            let next = chars.get(i + 1).copied();
            let after = chars.get(i + 2).copied();
            // The word the apostrophe ends.
            let start = chars[..i].iter().rposition(|c| !c.is_alphanumeric() && *c != '-').map_or(0, |p| p + 1);
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            let contraction = matches!(word.as_str(), "it" | "that" | "let" | "what" | "there" | "here" | "he" | "she" | "who" | "where" | "how");
            let singular = next == Some('s') && !after.is_some_and(char::is_alphanumeric);
            let plural = chars[i - 1] == 's' && !next.is_some_and(char::is_alphanumeric);
            if (singular || plural) && !contraction {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// One pair of quotes around one to three words inside a sentence (`are
/// treated as one “space”`): where it starts and ends.
pub(super) fn short_quote(t: &str) -> Option<(usize, usize)> {
    let (open, close) = [('“', '”'), ('‘', '’'), ('"', '"')].into_iter().find(|(o, _)| t.contains(*o))?;
    let a = t.find(open)?;
    let b = a + open.len_utf8() + t[a + open.len_utf8()..].find(close)?;
    let inside = &t[a + open.len_utf8()..b];
    let end = b + close.len_utf8();
    let words = inside.split_whitespace().count();
    let rest = format!("{}{}", &t[..a], &t[end..]);
    let ok = a > 0
        && (1..=3).contains(&words)
        && inside.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
        && !rest.contains(['“', '”', '"', '‘']);
    ok.then_some((a, end))
}

/// The byte range of a sentence's one short aside in parentheses (`sent to
/// the error channel (stderr)`, `uploaded to unstable (sid)`): at most four
/// words, no number, no pointer elsewhere (`see`, `e.g.`, `above`), not at
/// the start; the statement reads the same without it.
pub(super) fn short_aside(t: &str) -> Option<(usize, usize)> {
    let open = t.find('(')?;
    let close = t.find(')')?;
    if t.matches('(').count() != 1 || t.matches(')').count() != 1 || close < open || open == 0 {
        return None;
    }
    let inside = &t[open + 1..close];
    let words: Vec<String> = inside.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()).collect();
    let pointing = words.iter().any(|w| {
        matches!(w.as_str(), "see" | "e" | "g" | "eg" | "i" | "ie" | "cf" | "section" | "chapter" | "page" | "figure" | "fig" | "table" | "example" | "above" | "below" | "this" | "these" | "that" | "it" | "later" | "earlier" | "etc" | "optional" | "or")
    });
    let ok = (1..=4).contains(&words.len()) && !inside.chars().any(|c| c.is_ascii_digit()) && !pointing && !inside.contains(['.', ',', ';', ':']);
    ok.then_some((open, close + 1))
}

/// A list item that is one whole sentence (`• Hershey fonts provide
/// cyrillic and japanese characters.`): a statement like any other. Not
/// one of several sentences run together, nor a fragment.
fn whole_item(s: &Sentence) -> bool {
    let t = &s.text;
    let inner_stop = t.char_indices().any(|(i, c)| c == '.' && i + 1 < t.len() && t[i + 1..].starts_with(' ') && t[i + 1..].trim_start().starts_with(char::is_uppercase));
    t.ends_with('.') && !inner_stop && t.starts_with(char::is_uppercase)
}

/// Why a sentence is no plain, self-contained statement of prose (the
/// reason `quality explain` prints), or `None` when it is one: prose, a
/// whole sentence (a list item only when it is one), 7–32 words ending in a
/// period; no colon or semicolon, no quotes but possessives and one short
/// quotation, at most one short aside in parentheses, few commas, nothing
/// chatty.
fn prose_refusal(s: &Sentence) -> Option<&'static str> {
    let t = &s.text;
    let n = s.words();
    let reason = if s.class != Class::Prose {
        "not prose"
    } else if s.item && !whole_item(s) {
        "a list item"
    } else if n < MIN_WORDS {
        "too short"
    } else if n > MAX_WORDS {
        "too long"
    } else if (0..n).any(|i| INFORMAL.contains(&s.tok(i).to_lowercase().as_str())) {
        "chatty"
    } else if !quotes_ok(t) {
        "quotes"
    } else if t.contains([':', ';']) {
        "a colon or semicolon"
    } else if t.contains(['(', ')']) && short_aside(t).is_none() {
        "an aside in parentheses"
    } else if t.matches(',').count() > 2 {
        "many commas"
    } else if !t.ends_with('.')
        || !t.chars().next().is_some_and(|c| c.is_uppercase() || c == '"' || c == '“')
        || t.chars().filter(|c| c.is_alphabetic()).count() * 2 <= t.len()
    {
        "not plain prose"
    } else {
        return None;
    };
    Some(reason)
}

pub(super) fn sentence_ok(s: &Sentence) -> bool {
    prose_refusal(s).is_none()
}

/// Whether a sentence hedges or evaluates ([`HEDGES`]): no fact to check.
pub(super) fn hedged(s: &Sentence) -> bool {
    (0..s.words()).any(|i| HEDGES.contains(&s.tok(i).to_lowercase().as_str()))
}

/// Sentences that show what a piece of markup prints rather than state a
/// fact: the same sentence twice on one page (a source box and its output),
/// or a sentence whose words are inside a code sentence of its page
/// (`\TeX{} is a programming language …` rendered).
fn demonstrations(sentences: &[Sentence]) -> BTreeSet<usize> {
    let letters = |t: &str| -> String {
        let mut out = String::with_capacity(t.len());
        for w in t.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&w.to_lowercase());
        }
        out
    };
    let mut by_page: BTreeMap<usize, Vec<&Sentence>> = BTreeMap::new();
    for s in sentences {
        by_page.entry(s.page).or_default().push(s);
    }
    let mut out = BTreeSet::new();
    for page in by_page.values() {
        let code: Vec<String> = page.iter().filter(|s| s.class == Class::Code).map(|s| letters(&s.text)).collect();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for s in page.iter().filter(|s| s.class == Class::Prose) {
            let l = letters(&s.text);
            if let Some(&first) = seen.get(&l) {
                out.insert(first);
                out.insert(s.index);
            } else {
                seen.insert(l.clone(), s.index);
            }
            if l.split(' ').count() >= 5 && code.iter().any(|c| c.contains(&l)) {
                out.insert(s.index);
            }
        }
    }
    out
}

impl Gen<'_> {
    /// The gate of every sentence, with the demonstrations taken out
    /// ([`demonstrations`]).
    pub(super) fn gate_all(&self) -> Vec<bool> {
        let demo = demonstrations(self.sentences);
        self.sentences.iter().map(|s| !demo.contains(&s.index) && self.gated_uncached(s)).collect()
    }

    /// A sentence questions may be built on: a plain, self-contained
    /// statement about one of the lecture's key terms, in the present tense
    /// (a past tense only for history with a year).
    pub(super) fn gated(&self, s: &Sentence) -> bool {
        self.gate.get(s.index).copied().unwrap_or(false)
    }

    fn gated_uncached(&self, s: &Sentence) -> bool {
        self.gate_refusal(s).is_none()
    }

    /// Why a sentence is no source of questions (`None`: it is one).
    pub(super) fn gate_refusal(&self, s: &Sentence) -> Option<&'static str> {
        if let Some(reason) = prose_refusal(s) {
            return Some(reason);
        }
        let Some((last, _)) = self.subject_end(s) else { return Some("no subject") };
        // `The “Murphy” theorem gets …`: a name in quotes is the lecture's
        // example, not a thing of the subject.
        if s.text[..s.toks[last].end].contains(['“', '"', '‘']) {
            return Some("a quoted name in the subject");
        }
        // `… using his custom-bib tool kit`: a person named elsewhere.
        if (0..s.words()).any(|i| matches!(s.tok(i).to_lowercase().as_str(), "his" | "her" | "him" | "she" | "he")) {
            return Some("a person named elsewhere");
        }
        let n = s.words();
        // `The behavior of the option has been improved.`: a change note.
        let change = n >= 3 && matches!(s.tok(n - 3).to_lowercase().as_str(), "has" | "have") && s.tok(n - 2).eq_ignore_ascii_case("been") && s.tok(n - 1).ends_with("ed");
        let past = change || (0..n).any(|i| matches!(s.tok(i).to_lowercase().as_str(), "was" | "were" | "had" | "did"));
        // History is a fact when it has a year or is about a name (`LATEX was
        // written by Leslie Lamport`).
        let year = self.terms.spans(s).iter().any(|sp| self.terms.get(sp.term).kind == Kind::Year);
        let named = self.subject(s).is_some_and(|sp| matches!(self.terms.get(sp.term).kind, Kind::Name | Kind::Acronym))
            || is_name_word(&self.names_mid, s.tok(usize::from(matches!(s.tok(0).to_lowercase().as_str(), "the" | "a" | "an"))));
        // `Device drivers are started by calling a device driver function`:
        // the predicate repeats the subject, a tautology.
        let head = singular(&s.tok(last).to_lowercase());
        // A definition by genus (`A dimension vector is a vector of …`) repeats its head on purpose.
        let genus = matches!(s.tok(last + 1).to_lowercase().as_str(), "is" | "are") && matches!(s.tok(last + 2).to_lowercase().as_str(), "a" | "an");
        if !genus && head.len() >= 4 && (last + 1..s.words()).any(|i| singular(&s.tok(i).to_lowercase()) == head) {
            return Some("the predicate repeats the subject");
        }
        // `The R program begins, with a banner.`: a comma right after the
        // verb, a narrative of a session rather than a claim.
        if s.toks.get(last + 1).is_some_and(|v| s.text[v.end..].starts_with(',')) {
            return Some("a comma right after the verb");
        }
        // `The package xepersian offers support for the Persian language`:
        // the name says what the sentence claims, a giveaway.
        let names_it = (0..=last).any(|i| {
            let sw = s.tok(i).to_lowercase();
            (last + 1..s.words()).any(|j| {
                let w = s.tok(j).to_lowercase();
                w.len() >= 5 && sw.len() > w.len() && !text::is_stopword(&w) && sw.contains(w.as_str())
            })
        });
        if names_it {
            return Some("the subject's name gives the claim away");
        }
        (past && !year && !named).then_some("past tense")
    }
}
