//! Word forms and sentence rewriting: singulars and plurals, verb bases,
//! `a` or `an`, capitals, a term's head and modifiers, and a sentence with a
//! term replaced (by a blank or another term).

use crate::analysis::terms::Span;
use crate::analysis::text::Sentence;

pub(super) const BLANK: &str = "_____";

/// `a` or `an` for a following word (by its first letter; good enough for
/// terms, which rarely start with a silent h or a `you`-sounding u).
fn article_for(word: &str) -> &'static str {
    let lower = word.to_lowercase();
    // A vowel letter that sounds like a consonant (`a user`, `a unique`, `a one-line`, `a European`).
    if ["us", "uni", "uti", "ubi", "eu", "one", "once"].iter().any(|p| lower.starts_with(p)) {
        return "a";
    }
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        Some(c) if c.is_ascii_digit() && (word.starts_with('8') || word.starts_with("11") || word.starts_with("18")) => "an",
        _ => "a",
    }
}

pub(super) fn capitalize_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Replace every occurrence of `span`'s term in the sentence with `with`;
/// fix `a`/`an` before it and the capital at the sentence start.
pub(super) fn substitute(s: &Sentence, spans: &[Span], with: &str, fix_article: bool) -> String {
    let mut out = String::with_capacity(s.text.len() + 16);
    let mut pos = 0;
    for sp in spans {
        let start = s.toks[sp.first].start;
        let end = s.toks[sp.last].end;
        let mut before = s.text[pos..start].to_string();
        if fix_article && sp.first > 0 {
            let prev = s.tok(sp.first - 1);
            let pt = s.toks[sp.first - 1];
            if (prev.eq_ignore_ascii_case("a") || prev.eq_ignore_ascii_case("an")) && pt.end <= start && pt.start >= pos {
                // Before a blank the article must not give the answer away.
                let art = if with == BLANK { "a(n)" } else { article_for(with) };
                let art = if prev.starts_with('A') { capitalize_first(art) } else { art.to_string() };
                before = format!("{}{}{}", &s.text[pos..pt.start], art, &s.text[pt.end..start]);
            }
        }
        out.push_str(&before);
        if start == 0 && with != BLANK {
            out.push_str(&capitalize_first(with));
        } else {
            out.push_str(with);
        }
        pos = end;
    }
    out.push_str(&s.text[pos..]);
    out
}

pub(super) fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The last word of a term, in the singular: its category (`tabular
/// environment` → `environment`).
pub(super) fn head_of(key: &str) -> String {
    singular(key.rsplit(' ').next().unwrap_or(key))
}

/// The words of a term other than its head, lower case.
pub(super) fn modifiers(key: &str) -> Vec<String> {
    let ws: Vec<&str> = key.split(' ').collect();
    ws[..ws.len().saturating_sub(1)].iter().map(|w| w.to_lowercase()).collect()
}

/// Whether `word` occurs in `text` as a word or the start of one (`option` in
/// `Options`), ignoring case.
pub(super) fn mentions(text_lower: &str, word: &str) -> bool {
    let stem: String = word.chars().take(word.chars().count().saturating_sub(1).max(4)).collect();
    text_lower.split(|c: char| !c.is_alphanumeric() && c != '-').any(|w| w == word || (stem.chars().count() >= 4 && w.starts_with(&stem)))
}

/// The base form of a third-person verb (`uses` → `use`, `applies` →
/// `apply`, `matches` → `match`, `has` → `have`).
pub(super) fn verb_base(w: &str) -> String {
    let l = w.to_lowercase();
    if l == "has" {
        return "have".into();
    }
    if l == "does" {
        return "do".into();
    }
    if let Some(stem) = l.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suf in ["sses", "ches", "shes", "xes", "zes", "oes"] {
        if l.ends_with(suf) {
            return l[..l.len() - 2].to_string();
        }
    }
    l.strip_suffix('s').unwrap_or(&l).to_string()
}

/// A phrase with its last word in the singular (`perfect phylogenies` →
/// `perfect phylogeny`), to tell variants of one term apart.
pub(super) fn singular(s: &str) -> String {
    let (head, last) = match s.rsplit_once(' ') {
        Some((h, l)) => (format!("{h} "), l),
        None => (String::new(), s),
    };
    let one = if let Some(stem) = last.strip_suffix("ies") {
        format!("{stem}y")
    } else if last.ends_with("ses") || last.ends_with("xes") || last.ends_with("ches") || last.ends_with("shes") {
        last[..last.len() - 2].to_string()
    } else if last.ends_with('s') && !last.ends_with("ss") && !last.ends_with("us") && !last.ends_with("is") && last.len() > 3 {
        last[..last.len() - 1].to_string()
    } else {
        last.to_string()
    };
    head + &one
}

pub(super) fn starts_with_article(s: &str) -> bool {
    let first = s.split(' ').next().unwrap_or("").to_lowercase();
    matches!(first.as_str(), "a" | "an" | "the" | "one" | "any")
}

pub(super) fn terms_plural(key: &str) -> bool {
    let w = key.rsplit(' ').next().unwrap_or(key);
    w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") && w.len() > 3
}
