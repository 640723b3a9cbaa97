//! Surface cues: what lets a student who has not read the lecture pick the
//! key of a multiple-choice question, or see what a statement is about
//! without the lecture (the rubric's "odd one out", its "stem gives the key
//! away", and the context the student cannot see).

use std::collections::HashSet;

use crate::lexicon::{content_stems, words};

/// Why these options give their key away, if they do:
/// - every wrong answer shares a word the key lacks ("float-placing rules /
///   guidelines / regulations" next to "placement specifier");
/// - only the key joins two things ("Debian and RPM" next to single names);
/// - the stem spells the key's initials ("… (DD) …" for "Debian Developer").
pub fn options_cue(key: &str, distractors: &[String], stem: &str) -> Option<String> {
    if distractors.len() >= 2 {
        let key_words: HashSet<String> = content_stems(key).into_iter().collect();
        let mut shared: Option<HashSet<String>> = None;
        for d in distractors {
            let ws: HashSet<String> = content_stems(d).into_iter().collect();
            shared = Some(match shared {
                None => ws,
                Some(s) => s.intersection(&ws).cloned().collect(),
            });
        }
        if let Some(w) = shared.unwrap_or_default().into_iter().filter(|w| !key_words.contains(w)).min() {
            return Some(format!("every wrong answer has \"{w}\" and the key does not: the key stands out"));
        }
        let joins = |o: &str| {
            let ws = words(o);
            ws.iter().any(|w| w == "and" || w == "or") || o.contains(',')
        };
        if joins(key) && !distractors.iter().any(|d| joins(d)) {
            return Some("only the key names two things: it stands out".into());
        }
    }
    let initials: String = key
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphabetic())
        .collect::<String>()
        .to_uppercase();
    if initials.chars().count() >= 2 {
        let acronym = stem
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| (2..=6).contains(&t.len()) && t.chars().all(|c| c.is_ascii_uppercase()))
            .find(|t| *t == initials);
        if let Some(a) = acronym {
            return Some(format!("the stem's \"{a}\" spells the key's initials"));
        }
    }
    None
}

/// Nouns that name a thing only in the context the lecture sets ("The keys
/// can be used to …": the keys of what?).
const GENERIC: &[&str] = &[
    "parameter", "parameters", "argument", "arguments", "key", "keys", "option", "options", "value", "values", "command",
    "commands", "environment", "file", "files", "function", "functions", "variable", "variables", "field", "fields", "entry",
    "entries", "result", "results", "output", "input", "method", "methods", "step", "steps", "procedure", "process", "approach",
    "system", "program", "tool", "package", "packages", "user", "users", "list", "structure", "setting", "settings", "module",
    "script", "code", "model", "models", "language", "object", "objects", "element", "elements", "item", "items", "line",
    "lines", "name", "type", "class", "format", "string", "number", "version", "server", "data", "estimate", "estimates",
    "test", "effect", "difference", "author", "authors", "study", "studies", "analysis", "figure", "region", "species",
];

/// Words between "the" and such a noun that keep it as vague.
const VAGUE_ADJECTIVES: &[&str] =
    &["optional", "new", "first", "second", "third", "last", "other", "same", "default", "current", "main", "original", "corresponding", "given", "following", "previous", "next", "resulting", "specified", "above", "two", "three", "latter", "former"];

/// What continues a noun phrase and so may name the thing ("the value of x",
/// "the file called …").
const QUALIFIERS: &[&str] = &["of", "for", "in", "on", "to", "that", "which", "who", "called", "named", "with", "from", "by", "at", "as"];

/// Why `sentence` leans on context the student cannot see: it opens with
/// "The" and a generic noun that nothing names ("The optional parameter
/// accepts …", "The keys can …").
pub fn dangling_subject(sentence: &str) -> Option<String> {
    let tokens: Vec<&str> = sentence.split_whitespace().collect();
    let low = |t: &str| t.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    if tokens.first().map(|t| low(t)) != Some("the".into()) {
        return None;
    }
    let mut i = 1;
    while i < tokens.len() && VAGUE_ADJECTIVES.contains(&low(tokens[i]).as_str()) {
        i += 1;
    }
    let noun = tokens.get(i).copied()?;
    // A capital, a digit or code in the noun names it ("The R function", "The SVD").
    if noun.chars().next().is_some_and(|c| !c.is_lowercase()) || !noun.chars().all(|c| c.is_alphabetic() || c == '-') {
        return None;
    }
    if !GENERIC.contains(&low(noun).as_str()) {
        return None;
    }
    let next = tokens.get(i + 1).map(|t| low(t)).unwrap_or_default();
    // Followed by another noun ("The file system"), a name, a qualifier: named.
    let next_raw = tokens.get(i + 1).copied().unwrap_or("");
    if QUALIFIERS.contains(&next.as_str()) || next_raw.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()) || GENERIC.contains(&next.as_str()) {
        return None;
    }
    if tokens[..i + 1].iter().any(|t| t.ends_with([',', ':', ';'])) || next_raw.starts_with(['(', '"', '“', '`', '\\']) {
        return None;
    }
    Some(format!("\"{} {}\" of what? The student cannot see the context", tokens[..i].join(" "), noun.trim_end_matches([',', '.'])))
}

/// Words that make a statement about the document or the course rather
/// than its subject.
/// ("document", "chapter" and "slides" are a LaTeX lecture's subject.)
const DOCUMENT_WORDS: &[&str] = &["tutorial", "lecture", "lectures", "handbook", "handout", "textbook", "vignette"];

/// Why `sentence` is about the document itself ("Debian Packaging Tutorial
/// covers …"), if it is.
pub fn about_the_document(sentence: &str) -> Option<String> {
    words(sentence).into_iter().find(|w| DOCUMENT_WORDS.contains(&w.as_str())).map(|w| format!("about the document or the course (\"{w}\"), not its subject"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn an_odd_key_is_seen() {
        assert!(options_cue("placement specifier", &s(&["float-placing rules", "float-placing guidelines", "float-placing regulations"]), "What is the string of float-placing permissions?").is_some());
        assert!(options_cue("hard to find", &s(&["easy to get", "easy to find", "easy to obtain"]), "What is the attitude?").is_some());
        assert!(options_cue("Debian and RPM", &s(&["Ubuntu", "Arch Linux", "Fedora"]), "What are the two most common package formats?").is_some());
        assert!(options_cue("Debian Developer", &s(&["Debian Maintainer", "Debian Contributor", "Debian Sponsor"]), "Fill in the blank: _____ (DD) can vote.").is_some());
        // Words all options share, or none: no cue.
        assert_eq!(options_cue("Space before colon", &s(&["Space before comma", "Space before semicolon", "Space before period"]), "Which rule?"), None);
        assert_eq!(options_cue("Lintian", &s(&["Piuparts", "Debdiff", "Autopkgtest"]), "Which tool checks packages for errors?"), None);
        assert_eq!(options_cue("dpkg-buildpackage", &s(&["debuild", "pbuilder", "sbuild"]), "Which command (CLI) builds?"), None);
    }

    #[test]
    fn a_generic_subject_without_its_context_is_seen() {
        assert!(dangling_subject("The keys can be used to alter the width of the included graphic.").is_some());
        assert!(dangling_subject("The optional parameter accepts a comma separated list of keys.").is_some());
        assert!(dangling_subject("The model assumes constant variance.").is_some());
        assert_eq!(dangling_subject("The value of x is 3."), None);
        assert_eq!(dangling_subject("The file system holds inodes."), None);
        assert_eq!(dangling_subject("The Nile is the longest river in Africa."), None);
        assert_eq!(dangling_subject("The comment environment is provided by the verbatim package."), None);
        assert_eq!(dangling_subject("Lintian checks packages."), None);
        assert_eq!(dangling_subject("The R function lm fits linear models."), None);
    }

    #[test]
    fn statements_about_the_document_are_seen() {
        assert!(about_the_document("Debian Packaging Tutorial covers all points.").is_some());
        assert_eq!(about_the_document("Lintian checks Debian packages."), None);
        assert_eq!(about_the_document("The graphicx package includes pictures in a document."), None);
    }
}
