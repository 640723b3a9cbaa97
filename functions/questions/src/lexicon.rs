//! Word lists and word-level helpers of the verifier and the selector. A leaf:
//! nothing here uses the rest of the crate.

/// Function words: never content.
pub const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into",
    "onto", "over", "under", "about", "as", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does",
    "did", "done", "has", "have", "had", "having", "it", "its", "this", "that", "these", "those", "there", "their",
    "they", "them", "he", "she", "his", "her", "we", "our", "you", "your", "i", "my", "me", "which", "what", "who",
    "whom", "whose", "when", "where", "why", "how", "than", "then", "so", "such", "can", "could", "may", "might",
    "must", "shall", "should", "will", "would", "if", "also", "only", "very", "more", "most", "other", "some", "any",
    "each", "every", "all", "both", "either", "neither", "one", "ones", "not", "no", "yes", "into", "within", "via",
    "per", "while", "because", "since", "though", "although", "up", "down", "out", "off", "just", "own", "same",
    "many", "much", "few", "several", "used", "use", "uses", "using", "called", "known", "following", "according",
    "lecture", "true", "false", "statement", "statements", "following", "fill", "blank", "between", "among",
    "through", "during", "without", "after", "before", "again", "further", "here", "s", "etc", "e.g", "i.e",
];

/// Words that make a statement negative.
pub const NEGATIONS: &[&str] = &[
    "not", "no", "never", "cannot", "can't", "don't", "doesn't", "isn't", "aren't", "wasn't", "weren't", "won't",
    "wouldn't", "shouldn't", "couldn't", "hasn't", "haven't", "hadn't", "didn't", "none", "nothing", "nobody",
    "neither", "nor", "without", "n't",
];

/// Words an inserted negation brings along (`uses` → `does not use`).
pub const NEGATION_HELPERS: &[&str] = &["do", "does", "did", "is", "are", "was", "were", "be", "can", "has", "have", "will"];

/// Absolute words: "always", "never", … (a cue when only false statements use them).
pub const ABSOLUTES: &[&str] = &["always", "never", "only", "all", "none", "every", "no", "nothing", "completely", "entirely", "must"];

/// Options that answer by the exam's form, not by the lecture.
pub const FORM_ANSWERS: &[&str] = &[
    "all of the above", "none of the above", "both of the above", "all of these", "none of these", "both",
    "neither", "all the above", "none", "all", "both a and b", "a and b", "not given", "cannot be determined",
];

/// Words in a stem that point at something the student cannot see.
pub const POINTING_PHRASES: &[&str] = &[
    "the passage", "this passage", "the text", "the author", "the authors", "the above", "above", "below",
    "the figure", "this figure", "the table", "this table", "the example", "this example", "this section",
    "this chapter", "the chapter", "mentioned", "the slide", "this slide", "the paragraph", "this document",
    "the document", "as shown", "see ", "the excerpt", "provided text", "given text", "the sentence", "here",
];

/// First words that make a stem depend on what came before.
pub const POINTING_OPENERS: &[&str] =
    &["it", "its", "this", "these", "that", "those", "they", "them", "he", "she", "such", "here", "thus", "hence", "therefore", "however", "also", "then"];

/// Words that address the reader or speak for the author: a question with
/// them is about the course, not its content ("What have you learned?").
pub const PERSONAL: &[&str] = &["you", "your", "yours", "we", "our", "ours", "us", "my", "let's"];

/// Words of a section title about the course rather than its subject.
pub const META_TITLES: &[&str] = &[
    "conclusion", "summary", "outline", "agenda", "contents", "overview", "acknowledg", "reference", "bibliograph",
    "practical session", "exercise", "homework", "assignment", "questions", "thank", "about this", "preface", "foreword",
    "further reading", "license", "licence", "copyright", "appendix",
];

/// Nouns that, followed by a number, point at a part of the document
/// ("Table 16.2", "Figure 3", "Section 2.1").
pub const PART_NOUNS: &[&str] =
    &["table", "figure", "fig", "section", "chapter", "equation", "eq", "page", "slide", "listing", "exercise", "example", "appendix", "line", "step", "lab", "task"];

/// Verbs that open an instruction ("Find the …", "Use …"): an exercise or a
/// step, not a fact.
pub const IMPERATIVES: &[&str] = &[
    "find", "use", "compute", "calculate", "plot", "consider", "show", "let", "suppose", "assume", "write", "read",
    "see", "note", "try", "run", "type", "click", "open", "select", "enter", "install", "add", "create", "make",
    "go", "check", "compare", "draw", "explain", "describe", "list", "give", "repeat", "fit", "estimate", "apply",
    "press", "choose", "navigate", "copy", "paste", "save", "download", "edit", "remember", "recall", "look",
];

/// Words of a question that ask for a cause or purpose, a comparison, a number: the
/// form a question-about-a-fact takes (for variety).
pub const WHY_WORDS: &[&str] = &["why", "because", "purpose", "reason", "cause", "causes", "effect", "result", "results", "leads"];

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
