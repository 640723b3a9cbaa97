//! Text analysis for the generator: tokens, sentences, list groups.

use super::prose::{self, Class};
use crate::words::{ABBREVIATIONS, GENERIC, STOPWORDS};

/// A word-like token: byte range in its sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    pub start: usize,
    pub end: usize,
}

/// A sentence (or a list item) of the lecture.
#[derive(Debug, Clone)]
pub struct Sentence {
    pub text: String,
    /// 1-based page number.
    pub page: usize,
    /// Position in the document (0-based, over all pages).
    pub index: usize,
    pub toks: Vec<Tok>,
    /// A list item (its marker removed).
    pub item: bool,
    /// What the text is ([`prose::classify`]); only prose and list items
    /// make questions.
    pub class: Class,
    /// For a clause view ([`Sentence::clause_from`]): how many words of the
    /// sentence come before its first word; 0 for a whole sentence.
    pub offset: usize,
}

impl Sentence {
    /// The sentence from its `k`-th word on (its main clause after an
    /// opening phrase): same text and index, words counted from there.
    pub fn clause_from(&self, k: usize) -> Sentence {
        Sentence { toks: self.toks[k.min(self.toks.len())..].to_vec(), offset: self.offset + k, ..self.clone() }
    }
    /// The `i`-th word; empty past the end.
    pub fn tok(&self, i: usize) -> &str {
        self.toks.get(i).map_or("", |t| &self.text[t.start..t.end])
    }
    pub fn words(&self) -> usize {
        self.toks.len()
    }
}

/// A list: an introducing sentence ending in `:` and its items.
#[derive(Debug, Clone)]
pub struct ListGroup {
    pub intro: usize,
    pub items: Vec<usize>,
}

fn set(words: &'static [&'static str]) -> std::collections::HashSet<&'static str> {
    words.iter().copied().collect()
}

pub fn is_stopword(w: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| set(STOPWORDS)).contains(w)
}

pub fn is_generic(w: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| set(GENERIC)).contains(w)
}

/// Tokenise: letters/digits with inner `-` `'` `’`, numbers with inner `.`
/// `,` and a trailing `%`.
pub fn tokenize(s: &str) -> Vec<Tok> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !c.is_alphanumeric() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() {
            let (_, c) = chars[j];
            if c.is_alphanumeric() {
                j += 1;
                continue;
            }
            let next_alnum = chars.get(j + 1).is_some_and(|(_, n)| n.is_alphanumeric());
            let prev = chars[j - 1].1;
            if matches!(c, '-' | '\'' | '’') && next_alnum && prev.is_alphanumeric() {
                j += 1;
                continue;
            }
            let next_digit = chars.get(j + 1).is_some_and(|(_, n)| n.is_ascii_digit());
            if matches!(c, '.' | ',') && prev.is_ascii_digit() && next_digit && chars[i].1.is_ascii_digit() {
                j += 1;
                continue;
            }
            break;
        }
        if j < chars.len() && chars[j].1 == '%' && chars[j - 1].1.is_ascii_digit() {
            j += 1;
        }
        let end = chars.get(j).map(|(b, _)| *b).unwrap_or(s.len());
        toks.push(Tok { start, end });
        i = j;
    }
    toks
}

/// Split a paragraph into sentences.
pub fn split_sentences(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = p.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'.' | b'!' | b'?') {
            let mut end = i + 1;
            while end < bytes.len() && matches!(bytes[end], b'"' | b')' | b'\'' | b']') {
                end += 1;
            }
            // Closing curly quotes (multi-byte).
            while p[end..].starts_with('”') || p[end..].starts_with('’') {
                end += '”'.len_utf8();
            }
            let at_end = end >= bytes.len();
            let followed_by_space = at_end || bytes[end] == b' ';
            if followed_by_space {
                let next = p[end..].trim_start().chars().next();
                let next_ok = next.is_none_or(|c| c.is_uppercase() || c.is_ascii_digit() || "\"“('‘[".contains(c));
                let word_before: String = p[start..i]
                    .rsplit(|c: char| c.is_whitespace() || c == '(')
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                let abbrev = b == b'.'
                    && (ABBREVIATIONS.contains(&word_before.as_str())
                        || (word_before.chars().count() == 1 && word_before.chars().all(char::is_alphabetic))
                        // `e.g.`, `U.S.`; not a URL or a file name (`example.com/x.`).
                        || word_before.contains('.') && word_before.split('.').all(|part| part.chars().count() <= 3));
                if next_ok && !abbrev {
                    let s = p[start..end].trim();
                    if !s.is_empty() {
                        out.push(s.to_string());
                    }
                    start = end;
                }
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    let rest = p[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// All sentences of the lecture with their pages, and its lists. Every
/// sentence is cleaned ([`prose::clean`]), a heading fused into it is split
/// off, and it is classified ([`prose::classify`]); text repeated on many
/// pages (navigation bars) is a heading.
pub fn sentences(pages: &[String]) -> (Vec<Sentence>, Vec<ListGroup>) {
    let furniture = prose::furniture_shingles(pages);
    let headings = prose::heading_set(pages);
    let mut out: Vec<Sentence> = Vec::new();
    let mut groups: Vec<ListGroup> = Vec::new();
    let mut open: Option<ListGroup> = None;
    let push = |out: &mut Vec<Sentence>, text: String, page: usize, item: bool, class: Class| -> usize {
        let index = out.len();
        let class = if class != Class::Heading && prose::furniture_share(&text, &furniture) > 0.5 { Class::Heading } else { class };
        out.push(Sentence { toks: tokenize(&text), text, page, index, item, class, offset: 0 });
        index
    };
    for (pi, page) in pages.iter().enumerate() {
        for para in page.lines() {
            let para = para.trim();
            if para.is_empty() {
                continue;
            }
            // A table row as the document readers write it (cells between
            // tabs; a PDF's text never has a tab): one line, never prose.
            if para.contains('\t') {
                push(&mut out, para.split('\t').map(str::trim).collect::<Vec<_>>().join(" | "), pi + 1, false, Class::Table);
                continue;
            }
            // Slides put several bullets on one line: `Topic ▶ point ▶ point`.
            let bullets: Vec<&str> = para.split(BULLETS).map(str::trim).filter(|b| !b.is_empty()).collect();
            if bullets.len() > 1 || crate::extract::pdf::list_marker_len(para).is_some() || para.starts_with(BULLETS) {
                let mut parts = bullets.into_iter();
                if !para.starts_with(BULLETS) && crate::extract::pdf::list_marker_len(para).is_none() {
                    // The text before the first bullet is an ordinary line.
                    if let Some(lead) = parts.next() {
                        for s in split_sentences(lead) {
                            let cleaned = prose::clean(&s);
                            let class = prose::classify(&cleaned);
                            push(&mut out, cleaned, pi + 1, false, class);
                        }
                    }
                }
                for part in parts {
                    let m = crate::extract::pdf::list_marker_len(part).unwrap_or(0);
                    let text = prose::clean(&part[m..]);
                    if text.is_empty() {
                        continue;
                    }
                    // A bullet that is a whole statement without its full
                    // stop (`• Glue can shrink and expand within limits`, as
                    // slides write them) is a sentence of the lecture.
                    let statement = format!("{text}.");
                    if !text.ends_with(['.', ':', ';', ',', '?', '!'])
                        && text.chars().next().is_some_and(char::is_uppercase)
                        && text.split_whitespace().count() >= 6
                        && prose::classify(&statement) == Class::Prose
                    {
                        push(&mut out, statement, pi + 1, false, Class::Prose);
                        continue;
                    }
                    let class = prose::classify(&text);
                    let index = push(&mut out, text, pi + 1, true, class);
                    if let Some(g) = open.as_mut() {
                        g.items.push(index);
                    }
                }
                continue;
            }
            if let Some(g) = open.take() {
                if g.items.len() >= 3 {
                    groups.push(g);
                }
            }
            // `1On systems that …`: a footnote's text.
            let footnote = {
                let b = para.as_bytes();
                let d = b.iter().take_while(|c| c.is_ascii_digit()).count();
                (1..=2).contains(&d) && b.get(d).is_some_and(u8::is_ascii_uppercase) && b.get(d + 1).is_some_and(u8::is_ascii_lowercase)
            };
            for s in split_sentences(para) {
                let cleaned = prose::clean(&s);
                let (known, cleaned) = prose::split_known_heading(&cleaned, &headings);
                if let Some(h) = known {
                    push(&mut out, h, pi + 1, false, Class::Heading);
                }
                let cleaned = prose::clean(&cleaned);
                let (heading, rest) = prose::split_fused(&cleaned);
                if let Some(h) = heading {
                    push(&mut out, h, pi + 1, false, Class::Heading);
                }
                if rest.is_empty() {
                    continue;
                }
                let intro = rest.ends_with(':');
                let class = if footnote { Class::Footnote } else { prose::classify(&rest) };
                let index = push(&mut out, rest, pi + 1, false, class);
                if intro {
                    open = Some(ListGroup { intro: index, items: Vec::new() });
                }
            }
        }
    }
    if let Some(g) = open.take() {
        if g.items.len() >= 3 {
            groups.push(g);
        }
    }
    (out, groups)
}

/// Bullet characters of slides and handouts.
const BULLETS: &[char] = &['▶', '►', '●', '■', '▪', '•', '◦', '➢', '✓', '❖', '\u{F0B7}', '\u{F0A7}', '\u{F0D8}'];

/// FNV-1a, for deterministic choices.
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

pub fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.wrapping_mul(0x9E3779B97F4A7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_numbers_and_compounds() {
        let s = "In 1,905 cases, 37.5% of well-known cells (e.g. the cell’s wall) grew.";
        let t: Vec<&str> = tokenize(s).iter().map(|t| &s[t.start..t.end]).collect();
        assert_eq!(t, ["In", "1,905", "cases", "37.5%", "of", "well-known", "cells", "e", "g", "the", "cell’s", "wall", "grew"]);
    }

    #[test]
    fn sentences_respect_abbreviations_and_decimals() {
        let p = "Water boils at 100 degrees, e.g. at sea level. Dr. Smith measured 3.5 litres. J. S. Bach wrote it! Was it 1750? Yes.";
        assert_eq!(
            split_sentences(p),
            ["Water boils at 100 degrees, e.g. at sea level.", "Dr. Smith measured 3.5 litres.", "J. S. Bach wrote it!", "Was it 1750?", "Yes."]
        );
    }

    #[test]
    fn table_rows_are_tables_never_prose() {
        let pages = vec!["Organelle\tWhat it does. It is in every cell.\nThe nucleus holds the genetic material of the cell.".to_string()];
        let (s, _) = sentences(&pages);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].text.as_str(), s[0].class), ("Organelle | What it does. It is in every cell.", Class::Table));
        assert_eq!(s[1].class, Class::Prose);
    }

    #[test]
    fn lists_are_grouped() {
        let pages = vec!["The states of matter are:\n• solid\n• liquid\n• gas\nPlasma is rare.".to_string()];
        let (s, g) = sentences(&pages);
        assert_eq!(s.len(), 5);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].intro, 0);
        assert_eq!(g[0].items, vec![1, 2, 3]);
        assert!(s[1].item && s[1].text == "solid");
    }
}
