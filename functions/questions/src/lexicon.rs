//! Word-level helpers of the verifier and the selector (the word lists
//! themselves are in [`crate::words`], the crate's one leaf of lists).

pub use crate::words::{
    CHECK_DEMONSTRATIVES as DEMONSTRATIVES, CHECK_FORM_ANSWERS as FORM_ANSWERS, CHECK_HEDGES as HEDGES, CHECK_IMPERATIVES as IMPERATIVES, CHECK_META_TITLES as META_TITLES,
    CHECK_NEGATIONS as NEGATIONS, CHECK_PART_NOUNS as PART_NOUNS, CHECK_PERSONAL as PERSONAL,
    CHECK_POINTING_OPENERS as POINTING_OPENERS, CHECK_POINTING_PHRASES as POINTING_PHRASES, CHECK_STOPWORDS as STOPWORDS,
};

pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

pub fn is_negation(w: &str) -> bool {
    NEGATIONS.contains(&w) || w.ends_with("n't")
}

/// The words of `s`, lower-cased: runs of letters and digits, keeping inner
/// `.`, `-`, `'` and `’` (`e.g.`, `3.5`, `command-line`, `don't`).
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let inner = matches!(c, '.' | '-' | '\'' | '’' | ',')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
            && (c != ',' || (cur.chars().all(|d| d.is_ascii_digit()) && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())));
        if c.is_alphanumeric() || c == '%' || c == '$' {
            cur.extend(c.to_lowercase());
        } else if inner {
            cur.push(if c == '’' { '\'' } else { c });
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A crude stem: plural and verb endings off (`tables` → `table`, `ignores` →
/// `ignore`, `processing` → `process`), possessives off. Enough to match a
/// paraphrase's words with the lecture's.
pub fn stem(w: &str) -> String {
    let w = w.trim_end_matches("'s").trim_end_matches('\'');
    if w.chars().any(|c| c.is_ascii_digit()) || w.chars().count() <= 3 {
        return w.to_string();
    }
    for (suffix, keep) in [("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")] {
        if let Some(base) = w.strip_suffix(suffix) {
            if base.chars().count() >= 3 && !(suffix == "s" && (base.ends_with('s') || base.ends_with('u') || base.ends_with('i'))) {
                let mut b = base.to_string();
                b.push_str(keep);
                // `processing` → `process`, `stored` → `stor` ~ `store` → `stor`
                return b.trim_end_matches('e').to_string();
            }
        }
    }
    w.trim_end_matches('e').to_string()
}

/// The stems of the content words of `s` (no stop words), in order.
pub fn content_stems(s: &str) -> Vec<String> {
    words(s).iter().filter(|w| !is_stopword(w) && !is_negation(w)).map(|w| stem(w)).collect()
}

/// Whether a word is a number (`3`, `3.5`, `1,000`, `50%`, `$3`).
pub fn is_number(w: &str) -> bool {
    let t = w.trim_start_matches('$').trim_end_matches('%');
    !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') && t.chars().any(|c| c.is_ascii_digit())
}

/// Share of `of`'s items that are in `within` (1.0 when `of` is empty).
pub fn coverage(of: &[String], within: &std::collections::HashSet<String>) -> f64 {
    if of.is_empty() {
        return 1.0;
    }
    of.iter().filter(|w| within.contains(*w)).count() as f64 / of.len() as f64
}

/// Whether the word sequence `needle` occurs in `hay` (both stemmed word lists).
pub fn contains_seq(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Lower-case, single-spaced, without surrounding punctuation, quotes or a
/// leading article: how two options are compared.
pub fn norm_option(s: &str) -> String {
    let w = words(s);
    let start = usize::from(matches!(w.first().map(String::as_str), Some("a" | "an" | "the")) && w.len() > 1);
    w[start..].join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_inner_marks() {
        assert_eq!(words("LaTeX's command-line: 3.5 GB, don’t (e.g. 1,000)!"), ["latex's", "command-line", "3.5", "gb", "don't", "e.g", "1,000"]);
    }

    #[test]
    fn stems_match_paraphrases() {
        assert_eq!(stem("tables"), stem("table"));
        assert_eq!(stem("ignores"), stem("ignore"));
        assert_eq!(stem("ignored"), stem("ignore"));
        assert_eq!(stem("processing"), stem("process"));
        assert_eq!(stem("class"), "class");
        assert_eq!(stem("LaTeX's".to_lowercase().as_str()), "latex");
        assert_eq!(stem("2024"), "2024");
    }

    #[test]
    fn options_compare_without_articles_and_case() {
        assert_eq!(norm_option("The Verbatim package."), "verbatim package");
        assert_eq!(norm_option("an index"), "index");
        assert!(is_number("1,000") && is_number("50%") && !is_number("R"));
        assert!(is_negation("doesn't") && is_negation("cannot") && !is_negation("note"));
    }
}
