//! What a piece of lecture text is, and the cleaning it needs before a
//! question may be built on it.
//!
//! Only prose (and the items of real lists) becomes a question: headings,
//! navigation bars and tables of contents, bibliography entries, captions,
//! tables and runs of numbers, code and markup, and boilerplate (copyright,
//! licences, page furniture, remarks about the document itself) are told
//! apart here and never used. Prose is cleaned first: section numbers at its
//! start, footnote markers glued to words, citation brackets and cross
//! references in parentheses are removed, and a heading run into the first
//! sentence of its section is split off.

use super::text::is_stopword;
use crate::words::{
    BACK_REFERENCES, CHATTY_OPENERS, CONTEXT_SUBJECTS, DEPENDENT_WORDS, DETERMINERS_AFTER_VERB, DROPPABLE_OPENERS, FINITE,
    IMPERATIVES, META, MID_OPENERS, NON_VERB_OPENERS, OPENERS, SELF_NOUNS, TEX_LOGO_PREFIXES, TEX_LOGO_SUFFIXES,
    TITLE_CONNECTORS, VERBS,
};

/// What a sentence (or list item) of the lecture is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Lecture prose: a complete, self-contained statement.
    Prose,
    /// A heading, a navigation bar, a table-of-contents line.
    Heading,
    /// A bibliography entry or a citation.
    Reference,
    /// `Figure 3: …`, `Table 2 …`.
    Caption,
    /// Table rows, runs of numbers.
    Table,
    /// Code, commands, markup, formulas.
    Code,
    /// Copyright, licence, page furniture, remarks about the document.
    Boilerplate,
    /// A footnote's text.
    Footnote,
    /// Prose that is not self-contained: it points back (`This`, `It`, …),
    /// out (`above`, `Figure`), addresses the reader as an instruction, asks,
    /// or is cut off.
    Dependent,
    /// Words without the shape of a sentence (no verb, few function words).
    Fragment,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::Prose => "prose",
            Class::Heading => "heading",
            Class::Reference => "reference",
            Class::Caption => "caption",
            Class::Table => "table",
            Class::Code => "code",
            Class::Boilerplate => "boilerplate",
            Class::Footnote => "footnote",
            Class::Dependent => "dependent",
            Class::Fragment => "fragment",
        }
    }
}

/// Characters that never occur in the prose a question may quote: markup,
/// code and formula syntax.
fn is_markup_char(c: char) -> bool {
    matches!(c, '\\' | '{' | '}' | '$' | '<' | '>' | '=' | '_' | '^' | '|' | '~' | '#' | '`' | '@' | '*' | '[' | ']')
        || ('\u{2190}'..='\u{23FF}').contains(&c) // arrows, maths operators, technical symbols
        || ('\u{0370}'..='\u{03FF}').contains(&c) // Greek (formulas)
        || ('\u{1D400}'..='\u{1D7FF}').contains(&c) // maths alphanumerics
        || ('\u{2500}'..='\u{27BF}').contains(&c) // box drawing, dingbats
        || ('\u{E000}'..='\u{F8FF}').contains(&c) // private use (symbol fonts)
        || c == '\u{FFFD}'
        || ('\u{02B0}'..='\u{02FF}').contains(&c) // spacing modifiers: broken ligatures (`˝nal`)
        || matches!(c, '±' | '×' | '÷' | '√' | '∞' | '≤' | '≥' | '≠' | '≈' | '∑' | '∫' | '∂' | '·')
}

/// A sentence's words, lower-cased, without punctuation.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || matches!(c, '/' | '(' | ')' | '"' | '“' | '”'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn is_number_word(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_digit()) && w.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '%' | '-'))
}

/// Whether a word looks like a file name, path, URL, option or identifier.
fn is_code_word(w: &str) -> bool {
    let t = w.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '.' | '(' | ')' | '"' | '\'' | '“' | '”' | '?' | '!'));
    if t.is_empty() {
        return false;
    }
    if t.starts_with("--") || (t.starts_with('-') && t.len() > 1 && t[1..].chars().all(|c| c.is_ascii_alphabetic()) && t.len() <= 3) {
        return true;
    }
    if t.contains('/') && t.len() > 2 {
        let lower = t.to_lowercase();
        if !matches!(
            lower.as_str(),
            "and/or" | "either/or" | "input/output" | "read/write" | "he/she" | "his/her" | "true/false" | "yes/no" | "on/off" | "s/he"
        ) && t.split('/').all(|p| !p.is_empty())
        {
            return true;
        }
    }
    if t.contains('/') && t.chars().filter(|c| *c == '/').count() >= 1 && !t.contains(' ') && t.len() > 2 {
        // `and/or`, `input/output` are words; paths have dots or several slashes.
        let parts: Vec<&str> = t.split('/').collect();
        if parts.len() > 2 || t.contains('.') || parts.iter().any(|p| p.is_empty()) {
            return true;
        }
    }
    // `file.tex`, `www.ctan.org`, `os.path`, `foo()`: a dot between letters.
    let b = t.as_bytes();
    for i in 1..b.len().saturating_sub(1) {
        if (b[i] == b'.' || b[i] == b':') && b[i - 1].is_ascii_alphanumeric() && b[i + 1].is_ascii_alphabetic() {
            let before = &t[..i];
            // `e.g`, `i.e`, `U.S`, initials: single letters between dots.
            if before.len() == 1 || before.ends_with(|c: char| c.is_ascii_uppercase()) && before.len() <= 2 {
                continue;
            }
            return true;
        }
    }
    if t.ends_with("()") {
        return true;
    }
    // `mode(object)`, `f(x)`: a call.
    if let Some(i) = t.find('(') {
        if i > 0 && t[..i].chars().last().is_some_and(|c| c.is_alphanumeric()) {
            return true;
        }
    }
    // snake_case / camelCase identifiers (`printLine`, not `LaTeX` or `iPhone`).
    let chars: Vec<char> = t.chars().collect();
    if chars.len() >= 6 && chars[0].is_ascii_lowercase() {
        let humps = chars.windows(2).filter(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase()).count();
        if humps >= 1 && chars.iter().skip(1).any(|c| c.is_ascii_lowercase()) && chars[1].is_ascii_lowercase() {
            return true;
        }
    }
    false
}

/// Signals of a bibliography entry.
fn reference_signals(s: &str) -> usize {
    let lower = s.to_lowercase();
    let mut n = 0;
    let t = s.trim_start();
    if t.starts_with('[') && t[1..].find(']').is_some_and(|i| i < 12) {
        n += 2;
    }
    for pat in [
        " pp.", " pp ", "vol.", " no. ", "doi", "isbn", "issn", "proceedings", "journal", " press", "publisher",
        "publishing", " ed.", " eds.", "edition", "et al", "http", "www.", "retrieved", "springer", "addison",
        "wesley", "o'reilly", "wiley", "elsevier", "mcgraw", "prentice", "univ.", "university press", "arxiv",
        "technical report", "tech. rep", "thesis", "conference", "symposium", "in: ",
    ] {
        if lower.contains(pat) {
            n += 1;
        }
    }
    // `(1994)`, `1994.` after a name list.
    let b = s.as_bytes();
    for i in 0..b.len().saturating_sub(5) {
        if b[i] == b'(' && b[i + 1..i + 5].iter().all(u8::is_ascii_digit) && b[i + 5] == b')' {
            n += 1;
            break;
        }
    }
    // `Knuth, D. E.` / `D. E. Knuth,`: initials.
    let ws: Vec<&str> = s.split_whitespace().collect();
    let initials = ws.iter().filter(|w| w.len() == 2 && w.ends_with('.') && w.starts_with(|c: char| c.is_uppercase())).count();
    if initials >= 2 {
        n += 2;
    } else if initials == 1 && ws.windows(2).any(|p| p[0].ends_with(',') && p[1].len() == 2 && p[1].ends_with('.')) {
        n += 1;
    }
    n
}

/// A table-of-contents or navigation line: titles followed by page numbers,
/// dot leaders.
fn looks_like_toc(s: &str) -> bool {
    // `VI.6. Using the AMS packages 11 VI.7. Bold symbols in math 12`: roman section numbers.
    let roman = s
        .split_whitespace()
        .filter(|w| {
            let head = w.split('.').next().unwrap_or("");
            w.contains('.') && head.len() <= 4 && !head.is_empty() && head.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L'))
        })
        .count();
    if roman >= 2 {
        return true;
    }
    if s.contains("....") || s.contains(". . .") || s.contains("…") && s.matches('…').count() >= 2 {
        return true;
    }
    // `Introduction 3 Basics 5 Commands 9`: several title-number pairs.
    let ws: Vec<&str> = s.split_whitespace().collect();
    let pairs = ws.windows(2).filter(|p| p[0].chars().any(char::is_alphabetic) && is_number_word(p[1])).count();
    let numbers = ws.iter().filter(|w| is_number_word(w)).count();
    pairs >= 3 && numbers * 4 >= ws.len()
}

/// Classify one sentence or list item (already cleaned by [`clean`]).
pub fn classify(s: &str) -> Class {
    let t = s.trim();
    let ws = words(t);
    let n = ws.len();
    if n == 0 {
        return Class::Fragment;
    }
    let lower = t.to_lowercase();
    // `1In German there are …`: a footnote's text with its marker.
    {
        let b = t.as_bytes();
        let d = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if (1..=2).contains(&d) && b.get(d).is_some_and(u8::is_ascii_uppercase) && b.get(d + 1).is_some_and(u8::is_ascii_lowercase) {
            return Class::Footnote;
        }
    }
    if t.contains('©')
        || lower.contains("(c) 1")
        || lower.contains("(c) 2")
        || lower.contains("all rights reserved")
        || ws.iter().any(|w| matches!(w.as_str(), "copyright" | "copyrighted" | "trademark" | "trademarks" | "licensed" | "licence" | "license"))
    {
        return Class::Boilerplate;
    }
    // Captions.
    if let Some(first) = ws.first() {
        if matches!(first.as_str(), "figure" | "fig" | "table" | "listing" | "algorithm" | "plate" | "chart" | "graph")
            && ws.get(1).is_some_and(|w| is_number_word(w) || w.len() == 1)
        {
            return Class::Caption;
        }
    }
    if looks_like_toc(t) {
        return Class::Heading;
    }
    if reference_signals(t) >= 2 {
        return Class::Reference;
    }
    let markup = t.chars().filter(|c| is_markup_char(*c)).count();
    let code_words = t.split_whitespace().filter(|w| is_code_word(w)).count();
    if markup > 0 || code_words > 0 {
        return Class::Code;
    }
    // `%` is prose only right after a number.
    if t.char_indices().any(|(i, c)| c == '%' && !t[..i].ends_with(|p: char| p.is_ascii_digit())) {
        return Class::Code;
    }
    let numbers = ws.iter().filter(|w| is_number_word(w)).count();
    if n >= 4 && numbers * 4 > n {
        return Class::Table;
    }
    let meta = ws.iter().filter(|w| META.contains(&w.as_str())).count();
    if meta >= 2 || (meta == 1 && n < 12) {
        return Class::Boilerplate;
    }
    // The text talking about itself: `this document`, `in this chapter`, `the reader`.
    let self_talk = ws.windows(2).any(|p| {
        matches!(p[0].as_str(), "this" | "present" | "next" | "previous" | "following" | "last" | "later" | "earlier")
            && SELF_NOUNS.contains(&p[1].as_str())
    }) || lower.contains("the reader")
        || lower.contains("we will")
        || lower.contains("we'll")
        || lower.contains("we shall")
        || lower.contains("we have seen")
        || lower.contains("we saw")
        || lower.contains("let us")
        || lower.contains("let's");
    if self_talk {
        return Class::Boilerplate;
    }
    let stop = ws.iter().filter(|w| is_stopword(w)).count();
    // Mostly capitalised words: a title, a bibliography entry, a name list.
    {
        let raw: Vec<&str> = t.split_whitespace().skip(1).collect();
        let content: Vec<&&str> = raw.iter().filter(|w| !is_stopword(w.to_lowercase().trim_matches(|c: char| !c.is_alphanumeric()))).collect();
        let caps = content.iter().filter(|w| w.chars().next().is_some_and(char::is_uppercase)).count();
        // `Cisco Intersight provides intelligent cloud-based management for
        // the Cisco UCS and Cisco HyperFlex platforms.`: names in a sentence
        // with its verb, lower-case words and a full stop are prose.
        let lower_words = content.iter().filter(|w| w.chars().next().is_some_and(char::is_lowercase)).count();
        let sentence = t.ends_with('.')
            && !t.ends_with("..")
            && n >= 8
            && lower_words >= 3
            && t.matches(',').count() < 2
            && ws.iter().skip(1).any(|w| FINITE.contains(&w.as_str()) || (VERBS.contains(&w.as_str()) && w.ends_with('s')));
        if content.len() >= 3 && caps * 2 > content.len() && !sentence {
            return if t.matches(',').count() >= 2 { Class::Reference } else { Class::Heading };
        }
    }
    // A verb: a frequent one, a past form, or a third-person `-s` form that
    // is followed by what verbs take (`X computes the …`, `X runs in …`).
    let has_verb = ws.iter().any(|w| VERBS.contains(&w.as_str()))
        || ws.iter().skip(1).any(|w| w.len() > 4 && w.ends_with("ed"))
        || ws.windows(2).skip(1).any(|p| {
            p[0].len() > 3
                && p[0].ends_with('s')
                && !p[0].ends_with("ss")
                && matches!(
                    p[1].as_str(),
                    "the" | "a" | "an" | "that" | "to" | "in" | "on" | "with" | "by" | "for" | "from" | "its" | "their"
                        | "all" | "each" | "every" | "no" | "some" | "it" | "them" | "how" | "what" | "whether" | "if"
                        | "up" | "out" | "into" | "only" | "not" | "any" | "more" | "both" | "as" | "at"
                )
        });
    // Headings and navigation: no final punctuation, few function words.
    let ends = t.ends_with(['.', '!', '?', ':', ';']);
    if !ends && n <= 12 && stop * 4 < n.max(1) + 1 {
        return Class::Heading;
    }
    if n >= 5 && stop * 5 < n {
        return Class::Fragment;
    }
    if !has_verb || n < 6 {
        return Class::Fragment;
    }
    if !ends || t.ends_with('?') || t.ends_with(':') {
        return Class::Dependent;
    }
    if !t.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || c == '"' || c == '“') {
        return Class::Dependent;
    }
    if !balanced(t) {
        return Class::Dependent;
    }
    let first = ws[0].as_str();
    if BACK_REFERENCES.contains(&first) || IMPERATIVES.contains(&first) || first == "you" && !has_modal_statement(&ws) {
        return Class::Dependent;
    }
    // `Partition the site set …`, `Search the manager …`: a word that is no
    // preposition, conjunction or quantifier straight before a determiner
    // opens an instruction.
    if n > 2 && DETERMINERS_AFTER_VERB.contains(&ws[1].as_str()) && !NON_VERB_OPENERS.contains(&first) && !first.chars().any(|c| c.is_ascii_digit()) {
        return Class::Dependent;
    }
    // `How blocks help …`, `Why X …`: a question or a title, not a statement.
    if matches!(first, "how" | "why" | "what" | "which" | "who" | "whom" | "whose" | "where") {
        return Class::Dependent;
    }
    // `By solving a system of …`: a preposition and a gerund, no main clause.
    if n > 2 && matches!(first, "by" | "for" | "after" | "before" | "when" | "while" | "on" | "in" | "upon" | "without" | "through") && ws[1].ends_with("ing") && !t.contains(',') {
        return Class::Fragment;
    }
    // `Data Submenus containing menu items …`: a noun and a participle, no
    // auxiliary anywhere: a label, not a clause.
    if t.split_whitespace().take(4).skip(1).any(|w| w.ends_with("ing") && w.len() > 5 && w.starts_with(|c: char| c.is_lowercase()))
        && !ws.iter().any(|w| FINITE.contains(&w.as_str()))
        && !t.contains(',')
    {
        return Class::Fragment;
    }
    // A statement needs a finite verb: `By solving a system of …` and
    // `Data Submenus containing items …` have none.
    if !has_finite_verb(&ws) {
        return Class::Fragment;
    }
    // `Not so, …`, `Fair enough, …`, `As well, …`: conversational openers.
    if CHATTY_OPENERS.iter().any(|o| lower.starts_with(o)) {
        return Class::Dependent;
    }
    // `The result is …`, `The second …`: a subject that points back.
    if first == "the" && ws.get(1).is_some_and(|w| CONTEXT_SUBJECTS.contains(&w.as_str())) {
        return Class::Dependent;
    }
    // `… with XeTEX and LuaTEX For far-eastern languages …`: a heading run
    // into the sentence (a sentence opener, capitalised, mid-sentence).
    {
        let raw: Vec<&str> = t.split(' ').collect();
        if raw.windows(2).skip(1).any(|p| {
            MID_OPENERS.contains(&p[1]) && !p[0].ends_with([',', ':', ';', '.', '(', '–', '—', '"', '“']) && !matches!(p[0], "–" | "—" | "-")
        }) {
            return Class::Heading;
        }
        // `entry 15 VIII.6.`: roman section numbers.
        if raw.iter().any(|w| {
            let mut parts = w.trim_end_matches('.').split('.');
            let head = parts.next().unwrap_or("");
            let rest: Vec<&str> = parts.collect();
            !head.is_empty() && head.chars().all(|c| matches!(c, 'I' | 'V' | 'X')) && !rest.is_empty() && rest.iter().all(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
        }) {
            return Class::Heading;
        }
    }
    // First person (`we must specify`), and time or place in the lecture's
    // flow (`is now written`, `then chooses`, `at that time`, `a similar
    // limit`): the sentence leans on what came before.
    if ws.iter().any(|w| matches!(w.as_str(), "we" | "us" | "our" | "ours" | "now" | "similar" | "similarly" | "foo" | "bar" | "baz" | "corresponding" | "related" | "respective" | "respectively" | "something" | "somewhat"))
        // `a more general facility`: a comparison with something said before.
        || (ws.windows(2).any(|p| matches!(p[0].as_str(), "more" | "less") && !is_stopword(&p[1])) && !ws.iter().any(|w| w == "than"))
        || lower.contains("of course")
        // Where a button sits in a program's window is no lecture content.
        || ws.iter().any(|w| matches!(w.as_str(), "toolbar" | "toolbars" | "button" | "buttons" | "icon" | "icons" | "launcher" | "click" | "clicking" | "subdirectory" | "subdirectories" | "directory" | "folder" | "zipfile"))
        || lower.contains("special case")
        || (ws.iter().any(|w| w == "then") && !ws.iter().any(|w| w == "if" || w == "when"))
        || ["at that time", "at that point", "in that case", "in the introduction", "in the example", "in this way", "the same way", "as follows"]
            .iter()
            .any(|p| lower.contains(p))
    {
        return Class::Dependent;
    }
    // A multi-level section number inside (`digits 3.3.1. Latin letters`): a
    // heading run into the text.
    if t.split(' ').skip(1).any(|w| {
        let w = w.trim_end_matches('.');
        w.split('.').count() >= 3 && w.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    }) {
        return Class::Heading;
    }
    // Text glued across sentences (`added with. and / and ? in …`), formula
    // letters (`The inputs M do not …`, `6, z and u are …`), arithmetic.
    let inner = &t[..t.len().saturating_sub(1)];
    if inner.contains(['?', '!']) || inner.contains(" / ") || inner.contains(" + ") || inner.contains(". and ") || inner.contains(" . ") {
        return Class::Code;
    }
    if t.split(' ').skip(1).any(|w| {
        let c: Vec<char> = w.trim_end_matches([',', '.', ';', ':']).chars().collect();
        c.len() == 1 && c[0].is_lowercase() && c[0] != 'a'
    }) {
        return Class::Code;
    }
    if ws.iter().any(|w| DEPENDENT_WORDS.contains(&w.as_str()) || matches!(w.as_str(), "i" | "me" | "my" | "mine")) {
        return Class::Dependent;
    }
    // Cross references: `section 6.2`, `page 107`, `chapter 3`.
    if ws.windows(2).any(|p| {
        matches!(p[0].as_str(), "section" | "sections" | "chapter" | "chapters" | "page" | "pages" | "part" | "step" | "steps" | "slide" | "lecture" | "eq" | "equation")
            && p[1].chars().next().is_some_and(|c| c.is_ascii_digit())
    }) {
        return Class::Dependent;
    }
    // Back references inside: `this command`, `these values`, `such a`.
    if ws.iter().enumerate().any(|(i, w)| {
        matches!(w.as_str(), "this" | "these" | "those" | "such" | "aforementioned") && i + 1 < n
            || matches!(w.as_str(), "it" | "they" | "them" | "he" | "she" | "him" | "her")
            || (w == "that" && i > 0 && matches!(ws[i - 1].as_str(), "of" | "in" | "like" | "than" | "with" | "for" | "to") && i + 1 == n)
    }) {
        return Class::Dependent;
    }
    if lower.ends_with(" that.") || lower.ends_with(" this.") || lower.ends_with(" so.") || lower.ends_with(" too.") || lower.ends_with(" as well.") {
        return Class::Dependent;
    }
    if lower.contains(" e.g.") && t.ends_with("e.g.") || t.ends_with("etc") {
        return Class::Dependent;
    }
    Class::Prose
}

/// Whether a word is a verb form (`is`, `can`, `computes`, `stores`).
pub fn is_verb_form(w: &str) -> bool {
    FINITE.contains(&w) || VERBS.contains(&w)
}

/// Whether a clause has a finite verb: an auxiliary, a known verb in a
/// finite form, a past `-ed` or a third-person `-s` after the subject.
fn has_finite_verb(ws: &[String]) -> bool {
    // `LaTeX typesets documents`: a one-word subject and its verb.
    let one_word_subject = ws.len() > 2
        && ws[1].len() > 3
        && ws[1].ends_with('s')
        && !ws[1].ends_with("ss")
        && !ws[1].ends_with("us")
        && !DETERMINERS_AFTER_VERB.contains(&ws[0].as_str())
        && !is_stopword(&ws[0])
        && !["ple", "al", "ous", "ive", "ic", "ent", "ant", "ary", "ful", "less", "ble", "ed", "ing", "ern", "ar"].iter().any(|suf| ws[0].ends_with(suf))
        && !ws[1].ends_with("ics");
    one_word_subject
        || ws.iter().any(|w| FINITE.contains(&w.as_str()))
        || ws.iter().skip(1).any(|w| VERBS.contains(&w.as_str()) && (w.ends_with('s') || w.ends_with("ed")) && !w.ends_with("ss"))
        // `Most animal cells measure …`: a base form after a plural subject.
        || ws.windows(2).any(|p| {
            VERBS.contains(&p[1].as_str())
                && (p[0].len() > 3 && p[0].ends_with('s') && !p[0].ends_with("ss") && !p[0].ends_with("us") || matches!(p[0].as_str(), "they" | "we" | "you" | "i" | "people"))
        })
        || ws.iter().enumerate().skip(1).any(|(i, w)| {
            w.len() > 4 && w.ends_with("ed") && !matches!(ws[i - 1].as_str(), "the" | "a" | "an" | "of" | "is" | "are" | "be" | "been")
                && !ws.get(i + 1).is_some_and(|n| !is_stopword(n) && n.len() > 2 && !n.ends_with("ly"))
        })
        || ws.windows(3).skip(1).any(|p| {
            let w = p[1].as_str();
            w.len() > 3
                && w.ends_with('s')
                && !w.ends_with("ss")
                && !w.ends_with("us")
                && !w.ends_with("is")
                && !matches!(p[0].as_str(), "the" | "a" | "an" | "of" | "for" | "with" | "in" | "on" | "by" | "to" | "and" | "or" | "its" | "their" | "all" | "some" | "many" | "these" | "those" | "two" | "three" | "several")
                && matches!(p[2].as_str(), "the" | "a" | "an" | "that" | "to" | "for" | "in" | "on" | "with" | "by" | "from" | "its" | "their" | "all" | "each" | "every" | "no" | "some" | "it" | "them" | "how" | "what" | "whether" | "if" | "up" | "out" | "into" | "only" | "not" | "any" | "more" | "both" | "as" | "at")
        })
}

/// `You can …`, `You must …`: a statement about what is possible, not an
/// order.
fn has_modal_statement(ws: &[String]) -> bool {
    ws.get(1).is_some_and(|w| matches!(w.as_str(), "can" | "cannot" | "must" | "should" | "may" | "need" | "will" | "might"))
}

fn balanced(t: &str) -> bool {
    let count = |c: char| t.chars().filter(|x| *x == c).count();
    count('(') == count(')') && count('“') == count('”') && count('"') % 2 == 0
}

/// Clean a sentence: drop a leading section number, footnote markers glued
/// to words, citation brackets and parenthesised cross references, a
/// droppable connector at the start; normalise spaces.
pub fn clean(s: &str) -> String {
    let mut t = s.trim().to_string();
    // Leading section numbers: `2.13 `, `7.1. `, `A.2 `, `§3 `, `Chapter 4: `.
    t = strip_section_number(&t);
    t = strip_inner_section_number(&t);
    // `TEX TEX is a program`: a one-word heading before its first sentence.
    {
        let mut it = t.splitn(3, ' ');
        if let (Some(a), Some(b), Some(_)) = (it.next(), it.next(), it.next()) {
            if a == b && a.chars().next().is_some_and(char::is_uppercase) {
                t = t[a.len() + 1..].to_string();
            }
        }
    }
    // Footnote markers: `FAQ,6 ` `microtype.18 ` `word¹`.
    t = strip_footnote_markers(&t);
    // Citation brackets `[12]`, `[3, 4]`, `[Knuth84]`, and `(see Section 2)`, `(Figure 3)`.
    t = strip_brackets(&t);
    // Droppable connectors.
    loop {
        let lower = t.to_lowercase();
        let mut dropped = false;
        for o in DROPPABLE_OPENERS {
            if lower.starts_with(o) && lower[o.len()..].starts_with([',', ' ']) {
                let rest = t[o.len()..].trim_start_matches([',', ' ']);
                if rest.chars().next().is_some_and(char::is_alphabetic) {
                    t = capitalize(rest);
                    dropped = true;
                    break;
                }
            }
        }
        if !dropped {
            break;
        }
    }
    t.split_whitespace().map(tex_logo).collect::<Vec<_>>().join(" ")
}

/// The TeX family's logos as their names are written (`LaTeX`, `BibTeX`,
/// `XeLaTeX`): PDF text gives them with the lowered E and raised A as
/// capitals (`LATEX`, `LaTEX`, `XƎLATEX`), which no teacher would print.
fn tex_logo(word: &str) -> String {
    let end = word.trim_end_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | '”' | '"'));
    let start = end.len() - end.trim_start_matches(['(', '“', '"']).len();
    let core = &end[start..];
    // Other logos set in small capitals.
    if matches!(core, "POSTSCRiPT" | "POSTSCRIPT") {
        return format!("{}PostScript{}", &end[..start], &word[end.len()..]);
    }
    let Some(i) = core.find("TEX") else { return word.to_string() };
    let (prefix, suffix) = (&core[..i], &core[i + 3..]);
    // `ConTEXt` keeps its lower-case t; a bare `TEXT` is a word.
    if suffix == "t" && prefix != "Con" {
        return word.to_string();
    }
    match (TEX_LOGO_PREFIXES.iter().find(|(p, _)| *p == prefix), TEX_LOGO_SUFFIXES.contains(&suffix)) {
        (Some((_, name)), true) => format!("{}{name}TeX{suffix}{}", &end[..start], &word[end.len()..]),
        _ => word.to_string(),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn strip_section_number(t: &str) -> String {
    let lower = t.to_lowercase();
    for w in ["chapter ", "section ", "part ", "lecture ", "lesson ", "unit ", "module ", "step ", "§"] {
        if let Some(rest) = lower.strip_prefix(w) {
            let num: usize = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').map(char::len_utf8).sum();
            if num > 0 {
                let after = t[w.len() + num..].trim_start_matches([':', '.', ' ', '-', '–', '—']);
                return after.to_string();
            }
        }
    }
    let b = t.as_bytes();
    let mut i = 0;
    // `A.2 ` (appendix) or digits with dots.
    if b.len() > 2 && b[0].is_ascii_uppercase() && b[1] == b'.' && b[2].is_ascii_digit() {
        i = 2;
    }
    let start = i;
    while i < b.len() && (b[i].is_ascii_digit() || (b[i] == b'.' && i > start)) {
        i += 1;
    }
    if i > start && i < b.len() && b[i] == b' ' {
        let num = &t[..i];
        let rest = t[i + 1..].trim_start();
        // `2.13 Environments`, `3 Basics`, but not `3 cells divide` or `1990 saw`.
        let dotted = num.contains('.');
        let small = num.trim_end_matches('.').parse::<u32>().is_ok_and(|v| v < 100);
        if (dotted || small) && rest.chars().next().is_some_and(char::is_uppercase) {
            return rest.to_string();
        }
    }
    t.to_string()
}

/// `A Bit of History 1.1.1 TEX is …`: a heading and its number run into the
/// sentence; keep what follows the number.
fn strip_inner_section_number(t: &str) -> String {
    let ws: Vec<&str> = t.split(' ').collect();
    for (i, w) in ws.iter().enumerate().take(10).skip(1) {
        let dotted = w.split('.').filter(|p| !p.is_empty()).count() >= 2
            && w.chars().all(|c| c.is_ascii_digit() || c == '.')
            && w.chars().next().is_some_and(|c| c.is_ascii_digit());
        let titled_before = ws[..i].iter().all(|h| {
            h.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()) || TITLE_CONNECTORS.contains(&h.to_lowercase().as_str())
        });
        if dotted && titled_before && ws.get(i + 1).is_some_and(|n| n.chars().next().is_some_and(char::is_uppercase)) && ws.len() > i + 4 {
            return ws[i + 1..].join(" ");
        }
    }
    t.to_string()
}

fn strip_footnote_markers(t: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let words: Vec<&str> = t.split(' ').collect();
    for (i, w) in words.iter().enumerate() {
        let chars: Vec<char> = w.chars().collect();
        // `the ppower4 package`, `latin1 encoding`: a name with its digit.
        let named = words.get(i + 1).is_some_and(|n| {
            matches!(
                n.trim_end_matches(['.', ',', ';', ':']).to_lowercase().as_str(),
                "package" | "packages" | "class" | "option" | "environment" | "encoding" | "format" | "command" | "font" | "engine" | "program" | "library" | "module" | "bundle" | "file" | "files"
            )
        });
        // Superscript digits anywhere.
        let w2: String = chars.iter().filter(|c| !matches!(c, '¹' | '²' | '³' | '⁴' | '⁵' | '⁶' | '⁷' | '⁸' | '⁹' | '⁰')).collect();
        // A letter, then `.`/`,`/`;`/`:`/`)`, then 1–2 digits at the word's end: `FAQ,6`, `microtype.18`.
        let c: Vec<char> = w2.chars().collect();
        let digits = c.iter().rev().take_while(|x| x.is_ascii_digit()).count();
        let letters = c.len() - digits;
        let trail: Vec<char> = c[..letters].iter().rev().take_while(|x| matches!(x, '.' | ',' | ';' | ':')).copied().collect();
        let word_part = &c[..letters - trail.len()];
        if digits == 1 && word_part.len() >= 4 && word_part.iter().all(|x| x.is_ascii_lowercase()) && trail.is_empty() && !named {
            out.push(word_part.iter().collect());
            continue;
        }
        if (1..=2).contains(&digits) && c.len() > digits + 1 {
            let p = c[c.len() - digits - 1];
            let before = c.get(c.len().wrapping_sub(digits + 2));
            if matches!(p, '.' | ',' | ';' | ':' | ')' | '”' | '"') && before.is_some_and(|b| b.is_alphabetic() || *b == ')' || *b == '"') {
                out.push(c[..c.len() - digits].iter().collect());
                continue;
            }
        }
        out.push(w2);
    }
    out.join(" ")
}

fn strip_brackets(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(open) = rest.find(['[', '(']) {
        let close_c = if rest[open..].starts_with('[') { ']' } else { ')' };
        let Some(len) = rest[open..].find(close_c) else { break };
        let inner = &rest[open + 1..open + len];
        let lower = inner.to_lowercase();
        let citation = close_c == ']'
            && inner.len() <= 40
            && (inner.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | ' ' | '-' | '–'))
                || inner.chars().any(|c| c.is_ascii_digit()) && !inner.contains(' ') && inner.len() <= 16);
        let cross = close_c == ')'
            && (lower.starts_with("see ")
                || lower.starts_with("cf")
                || lower.starts_with("figure")
                || lower.starts_with("fig.")
                || lower.starts_with("table")
                || lower.starts_with("section")
                || lower.starts_with("chapter")
                || lower.starts_with("page")
                || lower.starts_with("p. ")
                || lower.starts_with("eq")
                || lower.starts_with("listing")
                || lower.starts_with("example")
                || lower.starts_with("appendix")
                || (inner.len() <= 6 && inner.chars().all(|c| c.is_ascii_digit() || c == '.'))
                || reference_signals(inner) >= 1 && inner.chars().any(|c| c.is_ascii_digit()) && inner.contains(',')
                    && inner.len() < 40);
        if citation || cross {
            out.push_str(rest[..open].trim_end());
            rest = &rest[open + len + 1..];
        } else {
            out.push_str(&rest[..open + len + 1]);
            rest = &rest[open + len + 1..];
        }
    }
    out.push_str(rest);
    // ` .` left behind by a removed bracket.
    out.replace(" .", ".").replace(" ,", ",")
}

/// A heading run into the sentence after it (`Environments An environment is
/// …`): the byte length of the heading part, if there is one.
pub fn fused_heading(s: &str) -> Option<usize> {
    let ws: Vec<(usize, &str)> = s.split(' ').scan(0usize, |pos, w| {
        let start = *pos;
        *pos += w.len() + 1;
        Some((start, w))
    }).collect();
    if ws.len() < 4 {
        return None;
    }
    for k in 1..ws.len().min(9) {
        let (start, w) = ws[k];
        if !OPENERS.contains(&w) {
            continue;
        }
        let head = &ws[..k];
        let content = head.iter().filter(|(_, h)| !TITLE_CONNECTORS.contains(&h.to_lowercase().as_str())).count();
        let titled = head.iter().all(|(_, h)| {
            h.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                || TITLE_CONNECTORS.contains(&h.to_lowercase().as_str())
        });
        let last = head.last().map(|(_, h)| h.to_lowercase()).unwrap_or_default();
        let punct = head.iter().any(|(_, h)| h.ends_with([',', '.', ';', ':']));
        // The remainder must read as a sentence of its own.
        let rest_words = ws.len() - k;
        if content >= 1 && titled && !punct && !TITLE_CONNECTORS.contains(&last.as_str()) && rest_words >= 4 {
            // The first heading word capitalised as a name mid-sentence would
            // not be followed by an opener: `Robert Hooke In 1665` is no prose.
            return Some(start.saturating_sub(1));
        }
        // Only the first opener may end a heading.
        break;
    }
    None
}

/// Split off a fused heading: `(heading, rest)`.
pub fn split_fused(s: &str) -> (Option<String>, String) {
    match fused_heading(s) {
        Some(len) => (Some(s[..len].trim().to_string()), s[len..].trim().to_string()),
        None => (None, s.to_string()),
    }
}

/// The lecture's headings, lower-case: short lines without final
/// punctuation and the titles of its table of contents (numbers and dot
/// leaders removed). A sentence that starts with one of them has its heading
/// run into it.
pub fn heading_set(pages: &[String]) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for page in pages {
        for line in page.lines() {
            let l = line.trim();
            if l.is_empty() {
                continue;
            }
            let toc = looks_like_toc(l);
            let short = l.split_whitespace().count() <= 10 && !l.ends_with(['.', '!', '?', ':', ';', ',']);
            if !toc && !short {
                continue;
            }
            // Pieces between section numbers, page numbers and dot leaders.
            let mut piece: Vec<&str> = Vec::new();
            let mut flush = |piece: &mut Vec<&str>| {
                let n = piece.len();
                if (1..=8).contains(&n) {
                    let h = piece.join(" ").to_lowercase();
                    let h = h.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
                    if h.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
                        out.insert(h);
                    }
                }
                piece.clear();
            };
            for w in l.split_whitespace() {
                let number = w.chars().all(|c| c.is_ascii_digit() || c == '.') && w.chars().any(|c| c.is_ascii_digit());
                let dots = w.chars().all(|c| c == '.' || c == '…');
                if number || dots {
                    flush(&mut piece);
                } else {
                    piece.push(w);
                }
            }
            flush(&mut piece);
        }
    }
    out
}

/// Split off a known heading at the start of a sentence: `Data permanency
/// and removing objects The entities that R creates …`.
pub fn split_known_heading(s: &str, headings: &std::collections::HashSet<String>) -> (Option<String>, String) {
    let ws: Vec<&str> = s.split(' ').collect();
    for k in (1..ws.len().min(9)).rev() {
        if ws.len() - k < 5 {
            continue;
        }
        let head = ws[..k].join(" ");
        let key = head.to_lowercase();
        let key = key.trim_matches(|c: char| !c.is_alphanumeric());
        let rest_first = ws[k];
        if headings.contains(key) && rest_first.chars().next().is_some_and(|c| c.is_uppercase()) && !head.ends_with(['.', ',', ';', ':']) {
            return (Some(head), ws[k..].join(" "));
        }
    }
    (None, s.to_string())
}

/// Whether the pages look like a slide deck: many pages with few words.
pub fn is_slide_deck(pages: &[String]) -> bool {
    let mut counts: Vec<usize> = pages.iter().map(|p| p.split_whitespace().count()).filter(|c| *c > 0).collect();
    if counts.len() < 5 {
        return false;
    }
    counts.sort_unstable();
    counts[counts.len() / 2] < 110
}

/// Shingles (runs of `N` lower-case words) repeated on many pages: the
/// navigation bars and running titles of slides and handouts that survive
/// line-based header removal because they are fused into other lines.
pub fn furniture_shingles(pages: &[String]) -> std::collections::HashSet<String> {
    use std::collections::{HashMap, HashSet};
    const N: usize = 3;
    let with_text: Vec<&String> = pages.iter().filter(|p| !p.trim().is_empty()).collect();
    let mut out = HashSet::new();
    if with_text.len() < 5 {
        return out;
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for p in &with_text {
        let ws = words(p);
        let mut seen = HashSet::new();
        for w in ws.windows(N) {
            let k = w.join(" ");
            if seen.insert(k.clone()) {
                *counts.entry(k).or_default() += 1;
            }
        }
    }
    let threshold = (with_text.len() as f64 * 0.3).ceil().max(4.0) as usize;
    for (k, c) in counts {
        if c >= threshold && !k.split(' ').all(is_stopword) {
            out.insert(k);
        }
    }
    out
}

/// Share of a sentence's words covered by furniture shingles.
pub fn furniture_share(s: &str, shingles: &std::collections::HashSet<String>) -> f64 {
    if shingles.is_empty() {
        return 0.0;
    }
    let ws = words(s);
    if ws.len() < 3 {
        return 0.0;
    }
    let mut covered = vec![false; ws.len()];
    for i in 0..ws.len() - 2 {
        if shingles.contains(&ws[i..i + 3].join(" ")) {
            covered[i..i + 3].iter_mut().for_each(|c| *c = true);
        }
    }
    covered.iter().filter(|c| **c).count() as f64 / ws.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tex_logos_read_as_they_are_written() {
        let cleaned = clean("LATEX and BibTEX run on TEX; XƎLATEX, LuaLATEX, pdfLATEX, AMS-LATEX, REVTEX 4.2 and LATEX2ε (LaTEX's) too.");
        assert_eq!(cleaned, "LaTeX and BibTeX run on TeX; XeLaTeX, LuaLaTeX, pdfLaTeX, AMS-LaTeX, REVTeX 4.2 and LaTeX2ε (LaTeX's) too.");
        // Words that only contain the letters stay.
        assert_eq!(clean("The TEXT of TEXINPUTS and CONTEXT stays."), "The TEXT of TEXINPUTS and CONTEXT stays.");
        assert_eq!(clean("ConTEXt is a TEX format."), "ConTeXt is a TeX format.");
        assert_eq!(clean("A POSTSCRiPT preview program (POSTSCRiPT)."), "A PostScript preview program (PostScript).");
    }

    #[test]
    fn prose_is_prose() {
        for s in [
            "The cell is the basic unit of life.",
            "A gene is a segment of DNA that codes for a protein.",
            "Humans have 23 pairs of chromosomes in each body cell.",
            "You can change the size of the font for the whole document.",
            "LaTeX is a document preparation system for high-quality typesetting.",
            // Mostly names, but a sentence: a verb, lower-case words, a full stop.
            "The secret key is an RSA Private Key only available at API Key creation.",
        ] {
            assert_eq!(classify(&clean(s)), Class::Prose, "{s}");
        }
        // Mostly names and no sentence: a title or an entry.
        assert_eq!(classify(&clean("Managing Cisco UCS With Ansible Playbooks And Roles")), Class::Heading);
    }

    #[test]
    fn navigation_bars_and_tocs_are_headings() {
        for s in [
            "Structure of a document Basic commands Structuring text",
            "1 Introduction 3 1.1 Basics 5 1.2 Commands 9 2 Tables 12",
            "Contents ........ 3",
            "Basic Commands",
        ] {
            assert_eq!(classify(&clean(s)), Class::Heading, "{s}");
        }
    }

    #[test]
    fn references_are_references() {
        for s in [
            "[1] Leslie Lamport. LaTeX: A Document Preparation System. Addison-Wesley, 1994.",
            "Knuth, D. E. (1984). The TeXbook. Addison-Wesley.",
            "M. Goossens, F. Mittelbach, and A. Samarin. The LaTeX Companion. Addison-Wesley, Reading, 1994.",
        ] {
            assert_eq!(classify(&clean(s)), Class::Reference, "{s}");
        }
    }

    #[test]
    fn copyright_and_licence_lines_are_boilerplate() {
        for s in [
            "Copyright © 2007 Tobias Oetiker and contributors.",
            "Permission is granted to copy, distribute and modify this document under the terms of the GNU General Public License.",
            "This document is distributed under the LaTeX Project Public License.",
            "In this chapter we will see how tables are made.",
        ] {
            assert_eq!(classify(&clean(s)), Class::Boilerplate, "{s}");
        }
    }

    #[test]
    fn code_markup_and_formulas_are_code() {
        for s in [
            "\\documentclass{article} \\begin{document} Hello \\end{document}",
            "Save the file as hello.tex and run it.",
            "x = a^2 + b^2 holds for every right triangle.",
            "The call printLine(x) writes the value.",
            "% this is a comment",
            "The angle α is measured in radians.",
        ] {
            assert_eq!(classify(&clean(s)), Class::Code, "{s}");
        }
    }

    #[test]
    fn tables_and_captions() {
        assert_eq!(classify("12 14 16 18 20 22 24 size"), Class::Table);
        assert_eq!(classify("Figure 3: The structure of a cell."), Class::Caption);
        assert_eq!(classify("Table 2.1 Font sizes of the standard classes."), Class::Caption);
    }

    #[test]
    fn dependent_sentences_are_not_self_contained() {
        for s in [
            "This command makes the text bold.",
            "It is the most common choice.",
            "As shown in the figure above, the cell divides.",
            "Use the tabular environment for tables.",
            "What is a cell?",
            "The three phases are:",
            "The cell membrane separates the inside from",
        ] {
            assert_ne!(classify(&clean(s)), Class::Prose, "{s}");
        }
    }

    #[test]
    fn cleaning_strips_numbers_markers_citations() {
        assert_eq!(clean("2.13 Environments are blocks of text."), "Environments are blocks of text.");
        assert_eq!(clean("7.1. Tables are made with tabular."), "Tables are made with tabular.");
        assert_eq!(clean("See the FAQ,6 which answers most questions."), "See the FAQ, which answers most questions.");
        assert_eq!(clean("Kerning is done by microtype.18 It helps."), "Kerning is done by microtype. It helps.");
        assert_eq!(clean("TeX was written by Knuth [12]."), "TeX was written by Knuth.");
        // A glued marker after a word goes; a name's own digit before `package` stays.
        assert_eq!(clean("Slides are made with beamer1 these days."), "Slides are made with beamer these days.");
        assert_eq!(clean("Slides were made with the ppower4 package."), "Slides were made with the ppower4 package.");
        assert_eq!(clean("Cells divide (see Section 4) every day."), "Cells divide every day.");
        assert_eq!(clean("However, the nucleus stores DNA."), "The nucleus stores DNA.");
        // Numbers that are facts stay.
        assert_eq!(clean("23 pairs of chromosomes are found in humans."), "23 pairs of chromosomes are found in humans.");
        assert_eq!(clean("1953 was the year of the double helix."), "1953 was the year of the double helix.");
    }

    #[test]
    fn fused_headings_are_split() {
        assert_eq!(
            split_fused("Environments An environment is a block of text with a special meaning."),
            (Some("Environments".to_string()), "An environment is a block of text with a special meaning.".to_string())
        );
        assert_eq!(
            split_fused("Basic Commands The backslash starts every command in the source."),
            (Some("Basic Commands".to_string()), "The backslash starts every command in the source.".to_string())
        );
        assert_eq!(split_fused("The Calvin Cycle is the set of reactions that fixes carbon.").0, None);
        assert_eq!(split_fused("Gregor Mendel studied inheritance in pea plants.").0, None);
    }

    #[test]
    fn slide_decks_are_recognised() {
        let slides: Vec<String> = (0..20).map(|i| format!("Slide title {i}\nA short point.\nAnother point.")).collect();
        assert!(is_slide_deck(&slides));
        let book: Vec<String> = (0..20).map(|_| "word ".repeat(400)).collect();
        assert!(!is_slide_deck(&book));
    }

    #[test]
    fn repeated_navigation_is_furniture() {
        let pages: Vec<String> = (0..10)
            .map(|i| format!("Structure of a document Basic commands Structuring text Topic number {i} is about something different."))
            .collect();
        let sh = furniture_shingles(&pages);
        assert!(furniture_share("Structure of a document Basic commands Structuring text", &sh) > 0.9);
        assert!(furniture_share("Topic number 3 is about something different.", &sh) < 0.9);
    }
}
