//! Glossaries of slides and handouts: runs of `term – description` bullets
//! (`changelog – history of the Debian package`, `acmsmall: The default
//! journal template style`). Each entry makes a "which of these is …"
//! question whose options are the other terms of its run: things of one
//! kind, named by the lecture itself.

use super::text::{is_stopword, Sentence};
use crate::words::LABELS;

/// One entry: the term, its description (no final stop, no trailing
/// parenthesis), the sentence it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub term: String,
    pub description: String,
    pub sentence: usize,
}

/// Entries that follow each other on one page with the same separator.
#[derive(Debug, Clone)]
pub struct Glossary {
    pub entries: Vec<Entry>,
}

/// The separator an entry uses: a dash with spaces, or a colon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Dash,
    Colon,
}

/// `term – description` or `term: description`, when the term is a short
/// name and the description a short phrase of words.
fn entry(text: &str) -> Option<(String, String, Sep)> {
    let (pos, len, sep) = [" – ", " — ", " - "]
        .iter()
        .filter_map(|d| text.find(d).map(|p| (p, d.len(), Sep::Dash)))
        .chain(text.find(": ").map(|p| (p, 2, Sep::Colon)))
        .min_by_key(|x| x.0)?;
    let term = text[..pos].trim();
    let mut description = text[pos + len..].trim().trim_end_matches(['.', ';', ',']).trim().to_string();
    // `meta-data about the package (dependencies, etc.)`: the aside goes.
    if description.ends_with(')') {
        if let Some(open) = description.rfind(" (") {
            description.truncate(open);
        }
    }
    let words: Vec<&str> = term.split_whitespace().collect();
    let term_ok = (1..=3).contains(&words.len())
        && (2..=30).contains(&term.chars().count())
        && term.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | '/' | ' ' | '+'))
        && term.chars().next().is_some_and(char::is_alphabetic)
        // `Note: …`, `Homepage: …`: a label before a colon; a dash rarely
        // follows one.
        && !(sep == Sep::Colon && LABELS.contains(&words[0].to_lowercase().as_str()))
        && !matches!(words[0].to_lowercase().as_str(), "note" | "example" | "see" | "in" | "on" | "for" | "and" | "or");
    let n = description.split_whitespace().count();
    let desc_ok = (2..=18).contains(&n)
        && description.chars().next().is_some_and(char::is_alphabetic)
        && !description.contains(['{', '}', '\\', '$', '@', '<', '>', '=', '|', ':', '–', '—'])
        && !description.contains("http")
        && !description.contains("www.")
        && !description.ends_with("etc")
        // `acmlarge: Used by JOCCH and TAP`: who uses a thing is trivia.
        && !description.to_lowercase().starts_with("used by")
        // `culture of technical excellence We release …`: two lines run
        // together (a capitalised function word inside).
        && !description.split_whitespace().skip(1).any(|w| w.chars().next().is_some_and(char::is_uppercase) && is_stopword(&w.to_lowercase()))
        && description.chars().filter(|c| c.is_alphabetic()).count() * 10 >= description.len() * 7;
    (term_ok && desc_ok).then(|| (term.to_string(), description, sep))
}

/// The glossaries of the lecture: at least three entries on one page with
/// one separator, at most one other line between two of them (a wrapped
/// line, a column break).
pub fn find(sentences: &[Sentence]) -> Vec<Glossary> {
    let mut out = Vec::new();
    let mut run: Vec<Entry> = Vec::new();
    let mut key: Option<(usize, Sep)> = None;
    let mut last = 0usize;
    let flush = |run: &mut Vec<Entry>, out: &mut Vec<Glossary>| {
        let entries = std::mem::take(run);
        let mut terms: Vec<String> = entries.iter().map(|e| e.term.to_lowercase()).collect();
        terms.sort();
        terms.dedup();
        if entries.len() >= 3 && terms.len() == entries.len() {
            out.push(Glossary { entries });
        }
    };
    for s in sentences {
        match entry(&s.text) {
            Some((term, description, sep)) => {
                if key != Some((s.page, sep)) || s.index > last + 2 {
                    flush(&mut run, &mut out);
                    key = Some((s.page, sep));
                }
                run.push(Entry { term, description, sentence: s.index });
                last = s.index;
            }
            None if s.index > last + 1 => {
                flush(&mut run, &mut out);
                key = None;
            }
            None => {}
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Whether an entry's description gives its term away (`sigchi: Used for
/// SIGCHI conference articles`, `devscripts: contains useful scripts`).
pub fn echoes(e: &Entry) -> bool {
    let term = e.term.to_lowercase();
    let desc = e.description.to_lowercase();
    let desc_words: Vec<&str> = desc.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 3 && !is_stopword(w)).collect();
    // `images` for `imagemagick`: a shared start of five letters is a hint too.
    let prefix = |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count() >= 5;
    term.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 3).any(|w| desc_words.iter().any(|d| d.contains(w) || w.contains(d) || prefix(w, d)))
}

/// The stem asking for the term of a description: `Which of these is a
/// free program for …?`, `Which of these specifies how to …?`, or the
/// description quoted.
pub fn stem(description: &str, is_verb_s: impl Fn(&str) -> bool) -> String {
    let mut chars = description.chars();
    let first_char = chars.next().unwrap_or(' ');
    let first = description.split_whitespace().next().unwrap_or("").to_lowercase();
    // Lower-case the first letter unless the word is a name (`TEX`, `Debian`).
    let name = description.split_whitespace().next().is_some_and(|w| w.chars().skip(1).any(char::is_uppercase));
    let lowered = if name { description.to_string() } else { first_char.to_lowercase().chain(chars).collect() };
    if matches!(first.as_str(), "a" | "an" | "the") || (first.ends_with("ed") && first.len() > 4) || first == "used" {
        format!("Which of these is {lowered}?")
    } else if is_verb_s(&first) {
        format!("Which of these {lowered}?")
    } else {
        format!("Which of these does the lecture describe as “{description}”?")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_short_terms_with_phrases_and_labels_are_none() {
        let (t, d, _) = entry("changelog – history of the Debian package").unwrap();
        assert_eq!((t.as_str(), d.as_str()), ("changelog", "history of the Debian package"));
        let (_, d, _) = entry("control – meta-data about the package (dependencies, etc.)").unwrap();
        assert_eq!(d, "meta-data about the package");
        let (t, d, sep) = entry("acmsmall: The default journal template style.").unwrap();
        assert_eq!((t.as_str(), d.as_str(), sep), ("acmsmall", "The default journal template style", Sep::Colon));
        assert!(entry("Note: this is a very bad example of a table!").is_none());
        assert!(entry("Homepage: http://www.gnu.org/software/wget/").is_none());
        assert!(entry("Build-Depends: debhelper (>> 5.0.0), gettext").is_none());
        assert!(entry("The classical bibliography styles didn't provide for author – year citation").is_none());
    }

    #[test]
    fn stems_read_as_questions() {
        let verb = |w: &str| w == "specifies";
        assert_eq!(stem("a free program for converting bitmap images", verb), "Which of these is a free program for converting bitmap images?");
        assert_eq!(stem("specifies how to build the package", verb), "Which of these specifies how to build the package?");
        assert_eq!(stem("Used by TOG", verb), "Which of these is used by TOG?");
        assert_eq!(stem("history of the Debian package", verb), "Which of these does the lecture describe as “history of the Debian package”?");
    }
}
