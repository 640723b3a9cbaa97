//! Definitions stated by the lecture: `A gene is a segment of DNA that codes
//! for a protein.`, `X is defined as …`, `X refers to …`, `The process … is
//! called photosynthesis.` They give the two definition question forms:
//! "What is a segment of DNA that codes for a protein?" (terms as options)
//! and "What is a gene?" (definitions as options).

use super::prose::Class;
use super::text::{is_generic, is_stopword, Sentence};
use crate::words::{ARTICLES, BODY_START, CATEGORY_FIRST, WEAK_BODY, WEAK_MODIFIERS};

/// A definition found in one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub sentence: usize,
    /// The term as written (`gene`, `Calvin Cycle`, `LaTeX`).
    pub term: String,
    /// Lower-case identity.
    pub key: String,
    /// The article the lecture puts before the term (`a`, `an`, `the`, or empty).
    pub article: String,
    /// `are` rather than `is`.
    pub plural: bool,
    /// What the term is (`a segment of DNA that codes for a protein`), without
    /// the final period, starting lower-case.
    pub body: String,
    /// A name (capitalised), not a common noun.
    pub name: bool,
}

impl Definition {
    /// The copula for the term.
    pub fn copula(&self) -> &'static str {
        if self.plural {
            "are"
        } else {
            "is"
        }
    }
    /// The term with its article, for a stem (`a gene`, `the nucleus`, `LaTeX`).
    pub fn with_article(&self) -> String {
        if self.article.is_empty() {
            self.term.clone()
        } else {
            format!("{} {}", self.article, self.term)
        }
    }
}

fn clean_word(w: &str) -> &str {
    w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
}

fn term_word_ok(w: &str) -> bool {
    !w.is_empty()
        && w.chars().all(|c| c.is_alphabetic() || c == '-')
        && w.chars().filter(|c| c.is_alphabetic()).count() >= 2
}

/// Find the definition a sentence states, if any.
pub fn find(s: &Sentence) -> Option<Definition> {
    if s.class != Class::Prose || s.item {
        return None;
    }
    let text = s.text.trim_end_matches('.').trim();
    if !s.text.ends_with('.') || text.contains(['?', '!', ';', ':']) {
        return None;
    }
    let ws: Vec<&str> = text.split(' ').collect();
    let low: Vec<String> = ws.iter().map(|w| w.to_lowercase()).collect();
    if ws.len() < 6 || ws.len() > 40 {
        return None;
    }
    // `[Art] T is|are BODY`, `T is defined as BODY`, `T refers to BODY`.
    let art = usize::from(ARTICLES.contains(&low[0].as_str()));
    for k in (art + 1)..(art + 5).min(ws.len()) {
        let cop = low[k].as_str();
        let (plural, body_at) = match cop {
            "is" | "are" => {
                let plural = cop == "are";
                if low.get(k + 1).map(String::as_str) == Some("defined") && low.get(k + 2).map(String::as_str) == Some("as") {
                    (plural, k + 3)
                } else if low.get(k + 1).map(String::as_str) == Some("called") {
                    return None;
                } else {
                    (plural, k + 1)
                }
            }
            "refers" | "refer" if low.get(k + 1).map(String::as_str) == Some("to") => (cop == "refer", k + 2),
            "means" if art == 0 => (false, k + 1),
            _ => {
                // The term must be words only, up to the copula; otherwise
                // the sentence may still end `… are known as T`.
                if !term_word_ok(clean_word(ws[k])) || ws[k].ends_with(',') {
                    break;
                }
                continue;
            }
        };
        let term_words = &ws[art..k];
        // `… a discrete classification (grouping) of …`: a one-word aside
        // in the body is left out.
        let body: Vec<&str> = ws[body_at..].iter().copied().filter(|w| !(w.starts_with('(') && w.trim_end_matches([',', '.']).ends_with(')') && w.len() > 2)).collect();
        return make(s, term_words, if art == 1 { &low[0] } else { "" }, plural, &body);
    }
    // `BODY is|are called|known as|termed T.` at the end.
    for k in 3..ws.len().saturating_sub(1) {
        let called = match (low[k - 1].as_str(), low[k].as_str()) {
            ("is" | "are", "called" | "termed" | "named") => Some(k + 1),
            ("known" | "referred", "as") if k >= 2 && matches!(low[k - 2].as_str(), "is" | "are") => Some(k + 1),
            _ => None,
        };
        let Some(t) = called else { continue };
        let term_words = &ws[t..];
        if term_words.is_empty() || term_words.len() > 3 {
            return None;
        }
        let body_end = if matches!(low[k].as_str(), "as") { k - 2 } else { k - 1 };
        let plural = low[body_end] == "are";
        let body = &ws[..body_end];
        if body.is_empty() || !BODY_START.contains(&body[0].to_lowercase().as_str()) {
            return None;
        }
        return make(s, term_words, "", plural, body);
    }
    None
}

fn make(s: &Sentence, term_words: &[&str], article: &str, plural: bool, body: &[&str]) -> Option<Definition> {
    if term_words.is_empty() || term_words.len() > 4 || body.len() < 4 {
        return None;
    }
    // `Adenosine triphosphate (ATP) is …`: the term ends before the bracket.
    let term_words: Vec<&str> = term_words.iter().take_while(|w| !w.starts_with('(')).copied().collect();
    let term_words = term_words.as_slice();
    if term_words.is_empty() {
        return None;
    }
    let words: Vec<&str> = term_words.iter().map(|w| clean_word(w)).collect();
    if words.iter().any(|w| !term_word_ok(w)) || term_words.iter().any(|w| w.ends_with(',')) {
        return None;
    }
    let first = words[0].to_lowercase();
    let last = words[words.len() - 1].to_lowercase();
    if is_stopword(&first)
        || is_stopword(&last)
        || (words.len() == 1 && is_generic(&first))
        || CATEGORY_FIRST.contains(&first.as_str())
        || WEAK_MODIFIERS.contains(&first.as_str())
    {
        return None;
    }
    if words.iter().skip(1).take(words.len().saturating_sub(2)).any(|w| is_stopword(&w.to_lowercase()) && *w != "of") {
        return None;
    }
    let body_text = body.join(" ");
    let body_low = body_text.to_lowercase();
    // A definition a student can read alone: short, no aside, no clause
    // that points elsewhere (`since only 16 of them …`, `in the current
    // example`), and the term is a noun phrase, not an action (`solving …`).
    let body_words: Vec<String> = body_low.split(' ').map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string()).collect();
    if body.len() > 24
        || body_text.contains(['(', ')', '“', '”', '"'])
        || body_words.iter().any(|w| {
            matches!(
                w.as_str(),
                "it" | "its" | "they" | "them" | "this" | "these" | "those" | "since" | "because" | "therefore" | "example"
                    | "above" | "below" | "here" | "we" | "you" | "your" | "etc"
            )
        })
        || words[0].to_lowercase().ends_with("ing")
        || words[words.len() - 1].to_lowercase().ends_with("ly")
    {
        return None;
    }
    let body_first = body[0].to_lowercase();
    // `Enzymes are proteins that …`: a plural body may go without an article.
    let relative = body.iter().skip(1).any(|w| matches!(w.to_lowercase().as_str(), "that" | "which" | "who" | "whose" | "used" | "where"));
    let plural_noun = body_first.len() > 3 && body_first.ends_with('s') && !body_first.ends_with("ss") && !body_first.ends_with("ous");
    if !(BODY_START.contains(&body_first.as_str()) || plural && relative && plural_noun && !is_stopword(&body_first)) {
        return None;
    }
    if WEAK_BODY.iter().any(|w| body_low == *w || body_low.starts_with(&format!("{w} "))) {
        return None;
    }
    // The body must not give the term away.
    let key = words.join(" ").to_lowercase();
    let head = key.rsplit(' ').next().unwrap_or(&key).to_string();
    let head_stem: String = head.chars().take(head.chars().count().saturating_sub(1).max(4)).collect();
    if body_low.split(|c: char| !c.is_alphanumeric()).any(|w| w == head || (head_stem.len() >= 5 && w.starts_with(&head_stem))) {
        return None;
    }
    let capital = |w: &&str| w.chars().next().is_some_and(char::is_uppercase);
    let name = words.iter().any(|w| w.chars().skip(1).any(char::is_uppercase))
        || words.iter().skip(1).any(capital)
        || (!article.is_empty() && capital(&words[0]));
    // A capital at the sentence start is grammar: `Enzymes are …` → `enzymes`.
    let term = if name { words.join(" ") } else { words.join(" ").to_lowercase() };
    let mut body_out = body_text;
    if let Some(f) = body_out.get(..1) {
        if f.chars().all(char::is_uppercase) && body[0].len() <= 3 {
            body_out = f.to_lowercase() + &body_out[1..];
        }
    }
    let body_out = body_out.trim_end_matches([',', '.']).to_string();
    Some(Definition {
        sentence: s.index,
        name: term.chars().next().is_some_and(char::is_uppercase),
        term,
        key,
        article: article.to_string(),
        plural,
        body: body_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::text::sentences;

    fn defs(text: &str) -> Vec<Definition> {
        let (s, _) = sentences(&[text.to_string()]);
        s.iter().filter_map(find).collect()
    }

    #[test]
    fn copula_definitions() {
        let d = defs("A gene is a segment of DNA that codes for a protein.");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].term, "gene");
        assert_eq!(d[0].article, "a");
        assert_eq!(d[0].body, "a segment of DNA that codes for a protein");
        assert!(!d[0].plural);
        let d = defs("Enzymes are proteins that speed up chemical reactions in the cell.");
        assert_eq!(d[0].term, "enzymes");
        assert!(d[0].plural);
        assert_eq!(d[0].body, "proteins that speed up chemical reactions in the cell");
        assert!(defs("Enzymes are important in every cell of the body.").is_empty(), "no relative clause: not a definition");
        let d = defs("The Calvin Cycle is the set of reactions that fixes carbon dioxide into sugar.");
        assert!(d.is_empty(), "`the set` is too weak a body: {d:?}");
        let d = defs("The nucleus is the organelle that stores the genetic material of the cell.");
        assert_eq!(d[0].term, "nucleus");
        assert_eq!(d[0].with_article(), "the nucleus");
        let d = defs("LaTeX is a document preparation system for high-quality typesetting.");
        assert_eq!(d[0].term, "LaTeX");
        assert!(d[0].name);
    }

    #[test]
    fn called_definitions() {
        let d = defs("The process by which plants turn light into chemical energy is called photosynthesis.");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].term, "photosynthesis");
        assert_eq!(d[0].body, "the process by which plants turn light into chemical energy");
    }

    #[test]
    fn non_definitions() {
        for t in [
            "This is a good way to start the document.",
            "It is a program that formats text.",
            "The cell membrane is a membrane that surrounds the cell.",
            "Paris is a lot bigger than Lyon in every respect.",
        ] {
            assert!(defs(t).is_empty(), "{t}: {:?}", defs(t));
        }
    }
}
