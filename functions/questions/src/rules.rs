//! The built-in exam generator: questions from the lecture itself, offline
//! and deterministic.
//!
//! 1. The cleaned pages are split into sentences and list items, and each is
//!    classified ([`prose`]): only prose and the items of real lists are ever
//!    used; headings, navigation bars, tables of contents, references,
//!    captions, tables, code, markup and boilerplate never are. Section
//!    numbers, footnote markers and citation brackets are stripped, and a
//!    heading run into its first sentence is split off.
//! 2. Key terms are collected from the prose ([`terms`]): terms the lecture
//!    defines, capitalised names, acronyms, frequent noun phrases, numbers by
//!    kind. Definitions (`X is a Y that …`, `… is called X`) are found
//!    ([`define`]).
//! 3. Multiple-choice questions take several forms, each where the text
//!    supports it: "What is <definition>?" with terms as options, "What is
//!    X?" with definitions as options, a cloze whose blank is a key term or a
//!    number the sentence states, "Which of these statements is true,
//!    according to the lecture?" built from several sentences, and list
//!    membership for real enumerations. Distractors are of the answer's kind
//!    (terms for terms, years for years, same unit, same plurality), never in
//!    the sentence, never a part or an extension of the answer.
//! 4. True/false questions are self-contained statements of the lecture; half
//!    of them are made false by swapping a term or number for another of the
//!    same kind, so the lecture itself contradicts them.
//! 5. Sentences are ranked by importance (how central their terms are to the
//!    lecture; with an embedding model ([`semantic`]), also how close they
//!    are to the lecture's centre), forms are mixed, near-duplicates dropped,
//!    and questions are spread over the document.
//!
//! Every choice that is not decided by quality (ties, option order, which
//! true/false items are false) is decided by a hash of the text, so the same
//! lecture gives the same exam. If the lecture cannot support the requested
//! number of questions, fewer are written and the reason is recorded.

use std::collections::{BTreeMap, BTreeSet};

use examfn_domain::exam::{Question, TRUE_FALSE_OPTIONS};

use crate::analysis::{define, glossary, prose, semantic, terms, text};
use crate::{Generated, Generation, QuestionType, Request, Stats};
use define::Definition;
use prose::Class;
use semantic::{Embed, Vectors};
use terms::{Kind, Span, Term, Terms};
use text::{fnv, mix, ListGroup, Sentence};
use crate::words::{
    CATEGORY_NOUNS, COMPLEMENT_OPENERS, HEDGES, INFORMAL, KIND_FIRST, KIND_NOUNS, MID_ADVERBS, NEGATIONS, POINTING,
    POINTING_MODIFIERS, VERB_BASES, VERB_CONTEXT, WEAK_MODIFIERS,
};

const BLANK: &str = "_____";
const MIN_WORDS: usize = 7;
const MAX_WORDS: usize = 32;
/// Sentences embedded for the importance ranking, at most.
const EMBED_SENTENCES: usize = 64;
/// Terms and definitions embedded for the options, at most.
const EMBED_TERMS: usize = 240;
/// The options of a statement-pair question, in this order.
const PAIR_OPTIONS: [&str; 4] = ["I only", "II only", "Both I and II", "Neither I nor II"];
/// Questions one glossary ([`glossary::find`]) may give.
const MAX_PER_GLOSSARY: usize = 3;

/// Generate an exam from the cleaned pages of a lecture, ranking lexically.
pub fn generate(pages: &[String], req: &Request) -> Generation {
    generate_with(pages, req, None, "lexical (no embedding model configured)")
}

/// Generate an exam, ranking with `model` when given; `without` says why
/// there is none (for the sidecar).
pub fn generate_with(pages: &[String], req: &Request, model: Option<&dyn Embed>, without: &str) -> Generation {
    let (sentences, groups) = text::sentences(pages);
    let terms = Terms::collect(&sentences);
    let seed = pages.iter().fold(fnv(b"examfn"), |h, p| mix(h, fnv(p.as_bytes())));
    let words: usize = pages.iter().map(|p| p.split_whitespace().count()).sum();
    let defs = definitions(&sentences, &terms);
    let mut stats = Stats {
        pages: pages.len(),
        words,
        sentences: sentences.len(),
        key_terms: terms.count_words(),
        numbers: terms.count_numbers(),
        prose_sentences: sentences.iter().filter(|s| s.class == Class::Prose).count(),
        definitions: defs.len(),
        embedded: 0,
    };
    let mut g = Gen {
        sentences: &sentences,
        groups: &groups,
        terms: &terms,
        defs,
        seed,
        used_sentences: BTreeSet::new(),
        used_answers: BTreeSet::new(),
        importance: Vec::new(),
        vecs: None,
        model,
        names_mid: names_mid(&sentences),
        bare: bare_nouns(&sentences),
        nouns: plural_nouns(&sentences),
        code_words: code_words(&sentences),
        glossaries: glossary::find(&sentences),
        pairable: Vec::new(),
        word_sets: sentences.iter().map(|s| word_set(&s.text)).collect(),
        quoted: BTreeSet::new(),
        gate: Vec::new(),
        falsified: Default::default(),
        stem_vecs: Default::default(),
    };
    g.gate = g.gate_all();
    g.importance = g.lexical_importance();
    let ranking = match model {
        Some(m) => {
            g.embed(m);
            stats.embedded = g.vecs.as_ref().map_or(0, Vectors::len);
            format!("embedding:{}", m.name())
        }
        None => format!("lexical: {without}"),
    };
    let mut questions = g.multiple_choice(req);
    let mcq = questions.len();
    let tf = g.true_false(req.n_tfq);
    let tfq = tf.len();
    questions.extend(tf);
    let mut shortfall = Vec::new();
    if words < 30 {
        shortfall.push(format!("the lecture has only {words} words of text"));
    }
    if mcq < req.n_mcq {
        shortfall.push(format!(
            "{mcq} of {} multiple-choice questions: the lecture has too few self-contained statements ({} of {} \
             sentences are usable prose) whose key term, definition or number has {} others of the same kind to \
             serve as distractors, few `term – description` lists, and no statements to spare for statement pairs \
             beyond what the true/false questions need",
            req.n_mcq,
            stats.prose_sentences,
            stats.sentences,
            req.n_options.saturating_sub(1)
        ));
    }
    if tfq < req.n_tfq {
        shortfall.push(format!(
            "{tfq} of {} true/false questions: the lecture has too few further self-contained statements that \
             can be negated or whose number can be changed for another of the lecture's",
            req.n_tfq
        ));
    }
    Generation { questions, shortfall, stats, generator: "builtin".to_string(), ranking }
}

/// Why each prose sentence of a lecture is or is not a question source (for
/// the exam-quality harness: `quality explain FILE.pdf`): one line each with
/// its page, `gated`/`plain`/`-`, the subject term and the strong terms.
pub fn explain(pages: &[String]) -> Vec<String> {
    let (sentences, groups) = text::sentences(pages);
    let terms = Terms::collect(&sentences);
    let defs = definitions(&sentences, &terms);
    let mut g = Gen {
        sentences: &sentences,
        groups: &groups,
        terms: &terms,
        defs,
        seed: 0,
        used_sentences: BTreeSet::new(),
        used_answers: BTreeSet::new(),
        importance: vec![0.0; sentences.len()],
        vecs: None,
        model: None,
        names_mid: names_mid(&sentences),
        bare: bare_nouns(&sentences),
        nouns: plural_nouns(&sentences),
        code_words: code_words(&sentences),
        glossaries: glossary::find(&sentences),
        pairable: Vec::new(),
        word_sets: sentences.iter().map(|s| word_set(&s.text)).collect(),
        quoted: BTreeSet::new(),
        gate: Vec::new(),
        falsified: Default::default(),
        stem_vecs: Default::default(),
    };
    g.gate = g.gate_all();
    sentences
        .iter()
        .filter(|s| s.class == Class::Prose)
        .map(|s| {
            let state = if g.gated(s) { "gated" } else if sentence_ok(s) { "plain" } else { "-" };
            let why = if g.gated(s) { "" } else { g.gate_refusal(s).unwrap_or("a demonstration") };
            let subject = g.subject(s).map(|sp| terms.get(sp.term).display.clone()).unwrap_or_default();
            let strong: Vec<String> = terms
                .spans(s)
                .iter()
                .map(|sp| terms.get(sp.term))
                .filter(|t| strong_answer(t))
                .map(|t| format!("{}:{}", t.display, t.kind.label()))
                .collect();
            format!("p{:<3} {:<5} [{}] {{{}}} {} <{why}>", s.page, state, subject, strong.join(", "), s.text)
        })
        .chain(g.defs.iter().map(|d| format!("p{:<3} defin {} {} {}", sentences[d.sentence].page, d.with_article(), d.copula(), d.body)))
        .chain(g.glossaries.iter().flat_map(|gl| {
            gl.entries.iter().map(|e| format!("p{:<3} gloss {} – {} <{}>", sentences[e.sentence].page, e.term, e.description, if glossary::echoes(e) { "echoes its term" } else { "" }))
        }))
        .collect()
}

/// The definitions of the lecture, one per term (the first).
fn definitions(sentences: &[Sentence], terms: &Terms) -> Vec<Definition> {
    let mut out: Vec<Definition> = Vec::new();
    let mut seen = BTreeSet::new();
    for s in sentences {
        if let Some(mut d) = define::find(s) {
            // A word the lecture capitalises mid-sentence is a name.
            if !d.name {
                if let Some(t) = terms.lookup(&d.key) {
                    if t.kind == Kind::Name {
                        d.name = true;
                        d.term = t.display.clone();
                    }
                }
            }
            if seen.insert(d.key.clone()) {
                out.push(d);
            }
        }
    }
    out
}

struct Gen<'a> {
    sentences: &'a [Sentence],
    groups: &'a [ListGroup],
    terms: &'a Terms,
    defs: Vec<Definition>,
    seed: u64,
    used_sentences: BTreeSet<usize>,
    /// Answers already asked for (lower case), and terms already swapped.
    used_answers: BTreeSet<String>,
    /// Per sentence: how important it is to the lecture (0–1).
    importance: Vec<f64>,
    vecs: Option<Vectors>,
    /// The sentence-embedding model, when there is one.
    model: Option<&'a dyn Embed>,
    /// Per sentence, computed once: may questions be built on it
    /// ([`Gen::gated_uncached`]).
    gate: Vec<bool>,
    /// False versions already worked out, per (sentence, negation allowed).
    falsified: std::cell::RefCell<std::collections::HashMap<(usize, bool), Falsified>>,
    /// The model's vectors of stems, computed on demand.
    stem_vecs: std::cell::RefCell<std::collections::HashMap<String, Option<Vec<f32>>>>,
    /// Capitalised words and how often prose uses them inside a sentence
    /// (`R`, `LATEX`): names, even when too short to be terms.
    names_mid: std::collections::HashMap<String, u32>,
    /// Sentences an option of a statement question quotes.
    quoted: BTreeSet<usize>,
    /// Lower-case words the lecture never puts after an article, with how
    /// often they occur inside prose ([`bare_nouns`]).
    bare: std::collections::HashMap<String, u32>,
    /// Words in `-s` the lecture uses as plural nouns ([`plural_nouns`]).
    nouns: BTreeSet<String>,
    /// Lower-case words of the lecture's code and markup lines.
    code_words: BTreeSet<String>,
    /// Runs of `term – description` bullets ([`glossary::find`]).
    glossaries: Vec<glossary::Glossary>,
    /// Sentences a statement pair may use (set by `multiple_choice`).
    pairable: Vec<usize>,
    /// Per sentence, its words for near-duplicate checks ([`word_set`]).
    word_sets: Vec<Vec<u64>>,
}

/// A false version of a sentence and the kind of change that made it.
type Falsified = Option<(String, String)>;

/// Lower-case words of the lecture's code and markup lines (`fontspec` of
/// `\usepackage{fontspec}`): names of packages, options, commands.
fn code_words(sentences: &[Sentence]) -> BTreeSet<String> {
    sentences
        .iter()
        .filter(|s| s.class == Class::Code)
        .flat_map(|s| s.text.split(|c: char| !(c.is_alphanumeric() || c == '-')).map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|w| w.len() >= 3 && !text::is_stopword(w))
        .collect()
}

/// Words in `-s` the lecture uses as plural nouns: after a determiner or a
/// quantifier (`the sets`, `two breaks`) or before a plural verb (`sets are`).
fn plural_nouns(sentences: &[Sentence]) -> BTreeSet<String> {
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
fn names_mid(sentences: &[Sentence]) -> std::collections::HashMap<String, u32> {
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

/// Whether a capitalised word is a name: the lecture never writes it in
/// lower case (`Cassandra`, `R`, `Kafka`).
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

/// Words that prose uses inside sentences but never after an article or
/// another determiner (`systemtap`, `recursion`), with their counts: a
/// singular subject without an article is a name or a mass noun only then.
fn bare_nouns(sentences: &[Sentence]) -> std::collections::HashMap<String, u32> {
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

fn is_name_word(names: &std::collections::HashMap<String, u32>, w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase) && names.get(w).is_some_and(|&c| c != u32::MAX)
}

/// The forms of multiple-choice questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Form {
    TermForDefinition,
    Definition,
    Cloze,
    Statement,
    FalseStatement,
    List,
    Glossary,
    StatementPair,
}

impl Form {
    fn label(self) -> &'static str {
        match self {
            Form::TermForDefinition => "term_for_definition",
            Form::Definition => "definition",
            Form::Cloze => "cloze",
            Form::Statement => "statement",
            Form::FalseStatement => "false_statement",
            Form::Glossary => "glossary",
            Form::StatementPair => "statement_pair",
            Form::List => "list",
        }
    }
}

/// A possible multiple-choice question, before distractors are chosen.
struct Candidate {
    sentence: usize,
    score: f64,
    tie: u64,
    what: What,
}

enum What {
    Cloze(Span),
    List { group: usize, item: usize },
    TermFor(usize),
    Meaning(usize),
    Statement,
    FalseStatement,
    /// Entry `entry` of glossary `run`.
    Gloss { run: usize, entry: usize },
    /// Two statements, each true or negated: which are true?
    Pair,
}

impl What {
    fn form(&self) -> Form {
        match self {
            What::Cloze(_) => Form::Cloze,
            What::List { .. } => Form::List,
            What::TermFor(_) => Form::TermForDefinition,
            What::Gloss { .. } => Form::Glossary,
            What::Pair => Form::StatementPair,
            What::Meaning(_) => Form::Definition,
            What::Statement => Form::Statement,
            What::FalseStatement => Form::FalseStatement,
        }
    }
}


/// The byte range of a sentence's one short aside in parentheses (`sent to
/// the error channel (stderr)`, `uploaded to unstable (sid)`): at most four
/// words, no number, no pointer elsewhere (`see`, `e.g.`, `above`), not at
/// the start; the statement reads the same without it.
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
fn quotation_in(t: &str) -> Option<(usize, usize)> {
    short_quote(&without_possessives(t)).and(short_quote(t))
}

/// The text with its possessive apostrophes taken out (`Ansible’s check
/// mode`, `authors’ names`); contractions (`it’s`, `doesn’t`) keep theirs.
fn without_possessives(t: &str) -> String {
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
fn short_quote(t: &str) -> Option<(usize, usize)> {
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

fn short_aside(t: &str) -> Option<(usize, usize)> {
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

fn sentence_ok(s: &Sentence) -> bool {
    prose_refusal(s).is_none()
}

fn lengths_score(n: usize) -> f64 {
    if (10..=28).contains(&n) {
        1.0
    } else if n < 10 {
        0.7
    } else {
        0.6
    }
}

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

fn capitalize_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Replace every occurrence of `span`'s term in the sentence with `with`;
/// fix `a`/`an` before it and the capital at the sentence start.
fn substitute(s: &Sentence, spans: &[Span], with: &str, fix_article: bool) -> String {
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

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whether a term makes a key-term answer: a name, an acronym, a defined
/// term, or a noun phrase the lecture uses often, not a description.
fn key_term(t: &Term) -> bool {
    let first = t.key.split(' ').next().unwrap_or("");
    if WEAK_MODIFIERS.contains(&first) || t.key.ends_with("'s") || t.key.ends_with("’s") {
        return false;
    }
    if !t.kind.is_number() && (t.key.chars().filter(|c| c.is_alphabetic()).count() < 3 || (t.words == 1 && CATEGORY_NOUNS.contains(&t.key.as_str()))) {
        return false;
    }
    // `event occurs`, `model formulae specify`, `solving linear equations`:
    // a clause or an action, not a thing.
    if t.kind == Kind::Concept {
        let last = t.key.rsplit(' ').next().unwrap_or("");
        let first_word = t.key.split(' ').next().unwrap_or("");
        if (t.words > 1 && prose::is_verb_form(last))
            || (first_word.ends_with("ing") && first_word.len() > 5 && !matches!(first_word, "string" | "strings" | "setting" | "settings" | "building" | "heading" | "headings" | "encoding" | "padding" | "spacing" | "rendering" | "meaning"))
            || t.key.split(' ').any(|w| matches!(w, "foo" | "bar" | "baz"))
        {
            return false;
        }
    }
    match t.kind {
        Kind::Concept => t.nounish() && (t.defined_in.is_some() || t.freq >= 3 || (t.words > 1 && (t.freq >= 2 || t.family >= 3))),
        Kind::Name => t.freq >= if t.words == 1 { 3 } else { 2 } || t.defined_in.is_some(),
        Kind::Acronym => t.freq >= 2 || t.defined_in.is_some(),
        Kind::Year | Kind::Percent => true,
        Kind::Number => t.unit.is_some(),
    }
}

/// Words after which a noun phrase starts (so a blank or a swap there
/// replaces a whole noun phrase).
fn np_before(w: &str) -> bool {
    text::is_stopword(w) || matches!(w, "called" | "named" | "termed" | "using" | "via" | "uses" | "use" | "contains" | "includes" | "provides" | "supports" | "requires")
}

/// Whether the term at `sp` stands alone as a noun phrase: nothing of the
/// phrase is left outside it (`the startup _____ under`, `_____ drivers`,
/// `by _____ them`), so a blank or a swap there reads as the lecture would.
fn np_slot(s: &Sentence, sp: &Span) -> bool {
    let gap = |a: usize, b: usize| &s.text[a..b];
    let before_ok = sp.first == 0 || {
        let prev = s.tok(sp.first - 1).to_lowercase();
        let between = gap(s.toks[sp.first - 1].end, s.toks[sp.first].start);
        between.contains([',', '(', ':', ';', '“', '"']) || np_before(&prev)
    };
    let after_ok = sp.last + 1 >= s.words() || {
        let next = s.tok(sp.last + 1).to_lowercase();
        let between = gap(s.toks[sp.last].end, s.toks[sp.last + 1].start);
        between.contains([',', ')', ':', ';', '”', '"', '.', '–', '—'])
            || text::is_stopword(&next)
            || prose::is_verb_form(&next)
    };
    before_ok && after_ok
}

/// Determiners a singular common noun needs before it.
fn determiner_before(s: &Sentence, sp: &Span) -> bool {
    sp.first > 0
        && matches!(
            s.tok(sp.first - 1).to_lowercase().as_str(),
            "the" | "a" | "an" | "each" | "every" | "any" | "this" | "that" | "its" | "their" | "one" | "no" | "another" | "his" | "her" | "whose" | "which"
        )
}

/// A singular common noun without a determiner (`_____ is a popular
/// extension`, `Handler supports …`) reads wrong; names, acronyms, numbers
/// and plurals need none.
fn article_ok(s: &Sentence, sp: &Span, t: &Term, replacement_plural: bool) -> bool {
    t.kind != Kind::Concept || replacement_plural || determiner_before(s, sp)
}

/// Whether a term is a strong enough answer for a blank or a swap: a name,
/// an acronym, a number, a term the lecture defines, or a phrase of several
/// words it uses repeatedly; never a lone common word (`procedure`,
/// `search`) or a gerund.
fn strong_answer(t: &Term) -> bool {
    if !key_term(t) {
        return false;
    }
    match t.kind {
        Kind::Concept => {
            let gerund = t.words == 1 && t.key.ends_with("ing");
            !gerund && (t.defined_in.is_some() || (t.words > 1 && (t.freq >= 2 || t.family >= 3)))
        }
        _ => true,
    }
}

/// The last word of a term, in the singular: its category (`tabular
/// environment` → `environment`).
fn head_of(key: &str) -> String {
    singular(key.rsplit(' ').next().unwrap_or(key))
}

/// The words of a term other than its head, lower case.
fn modifiers(key: &str) -> Vec<String> {
    let ws: Vec<&str> = key.split(' ').collect();
    ws[..ws.len().saturating_sub(1)].iter().map(|w| w.to_lowercase()).collect()
}

/// Whether `word` occurs in `text` as a word or the start of one (`option` in
/// `Options`), ignoring case.
fn mentions(text_lower: &str, word: &str) -> bool {
    let stem: String = word.chars().take(word.chars().count().saturating_sub(1).max(4)).collect();
    text_lower.split(|c: char| !c.is_alphanumeric() && c != '-').any(|w| w == word || (stem.chars().count() >= 4 && w.starts_with(&stem)))
}

/// Whether a sentence hedges or evaluates ([`HEDGES`]): no fact to check.
fn hedged(s: &Sentence) -> bool {
    (0..s.words()).any(|i| HEDGES.contains(&s.tok(i).to_lowercase().as_str()))
}

/// Whether a term's modifiers name a kind of thing, so that it is a fair
/// distractor for another of its family: no ordinal or quantity (`fourth
/// sign`, `total number`), no participle or `-able` adjective
/// (`user-specified handler`, `configurable number`).
fn swap_modifiers_ok(key: &str) -> bool {
    let head = head_of(key);
    if matches!(head.as_str(), "number" | "amount" | "total" | "size" | "count" | "kind" | "type" | "sort" | "part" | "piece" | "way" | "lot" | "bit" | "level" | "degree") {
        return false;
    }
    modifiers(key).iter().all(|m| {
        let adjective = m.ends_with("ed") || m.ends_with("able") || m.ends_with("ible");
        let quantity = matches!(
            m.as_str(),
            "first" | "second" | "third" | "fourth" | "fifth" | "sixth" | "seventh" | "eighth" | "ninth" | "tenth" | "nth"
                | "next" | "last" | "total" | "maximum" | "minimum" | "certain" | "given" | "particular" | "whole"
                | "entire" | "single" | "double" | "multiple" | "several" | "many" | "few" | "other" | "such"
                // Superlatives: `longest vector` is no kind of vector.
                | "longest" | "shortest" | "largest" | "smallest" | "highest" | "lowest" | "biggest" | "greatest"
                | "newest" | "oldest" | "earliest" | "fastest" | "slowest" | "simplest" | "easiest" | "widest"
                | "narrowest" | "deepest" | "best" | "worst"
        );
        !(adjective || quantity || WEAK_MODIFIERS.contains(&m.as_str()))
    })
}

/// The base form of a third-person verb (`uses` → `use`, `applies` →
/// `apply`, `matches` → `match`, `has` → `have`).
fn verb_base(w: &str) -> String {
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

/// Openers after which the main clause starts: a prepositional phrase or a
/// frequency adverb and its comma (`For bibliographic references, …`,
/// `Usually, …`). None that points back (`In this case, …`).
fn opener_end(s: &Sentence) -> Option<usize> {
    let first = s.tok(0).to_lowercase();
    // `If the argument is exact, the result is …`: a subordinate clause may be longer.
    let clause = matches!(first.as_str(), "if" | "when" | "since" | "although" | "because" | "while" | "unless" | "once" | "whenever");
    if !clause
        && !matches!(
            first.as_str(),
            "in" | "for" | "on" | "with" | "by" | "under" | "outside" | "inside" | "within" | "unlike" | "like" | "usually" | "normally" | "typically" | "generally" | "often" | "internally" | "traditionally"
        )
    {
        return None;
    }
    let comma = (0..s.words().min(if clause { 12 } else { 8 })).find(|&i| s.text[s.toks[i].end..s.toks.get(i + 1).map_or(s.text.len(), |t| t.start)].contains(','))?;
    let k = comma + 1;
    if k + 3 > s.words() {
        return None;
    }
    let pointing = (0..k).any(|i| {
        let w = s.tok(i).to_lowercase();
        // A value of the lecture's example (`Since xlim is 13, …`) too.
        POINTING.contains(&w.as_str())
            || matches!(w.as_str(), "such" | "examples" | "below" | "case" | "cases" | "same" | "then" | "way" | "section" | "chapter")
            || w.chars().any(|c| c.is_ascii_digit())
    });
    (!pointing).then_some(k)
}

/// `Solving linear equations is …`, `Finding optimal colorings of graphs
/// is …`, `Changing style requires …`: a gerund and what it takes, up to
/// a copula, an auxiliary or a verb that agrees with it; nothing that
/// points back, no number, no comma. The subject is singular.
fn gerund_subject(s: &Sentence) -> Option<(usize, bool)> {
    let first = s.tok(0);
    let l = first.to_lowercase();
    if l.len() < 6 || !l.ends_with("ing") || !first.starts_with(char::is_uppercase) || matches!(l.as_str(), "during" | "according" | "following" | "regarding" | "concerning" | "notwithstanding" | "nothing" | "something" | "everything" | "anything" | "string" | "strings") {
        return None;
    }
    let v = (2..s.words().min(10)).find(|&i| {
        matches!(
            s.tok(i).to_lowercase().as_str(),
            "is" | "can" | "cannot" | "may" | "must" | "should" | "will" | "requires" | "takes" | "involves" | "means" | "becomes" | "allows" | "makes" | "gives" | "produces" | "needs"
        )
    })?;
    let clean = (1..v).all(|i| {
        let w = s.tok(i).to_lowercase();
        !POINTING.contains(&w.as_str())
            && !POINTING_MODIFIERS.contains(&w.as_str())
            && !w.chars().any(|c| c.is_ascii_digit())
            && !prose::is_verb_form(&w)
            && !matches!(w.as_str(), "it" | "them" | "they" | "which" | "who")
    });
    // An evaluation (`Making graphs is also straightforward`) is no fact.
    (clean && v + 2 < s.words() && !hedged(s) && !s.text[..s.toks[v].start].contains([',', '(', ':', ';', '"', '“'])).then_some((v - 1, false))
}

/// `entered at`, `occurring in`: a past or present participle that a
/// preposition follows, qualifying the noun before it.
fn participle_before_preposition(s: &Sentence, i: usize) -> bool {
    let w = s.tok(i).to_lowercase();
    let participle = w.len() > 5 && (w.ends_with("ed") || w.ends_with("ing")) && w.chars().all(|c| c.is_ascii_alphabetic());
    participle
        && !matches!(w.as_str(), "following" | "during" | "including" | "according" | "regarding" | "concerning" | "indeed" | "need" | "speed" | "embed")
        && matches!(s.tok(i + 1).to_lowercase().as_str(), "in" | "at" | "by" | "from" | "with" | "on" | "into" | "under" | "within" | "through")
}

fn opens_complement(next: &str) -> bool {
    let l = next.to_lowercase();
    COMPLEMENT_OPENERS.contains(&l.as_str())
        || (l.len() > 4 && l.ends_with("ly"))
        || next.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// A verb of [`VERB_BASES`] in the third person (`maintains`) or, for a
/// plural subject, its base form, followed by what verbs take; a word the
/// lecture also uses as a plural noun (`sets` in `the sets`) is none.
fn common_verb(w: &str, next: &str, plural: bool, nouns: &BTreeSet<String>) -> bool {
    let l = w.to_lowercase();
    if !opens_complement(next) || nouns.contains(&l) {
        return false;
    }
    let base = if plural {
        l
    } else if l.ends_with('s') && !l.ends_with("ss") && !l.ends_with("us") && !l.ends_with("is") {
        verb_base(&l)
    } else {
        return false;
    };
    VERB_BASES.binary_search(&base.as_str()).is_ok()
}

impl Gen<'_> {
    /// The key term a sentence is about: the head of its subject (a noun
    /// phrase of at most four words at the start, after at most an article)
    /// is one of the lecture's key terms, a name or an acronym, and the verb
    /// follows it.
    fn subject(&self, s: &Sentence) -> Option<Span> {
        let spans = self.terms.spans(s);
        let det = usize::from(matches!(s.tok(0).to_lowercase().as_str(), "the" | "a" | "an"));
        let sp = *spans.iter().find(|sp| sp.first >= det && sp.first <= det + 2)?;
        // Only modifiers before the term (`Modern TEX distributions`), no verb.
        if (det..sp.first).any(|i| {
            let w = s.tok(i).to_lowercase();
            text::is_stopword(&w) || prose::is_verb_form(&w)
        }) {
            return None;
        }
        let t = self.terms.get(sp.term);
        if !key_term(t) && !matches!(t.kind, Kind::Name | Kind::Acronym) {
            return None;
        }
        // `Rational number is converted …`: a singular common noun needs its article.
        if t.kind == Kind::Concept && !t.plural && det == 0 {
            return None;
        }
        // `The name argument is …`, `The class file …`: words that only say
        // what kind of thing it is, of something the sentence does not name.
        if t.kind == Kind::Concept
            && det == 1
            && t.key.split(' ').all(|w| KIND_NOUNS.contains(&singular(w).as_str()) || CATEGORY_NOUNS.contains(&w) || CATEGORY_NOUNS.contains(&singular(w).as_str()))
        {
            return None;
        }
        // `The template is …`, `The integrand is …`: one common word after
        // `the` points to something named before, unless the lecture defines it.
        if t.kind == Kind::Concept && t.words == 1 && det == 1 && s.tok(0).eq_ignore_ascii_case("the") && t.defined_in.is_none() {
            return None;
        }
        let next = sp.last + 1;
        if next >= s.words() || sp.last - det >= 4 {
            return None;
        }
        let v = s.tok(next).to_lowercase();
        let gap = &s.text[s.toks[sp.last].end..s.toks[next].start];
        let verb_at = |i: usize| {
            let v = s.tok(i).to_lowercase();
            prose::is_verb_form(&v)
                || (t.plural && prose::is_verb_form(&verb_base(&v)))
                || (!t.plural && v.ends_with('s') && prose::is_verb_form(&verb_base(&v)))
                || common_verb(s.tok(i), s.tok(i + 1), t.plural, &self.nouns)
        };
        // `LATEX strictly maintains …`, `X also provides …`: an adverb
        // between subject and verb.
        let adverb = (v.len() > 4 && v.ends_with("ly") || MID_ADVERBS.contains(&v.as_str())) && verb_at(next + 1);
        // `The microtype packages does not …`: a verb that disagrees.
        let verb = s.tok(if adverb { next + 1 } else { next }).to_lowercase();
        let agrees = if t.plural { !matches!(verb.as_str(), "is" | "does" | "has" | "was") } else { !matches!(verb.as_str(), "are" | "do" | "have" | "were") };
        (agrees && !gap.contains([',', '(', ':', ';']) && (verb_at(next) || adverb)).then_some(sp)
    }

    /// The end of a sentence's subject and whether it is plural: the key-term
    /// subject of [`Self::subject`], or a noun phrase of two to four content
    /// words after an article (`The options parameter customizes …`), or a
    /// bare plural of two or more words (`Modern distributions come …`).
    fn subject_end(&self, s: &Sentence) -> Option<(usize, bool)> {
        self.simple_subject_end(s).or_else(|| self.qualified_subject(s)).or_else(|| gerund_subject(s)).or_else(|| {
            // `For bibliographic references, LATEX uses …`, `Usually, run-time
            // errors cause …`: an opening phrase, then the subject.
            let k = opener_end(s)?;
            let clause = s.clause_from(k);
            let (last, plural) = self.simple_subject_end(&clause).or_else(|| self.qualified_subject(&clause))?;
            Some((last + k, plural))
        })
    }

    /// A singular noun that needs no article (`editing`, `inclusion`,
    /// `support` where the lecture never writes `the support`).
    fn mass_noun(&self, w: &str) -> bool {
        let suffix = w.len() >= 6 && ["ing", "ion", "ment", "ness", "ity", "ance", "ence", "ism"].iter().any(|x| w.ends_with(x));
        !terms_plural(w) && !text::is_generic(w) && !CATEGORY_NOUNS.contains(&w) && (suffix || self.bare.get(w).is_some_and(|&c| c >= 2))
    }

    /// `The package fontspec handles …`, `The amsthm package provides …`,
    /// `The bibliography style determines …`: `the` and a noun phrase of two
    /// or three words naming its kind (package, environment, …), or holding
    /// a key term or a name, then the verb.
    fn kind_subject(&self, s: &Sentence) -> Option<(usize, bool)> {
        let n = s.words();
        let mut e = 1;
        while e < n.min(4) {
            let w = s.tok(e);
            let l = w.to_lowercase();
            let word = w.chars().all(|c| c.is_alphanumeric() || c == '-') && w.chars().any(char::is_alphabetic);
            if !word || text::is_stopword(&l) || prose::is_verb_form(&l) || l.ends_with("ly") || WEAK_MODIFIERS.contains(&l.as_str()) || POINTING_MODIFIERS.contains(&l.as_str()) {
                break;
            }
            e += 1;
        }
        if !(3..=4).contains(&e) || e >= n {
            return None;
        }
        let head = s.tok(e - 1).to_lowercase();
        let plural = terms_plural(&head);
        let verb_at = |i: usize| {
            let v = s.tok(i).to_lowercase();
            prose::is_verb_form(&v) || (v.ends_with('s') && !plural && prose::is_verb_form(&verb_base(&v))) || common_verb(s.tok(i), s.tok(i + 1), plural, &self.nouns)
        };
        let v = s.tok(e).to_lowercase();
        let verb = if verb_at(e) { e } else if (v.len() > 4 && v.ends_with("ly") || MID_ADVERBS.contains(&v.as_str())) && verb_at(e + 1) { e + 1 } else { return None };
        let vw = s.tok(verb).to_lowercase();
        let agrees = if plural { !matches!(vw.as_str(), "is" | "has" | "was" | "does") && !(vw.ends_with('s') && !vw.ends_with("ss") && !matches!(vw.as_str(), "is" | "was")) } else { !matches!(vw.as_str(), "are" | "have" | "were" | "do") };
        if !agrees || s.text[s.toks[0].start..s.toks[verb].start].contains([',', '(', ':', ';', '"']) {
            return None;
        }
        let kind = |i: usize| KIND_NOUNS.contains(&singular(&s.tok(i).to_lowercase()).as_str());
        // `The amsthm package`: the kind last; `The package fontspec`: the
        // kind first, then one word the lecture also writes in code.
        let kinds = kind(e - 1) || (e == 3 && KIND_FIRST.contains(&s.tok(1).to_lowercase().as_str()) && self.code_words.contains(&s.tok(2).to_lowercase()));
        let named = self.terms.spans(s).iter().any(|sp| {
            let t = self.terms.get(sp.term);
            sp.first >= 1 && sp.last < e && (matches!(t.kind, Kind::Name | Kind::Acronym) || key_term(t) && t.words >= 2)
        }) || (1..e).any(|i| is_name_word(&self.names_mid, s.tok(i)));
        // Every word of the phrase names a kind (`The class file`): of what?
        let all_kinds = (1..e).all(|i| KIND_NOUNS.contains(&singular(&s.tok(i).to_lowercase()).as_str()) || CATEGORY_NOUNS.contains(&s.tok(i).to_lowercase().as_str()));
        ((kinds || named) && !all_kinds).then_some((e - 1, plural))
    }

    /// `Data sets in the R Commander are …`, `Command blocks that produce
    /// errors are …`, `Quadratic forms over Z are …`: a plural noun phrase (or
    /// one after `a`/`an`) that a phrase naming a key term or name, or a short
    /// relative clause, qualifies; then an auxiliary or a verb that agrees.
    fn qualified_subject(&self, s: &Sentence) -> Option<(usize, bool)> {
        let n = s.words();
        let first = s.tok(0).to_lowercase();
        if matches!(first.as_str(), "the" | "this" | "these" | "that" | "those" | "it" | "its" | "they" | "there" | "here" | "such") {
            return None;
        }
        let det = usize::from(matches!(first.as_str(), "a" | "an"));
        // The noun phrase: one to four content words.
        let mut e = det;
        while e < n && e < det + 4 {
            let w = s.tok(e);
            let l = w.to_lowercase();
            // `Images in figures are …`, `Data sets in …`: a plural that
            // could be a verb is the noun when a qualifier follows it.
            let plural_noun = terms_plural(&l) && matches!(s.tok(e + 1).to_lowercase().as_str(), "in" | "of" | "for" | "on" | "over" | "from" | "with" | "that" | "which");
            let content = w.chars().all(|c| c.is_alphabetic() || c == '-')
                && !(e > det && participle_before_preposition(s, e))
                && !text::is_stopword(&l)
                && (!prose::is_verb_form(&l) || plural_noun)
                && !l.ends_with("ly")
                && !HEDGES.contains(&l.as_str())
                && !(e == det && WEAK_MODIFIERS.contains(&l.as_str()));
            if !content {
                break;
            }
            e += 1;
        }
        if e == det || e >= n {
            return None;
        }
        let head = s.tok(e - 1).to_lowercase();
        let plural = terms_plural(&head);
        if !plural && det == 0 && !self.mass_noun(&head) {
            return None;
        }
        if matches!(head.as_str(), "users" | "people" | "authors" | "students" | "readers" | "beginners" | "developers" | "programmers" | "researchers") {
            return None;
        }
        // What qualifies it: a preposition's phrase, or a participle's
        // (`Command lines entered at the console are …`).
        let q = s.tok(e).to_lowercase();
        let participle = participle_before_preposition(s, e);
        let np_words = e - det;
        // Where the phrase's preposition stands.
        let e = if participle { e + 1 } else { e };
        let v = match if participle { "in" } else { q.as_str() } {
            "in" | "of" | "for" | "on" | "over" | "from" | "with" | "at" | "between" | "within" | "across" | "inside" | "without" | "under" => {
                let v = (e + 2..n.min(e + 7)).find(|&i| {
                    let w = s.tok(i).to_lowercase();
                    matches!(w.as_str(), "is" | "are" | "can" | "cannot" | "must" | "will" | "should" | "have" | "has" | "need")
                        || (i > e + 2
                            && w.len() > 3
                            && (prose::is_verb_form(&verb_base(&w)) || common_verb(s.tok(i), s.tok(i + 1), plural, &self.nouns))
                            && !w.ends_with("ed")
                            && !w.ends_with("ing")
                            && s.tok(i - 1).chars().all(char::is_alphabetic)
                            && !text::is_stopword(&s.tok(i - 1).to_lowercase()))
                })?;
                let spans = self.terms.spans(s);
                let anchored = spans.iter().any(|sp| {
                    let t = self.terms.get(sp.term);
                    sp.first > e && sp.last < v && (matches!(t.kind, Kind::Name | Kind::Acronym) || key_term(t))
                }) || (e + 1..v).any(|i| is_name_word(&self.names_mid, s.tok(i)));
                let clean = (e + 1..v).all(|i| {
                    let w = s.tok(i).to_lowercase();
                    !prose::is_verb_form(&w) && !POINTING.contains(&w.as_str()) && !matches!(w.as_str(), "which" | "who")
                });
                // Or a generic phrase: `Images in figures are …`, `An empty
                // line in the source ends …`.
                let the = (e + 1..v).filter(|&i| s.tok(i).eq_ignore_ascii_case("the")).count();
                // A participle's phrase says which ones (`entered at the console`).
                let generic = v - e - 1 <= 4
                    && (the == 0 || ((det == 1 || participle) && the == 1 && s.tok(e + 1).eq_ignore_ascii_case("the")))
                    && (e + 1..v).all(|i| !WEAK_MODIFIERS.contains(&s.tok(i).to_lowercase().as_str()) && !POINTING_MODIFIERS.contains(&s.tok(i).to_lowercase().as_str()))
                    && (e + 1..v).all(|i| s.tok(i).chars().all(|c| c.is_alphabetic() || c == '-'));
                ((anchored || generic) && clean).then_some(v)?
            }
            "that" | "which" => {
                // A relative clause of at most six words, then the auxiliary.
                let v = (e + 2..n.min(e + 8)).find(|&i| matches!(s.tok(i).to_lowercase().as_str(), "is" | "are" | "can" | "cannot" | "must" | "will" | "should"))?;
                let clause_verb = (e + 1..v).any(|i| {
                    let w = s.tok(i).to_lowercase();
                    prose::is_verb_form(&w) || prose::is_verb_form(&verb_base(&w))
                });
                let clean = (e + 1..v).all(|i| !matches!(s.tok(i).to_lowercase().as_str(), "this" | "these" | "it" | "its" | "they" | "them" | "above" | "following" | "and" | "or"));
                (clause_verb && clean).then_some(v)?
            }
            _ => return None,
        };
        if s.text[s.toks[0].start..s.toks[v].start].contains([',', '(', ':', ';', '"']) {
            return None;
        }
        if (CATEGORY_NOUNS.contains(&head.as_str()) || text::is_generic(&head)) && np_words < 2 {
            return None;
        }
        let verb = s.tok(v).to_lowercase();
        let agrees = if plural { !matches!(verb.as_str(), "is" | "has" | "was") } else { !matches!(verb.as_str(), "are" | "have" | "were") };
        agrees.then_some((v - 1, plural))
    }

    fn simple_subject_end(&self, s: &Sentence) -> Option<(usize, bool)> {
        if let Some(sp) = self.subject(s) {
            return Some((sp.last, self.terms.get(sp.term).plural));
        }
        let n = s.words();
        let det = usize::from(matches!(s.tok(0).to_lowercase().as_str(), "the" | "a" | "an"));
        // A name of several capitalised words (`Leslie Lamport introduced`,
        // `The Roman Empire reached`) and its verb in the past or third person.
        {
            let mut e = det;
            while e < n.min(det + 4) && is_name_word(&self.names_mid, s.tok(e)) || (e > det && e < n && s.tok(e).chars().next().is_some_and(char::is_uppercase) && e < det + 4) {
                e += 1;
            }
            if e >= det + 2 && e < n && s.text[s.toks[det].start..s.toks[e].start].chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-') {
                let v = s.tok(e).to_lowercase();
                if prose::is_verb_form(&v) || (v.len() > 4 && (v.ends_with("ed") || (v.ends_with('s') && !v.ends_with("ss")))) {
                    return Some((e - 1, false));
                }
            }
        }
        // `The hardness results are …`, `The template is …`: a definite noun
        // phrase that is no term of the lecture points back to something,
        // unless what follows it names what it is of (`The input for LATEX
        // is …`, `The size of the root sign is …`).
        if s.tok(0).eq_ignore_ascii_case("the") {
            return self.anchored_subject(s).or_else(|| self.kind_subject(s));
        }
        // `Citations and references are …`, `XeLaTeX and LuaLaTeX have …`:
        // two plurals the lecture uses, or two names, joined by `and`.
        if det == 0 && s.tok(1).eq_ignore_ascii_case("and") && n > 4 {
            let (a, b) = (s.tok(0), s.tok(2));
            let plural_noun = |w: &str| {
                let l = w.to_lowercase();
                // A plural the lecture uses again (not one made up here).
                let uses = self.sentences.iter().filter(|o| o.index != s.index && (0..o.words()).any(|i| o.tok(i).eq_ignore_ascii_case(&l))).take(2).count();
                terms_plural(&l) && l.len() >= 4 && !text::is_generic(&l) && !CATEGORY_NOUNS.contains(&l.as_str()) && uses >= 1
            };
            let name = |w: &str| is_name_word(&self.names_mid, w);
            let verb = s.tok(3).to_lowercase();
            let plural_verb = matches!(verb.as_str(), "are" | "can" | "cannot" | "must" | "have" | "will" | "should" | "do")
                || (prose::is_verb_form(&verb) && !verb.ends_with('s'))
                || common_verb(s.tok(3), s.tok(4), true, &self.nouns);
            if ((plural_noun(a) && plural_noun(b)) || (name(a) && name(b))) && plural_verb && !s.text[..s.toks[3].start].contains([',', '(']) {
                return Some((2, true));
            }
        }
        // `Every simple algebra is …`: a quantifier in the article's place.
        let det = if matches!(s.tok(0).to_lowercase().as_str(), "every" | "each") { 1 } else { det };
        let v = (det + 1..n.min(det + 5)).find(|&i| {
            let w = s.tok(i).to_lowercase();
            // `Quadratic forms are …`: a word before an auxiliary is a noun.
            let aux = |w: &str| matches!(w, "is" | "are" | "can" | "cannot" | "must" | "will" | "should" | "may" | "has" | "have" | "was" | "were" | "does" | "do");
            let noun = !aux(&w) && aux(&s.tok(i + 1).to_lowercase());
            !noun
                && (prose::is_verb_form(&w)
                    || (w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && prose::is_verb_form(&verb_base(&w)))
                    || common_verb(s.tok(i), s.tok(i + 1), false, &self.nouns))
        })?;
        let mut words: Vec<String> = (det..v).map(|i| s.tok(i).to_lowercase()).collect();
        // `An assignment also evaluates …`: an adverb before the verb is no
        // part of the subject.
        let adverb = words.len() >= 2 && words.last().is_some_and(|w| MID_ADVERBS.contains(&w.as_str()) || (w.len() > 4 && w.ends_with("ly")));
        if adverb {
            words.pop();
        }
        // The verb, and where the subject ends (before it or its adverb).
        let (verb_at, v) = (v, if adverb { v - 1 } else { v });
        // `A factor defines …`, `An array can be …`: one noun the lecture
        // uses, in the generic singular.
        if det == 1 && v == 2 && !s.tok(0).eq_ignore_ascii_case("the") {
            // (`a`, `an`, `every`, `each`)
            let w = &words[0];
            let known = !terms_plural(w) && self.terms.lookup(w).is_some_and(|t| t.kind == Kind::Concept && t.freq >= 2);
            let verb = s.tok(verb_at).to_lowercase();
            let agrees = !matches!(verb.as_str(), "are" | "were" | "have" | "do");
            return (known && agrees && !text::is_generic(w) && !CATEGORY_NOUNS.contains(&w.as_str()) && w.len() >= 4 && !w.ends_with("ly"))
                .then_some((det, false));
        }
        // `R provides …`, `Vectors must have …`: one word that is a name the
        // lecture uses inside sentences, or a plural key term.
        if det == 0 && v == 1 {
            let w = s.tok(0);
            // A name the lecture uses inside sentences, or one that only opens
            // sentences but is followed by a copula or an auxiliary
            // (`Cassandra is …`; not `Duplicate sets of …`).
            let verb = s.tok(verb_at).to_lowercase();
            let name = is_name_word(&self.names_mid, w)
                && (self.names_mid.get(w).is_some_and(|&c| c >= 2) || matches!(verb.as_str(), "is" | "are" | "was" | "were" | "has" | "have" | "can" | "will"));
            let people = matches!(words[0].as_str(), "users" | "people" | "authors" | "students" | "readers" | "beginners" | "developers" | "programmers" | "researchers");
            // `Vectors must have …`, `Strings are treated …`: a plural the
            // lecture uses as a noun, followed by an auxiliary or a verb.
            let common_plural = terms_plural(&words[0])
                && !text::is_generic(&words[0])
                && !CATEGORY_NOUNS.contains(&words[0].as_str())
                && [words[0].clone(), singular(&words[0])].iter().any(|k| self.terms.lookup(k).is_some_and(|t| t.kind == Kind::Concept && t.freq >= 2))
                && (matches!(verb.as_str(), "are" | "can" | "cannot" | "must" | "need" | "have" | "will" | "should" | "do")
                    || prose::is_verb_form(&verb) && !verb.ends_with('s')
                    || common_verb(s.tok(verb_at), s.tok(verb_at + 1), true, &self.nouns));
            let plural_term = !people && terms_plural(&words[0]) && (self.terms.lookup(&words[0]).is_some_and(key_term) || common_plural);
            // `Systemtap supports …`, `Recursion is …`: a word the lecture
            // never puts after an article, used often, with a singular verb.
            let lw = words[0].as_str();
            let bare = !terms_plural(lw)
                && self.bare.get(lw).is_some_and(|&c| c >= 3)
                && !text::is_stopword(lw)
                && !text::is_generic(lw)
                && !CATEGORY_NOUNS.contains(&lw)
                && !lw.ends_with("ly")
                && !lw.ends_with("ing")
                && (matches!(verb.as_str(), "is" | "can" | "cannot" | "must" | "has" | "will" | "does")
                    || (verb.ends_with('s') && !verb.ends_with("ss") && prose::is_verb_form(&verb_base(&verb)))
                    || common_verb(s.tok(verb_at), s.tok(verb_at + 1), false, &self.nouns));
            return (!people && (name || plural_term || bare)).then_some((0, plural_term && !name));
        }
        if words.len() < 2
            || words.iter().any(|w| text::is_stopword(w) || w.ends_with("ly") || w.chars().any(|c| c.is_ascii_digit()))
            || WEAK_MODIFIERS.contains(&words[0].as_str())
            || s.text[s.toks[det].start..s.toks[v].start].contains([',', '(', ':', ';'])
        {
            return None;
        }
        let head = words.last()?;
        // `Negative values give …`, `Text cells are …`: a category word with an
        // adjective is a detail of something the sentence does not name.
        if CATEGORY_NOUNS.contains(&head.as_str()) || CATEGORY_NOUNS.contains(&singular(head).as_str()) {
            return None;
        }
        let plural = terms_plural(head);
        // `Command-line editing is …`, `Graphics inclusion is …`: a mass
        // noun needs no article.
        if det == 0 && !plural && !self.mass_noun(head) {
            return None;
        }
        let verb = s.tok(verb_at).to_lowercase();
        // A plural subject takes a verb without the third-person `-s`; a
        // singular one an auxiliary or a verb with it.
        let singular_verb = matches!(verb.as_str(), "is" | "can" | "cannot" | "must" | "will" | "should" | "may" | "has" | "does")
            || (verb.ends_with('s') && !verb.ends_with("ss"));
        let agrees = if plural { !verb.ends_with('s') } else { det == 1 || singular_verb };
        agrees.then_some((v - 1, plural))
    }

    /// `The input for LATEX is …`, `The C code generated by systemtap
    /// includes …`: `the`, one or two content words, `of`/`for`/`in`/`generated by`
    /// and a phrase holding a name or key term, then the verb. The subject
    /// ends before the verb; its number is its head's.
    fn anchored_subject(&self, s: &Sentence) -> Option<(usize, bool)> {
        let n = s.words();
        let p = (2..n.min(4)).find(|&i| matches!(s.tok(i).to_lowercase().as_str(), "of" | "for" | "in" | "generated" | "produced"))?;
        let head_words: Vec<String> = (1..p).map(|i| s.tok(i).to_lowercase()).collect();
        if head_words.iter().any(|w| text::is_stopword(w) || prose::is_verb_form(w) || w.ends_with("ly") || WEAK_MODIFIERS.contains(&w.as_str()) || w.chars().any(|c| !c.is_alphabetic() && c != '-')) {
            return None;
        }
        let from = if matches!(s.tok(p).to_lowercase().as_str(), "generated" | "produced") {
            (p + 1 < n && s.tok(p + 1).eq_ignore_ascii_case("by")).then_some(p + 2)?
        } else {
            p + 1
        };
        let v = (from + 1..n.min(from + 6)).find(|&i| {
            let w = s.tok(i).to_lowercase();
            prose::is_verb_form(&w) && !matches!(w.as_str(), "used" | "given" | "called" | "named" | "shown" | "made" | "set")
        })?;
        if s.text[s.toks[0].start..s.toks[v].start].contains([',', '(', ':', ';', '"']) {
            return None;
        }
        let spans = self.terms.spans(s);
        let anchored = spans.iter().any(|sp| {
            let t = self.terms.get(sp.term);
            sp.first >= from && sp.last < v && (matches!(t.kind, Kind::Name | Kind::Acronym) || key_term(t))
        }) || (from..v).any(|i| is_name_word(&self.names_mid, s.tok(i)));
        // Nothing in the phrase may point back (`of this`, `in the example`).
        let pointing = (from..v).any(|i| POINTING.contains(&s.tok(i).to_lowercase().as_str()));
        if !anchored || pointing {
            return None;
        }
        let head = head_words.last()?;
        let plural = terms_plural(head);
        let verb = s.tok(v).to_lowercase();
        let agrees = if plural { !verb.ends_with('s') || verb == "does" } else { !matches!(verb.as_str(), "are" | "were" | "have" | "do") };
        agrees.then_some((v - 1, plural))
    }

    /// The gate of every sentence, with the demonstrations taken out
    /// ([`demonstrations`]).
    fn gate_all(&self) -> Vec<bool> {
        let demo = demonstrations(self.sentences);
        self.sentences.iter().map(|s| !demo.contains(&s.index) && self.gated_uncached(s)).collect()
    }

    /// A sentence questions may be built on: a plain, self-contained
    /// statement about one of the lecture's key terms, in the present tense
    /// (a past tense only for history with a year).
    fn gated(&self, s: &Sentence) -> bool {
        self.gate.get(s.index).copied().unwrap_or(false)
    }

    fn gated_uncached(&self, s: &Sentence) -> bool {
        self.gate_refusal(s).is_none()
    }

    /// Why a sentence is no source of questions (`None`: it is one).
    fn gate_refusal(&self, s: &Sentence) -> Option<&'static str> {
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

    /// Whether `o` is of the same category as the answer `t`: a term with the
    /// same head (`verbatim environment` for `tabular environment`), a term
    /// the lecture also defines, or a name or acronym the model finds alike.
    fn same_category(&self, t: &Term, o: &Term) -> bool {
        if t.kind != o.kind || !key_term(o) {
            return false;
        }
        if terms_plural(&o.key) != terms_plural(&t.key) && !t.kind.is_number() {
            return false;
        }
        // With the model: a term close to the answer in meaning (plausible)
        // but not a synonym of it.
        let close = |min: f32| self.sim(&t.display, &o.display).is_some_and(|x| (min..semantic::SYNONYM).contains(&x));
        match t.kind {
            Kind::Concept if t.words > 1 => {
                // `class option`, `layout option`: a category, not one of its kind.
                let specific = |k: &str| modifiers(k).iter().all(|m| !CATEGORY_NOUNS.contains(&m.as_str()) && !WEAK_MODIFIERS.contains(&m.as_str()) && !text::is_generic(m));
                specific(&o.key)
                    && specific(&t.key)
                    && o.words > 1
                    && (head_of(&o.key) == head_of(&t.key) || (close(0.45) && o.freq >= 3))
                    // `graphical parameters` / `graphics parameters`: one term twice.
                    && !(head_of(&o.key) == head_of(&t.key)
                        && modifiers(&o.key).iter().zip(modifiers(&t.key).iter()).any(|(a, b)| a.chars().take(5).eq(b.chars().take(5))))
                    && (o.freq >= 2 || o.defined_in.is_some() || o.family >= 3)
            }
            Kind::Concept => o.words == 1 && (o.defined_in.is_some() || (close(0.45) && o.freq >= 4 && o.nounish())),
            // Names of one sort (programs for a program, not formats): only
            // the model can tell, so without it names get no distractors.
            Kind::Name | Kind::Acronym => {
                self.sim(&t.display, &o.display).is_some_and(|x| (0.45..semantic::SYNONYM).contains(&x))
                    && (o.freq >= 2 || o.defined_in.is_some())
                    && !o.display.starts_with("The ")
            }
            _ => true,
        }
    }

    /// Whether the stem gives the answer away: a stem word starts like one of
    /// the answer's words (`tables` → `tabular`), or, with the model, the
    /// stem is much closer to the answer than to every distractor (`poems`
    /// → `verse`).
    fn echoes(&self, stem_lower: &str, answer: &str, distractors: &[String]) -> bool {
        let stem_words: Vec<&str> = stem_lower.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 4).collect();
        let lexical = answer.to_lowercase().split(' ').filter(|w| w.len() >= 4 && !CATEGORY_NOUNS.contains(w)).any(|a| {
            let p: String = a.chars().take(3).collect();
            stem_words.iter().any(|w| w.starts_with(&p) && !distractors.iter().any(|d| d.to_lowercase().contains(&p)))
        });
        if lexical {
            return true;
        }
        let Some(vecs) = self.vecs.as_ref() else { return false };
        let model_stem = self.sim_text(stem_lower);
        match (model_stem, vecs.get(answer)) {
            (Some(sv), Some(av)) => {
                let a = semantic::cos(&sv, av);
                let best_other = distractors.iter().filter_map(|d| vecs.get(d).map(|dv| semantic::cos(&sv, dv))).fold(f32::MIN, f32::max);
                best_other > f32::MIN && a - best_other > 0.15
            }
            _ => false,
        }
    }

    /// The model's vector of a text that was not embedded up front, if the
    /// model ran (a stem; computed on demand).
    fn sim_text(&self, text: &str) -> Option<Vec<f32>> {
        let model = self.model?;
        if let Some(v) = self.stem_vecs.borrow().get(text) {
            return v.clone();
        }
        let v = model.embed(&[text]).into_iter().next();
        self.stem_vecs.borrow_mut().insert(text.to_string(), v.clone());
        v
    }

    /// Distractors for a blank or a definition: same category, same number,
    /// not named in the stem; None when there are fewer than `k`.
    fn category_distractors(&self, t: &Term, k: usize, stem_lower: &str, page: usize, tie: u64) -> Option<Vec<String>> {
        let pool: Vec<String> = self
            .terms
            .distractors(t, k + 60, stem_lower, page, tie, &[])
            .into_iter()
            .filter(|o| match self.terms.lookup(&o.to_lowercase()) {
                Some(ot) => {
                    (t.kind.is_number() || (self.same_category(t, ot) && (ot.kind != Kind::Concept || swap_modifiers_ok(&ot.key))))
                        && !modifiers(&ot.key).iter().any(|m| m.len() >= 4 && mentions(stem_lower, m))
                }
                None => t.kind.is_number(),
            })
            .collect();
        let d = self.rerank(&t.display, pool, k);
        (d.len() >= k).then_some(d)
    }

    /// A false version of `s` by one of: the statement negated (`is` → `is
    /// not`, `uses` → `does not use`, `can` → `cannot`), only when `negate`;
    /// a number or year swapped for another of the lecture's (same unit).
    fn falsify(&self, s: &Sentence, all: &BTreeSet<String>, negate: bool) -> Option<(String, String)> {
        if let Some(done) = self.falsified.borrow().get(&(s.index, negate)) {
            return done.clone();
        }
        let out = self.falsify_uncached(s, all, negate);
        self.falsified.borrow_mut().insert((s.index, negate), out.clone());
        out
    }

    fn falsify_uncached(&self, s: &Sentence, all: &BTreeSet<String>, negate: bool) -> Option<(String, String)> {
        // A negation is the surest false statement; swaps come after it.
        if negate {
            if let Some(n) = self.negation(s, all) {
                return Some(n);
            }
        }
        let lower = s.text.to_lowercase();
        let mut spans: Vec<Span> = self.terms.spans(s).into_iter().filter(|sp| np_slot(s, sp)).collect();
        spans.sort_by_key(|sp| std::cmp::Reverse((self.terms.get(sp.term).tf_quality() * 100.0) as i64));
        for sp in &spans {
            let t = self.terms.get(sp.term);
            let swappable = match t.kind {
                Kind::Year | Kind::Percent => true,
                Kind::Number => t.unit.is_some(),
                // A term swapped for another of its family is false only when
                // the lecture says the two differ, which it rarely does: hand
                // labels found 5 of 27 such swaps usable, against 43 of 53
                // negations. Only numbers are swapped.
                _ => false,
            };
            if !swappable || self.occurrences(s, sp).len() != 1 {
                continue;
            }
            let Some(pool) = self.category_distractors(t, 3, &lower, s.page, self.tie(&format!("swap#{}", s.text))).or_else(|| self.category_distractors(t, 1, &lower, s.page, self.tie(&format!("swap#{}", s.text)))) else { continue };
            for alt in pool {
                let changed = substitute(s, &[*sp], &alt, true);
                if !all.contains(&norm(&changed)) && norm(&changed) != norm(&s.text) {
                    return Some((changed, t.kind.label().to_string()));
                }
            }
        }
        None
    }

    /// The statement negated (`is` → `is not`, `uses` → `does not use`,
    /// `can` → `cannot`), when it is a plain claim with one main verb.
    fn negation(&self, s: &Sentence, all: &BTreeSet<String>) -> Option<(String, String)> {
        let (last, plural) = self.subject_end(s)?;
        // `X strictly maintains …`, `X also provides …`: an adverb before the verb.
        let adverb = {
            let w = s.tok(last + 1).to_lowercase();
            (MID_ADVERBS.contains(&w.as_str()) || (w.len() > 4 && w.ends_with("ly"))) && last + 2 < s.words()
        };
        let v = if adverb { last + 2 } else { last + 1 };
        let words: Vec<String> = (0..s.words()).map(|i| s.tok(i).to_lowercase()).collect();
        if words.iter().any(|w| NEGATIONS.contains(&w.as_str()) || HEDGES.contains(&w.as_str())) {
            return None;
        }
        let vt = s.toks[v];
        let verb = &s.text[vt.start..vt.end];
        let lv = verb.to_lowercase();
        let after = words.get(v + 1).map(String::as_str).unwrap_or("");
        // `X is Y, and knows Z`, `X is Y and flows …`: one negation would
        // cover half of the statement.
        if s.text.contains(", and ") || s.text.contains(", but ") || words.windows(2).any(|p| matches!(p[0].as_str(), "and" | "or" | "but") && (prose::is_verb_form(&p[1]) || p[1].ends_with("ed") || (p[1].ends_with('s') && prose::is_verb_form(&verb_base(&p[1]))))) {
            return None;
        }
        // `X are merged, giving rise to one footnote`: the consequence would
        // contradict the negated verb, a giveaway.
        if (1..s.words()).any(|i| s.tok(i).ends_with("ing") && s.text[s.toks[i - 1].end..s.toks[i].start].contains(',')) {
            return None;
        }
        // What the negation replaces: the verb, with the adverb before it.
        let from = if adverb { s.toks[last + 1].start } else { vt.start };
        // `also`, `only`, `still` go (`X does not provide …`); a manner
        // adverb stays after `not` (`X does not strictly maintain …`).
        let kept = if adverb && !matches!(words[last + 1].as_str(), "also" | "only" | "still") { format!("{} ", s.tok(last + 1)) } else { String::new() };
        if adverb && matches!(lv.as_str(), "is" | "are" | "will" | "must" | "should" | "does" | "do" | "can" | "has" | "have" | "was" | "were") {
            return None;
        }
        let replacement = match lv.as_str() {
            "does" | "do" if !prose::is_verb_form(after) => format!("{verb} not do"),
            "is" | "are" | "will" | "must" | "should" | "does" | "do" => format!("{verb} not"),
            "can" => "cannot".to_string(),
            "has" | "have" if after.ends_with("ed") || after.ends_with("en") || after == "been" => format!("{verb} not"),
            "has" => "does not have".to_string(),
            "have" => "do not have".to_string(),
            "was" | "were" => format!("{verb} not"),
            _ if (prose::is_verb_form(&lv) || common_verb(verb, s.tok(v + 1), false, &self.nouns)) && !plural && lv.ends_with('s') && !lv.ends_with("ss") => {
                format!("does not {kept}{}", verb_base(&lv))
            }
            _ if (prose::is_verb_form(&lv) || common_verb(verb, s.tok(v + 1), true, &self.nouns)) && plural && !lv.ends_with('s') && !lv.ends_with("ed") => format!("do not {kept}{lv}"),
            _ => return None,
        };
        let changed = format!("{}{}{}", &s.text[..from], replacement, &s.text[vt.end..]);
        (!all.contains(&norm(&changed))).then(|| (changed, "negation".to_string()))
    }

    fn tie(&self, s: &str) -> u64 {
        mix(self.seed, fnv(s.as_bytes()))
    }

    /// All occurrences of the same term as `span` in its sentence.
    fn occurrences(&self, s: &Sentence, span: &Span) -> Vec<Span> {
        self.terms.spans(s).into_iter().filter(|o| o.term == span.term).collect()
    }

    /// Importance from the terms: a sentence full of the lecture's frequent
    /// key terms matters more than one with none (0–1, by the maximum).
    fn lexical_importance(&self) -> Vec<f64> {
        let raw: Vec<f64> = self
            .sentences
            .iter()
            .map(|s| {
                if !sentence_ok(s) {
                    return 0.0;
                }
                let w: f64 = self
                    .terms
                    .spans(s)
                    .iter()
                    .map(|sp| self.terms.get(sp.term))
                    .filter(|t| !t.kind.is_number() && key_term(t))
                    .map(|t| (1.0 + t.freq as f64).ln() + if t.defined_in.is_some() { 1.0 } else { 0.0 })
                    .sum();
                w / (s.words() as f64).sqrt()
            })
            .collect();
        let max = raw.iter().copied().fold(0.0, f64::max).max(1e-9);
        raw.into_iter().map(|x| x / max).collect()
    }

    /// Embed what the ranking needs: the most important candidate sentences,
    /// the key terms and the definitions; then rank sentences by both their
    /// terms and how central they are.
    fn embed(&mut self, model: &dyn Embed) {
        let mut idx: Vec<usize> = (0..self.sentences.len()).filter(|&i| self.importance[i] > 0.0).collect();
        idx.sort_by(|a, b| self.importance[*b].total_cmp(&self.importance[*a]).then(a.cmp(b)));
        idx.truncate(EMBED_SENTENCES);
        let mut texts: Vec<String> = idx.iter().map(|&i| self.sentences[i].text.clone()).collect();
        let mut pool: Vec<&Term> = self.terms.iter().filter(|t| !t.kind.is_number() && key_term(t)).collect();
        pool.sort_by(|a, b| (b.defined_in.is_some(), b.freq).cmp(&(a.defined_in.is_some(), a.freq)).then(a.key.cmp(&b.key)));
        pool.truncate(EMBED_TERMS);
        texts.extend(pool.iter().map(|t| t.display.clone()));
        texts.extend(self.defs.iter().take(EMBED_TERMS / 4).flat_map(|d| [d.term.clone(), d.body.clone()]));
        let vecs = Vectors::compute(model, &texts);
        if let Some(c) = vecs.centroid(idx.iter().map(|&i| self.sentences[i].text.as_str())) {
            for &i in &idx {
                if let Some(v) = vecs.get(&self.sentences[i].text) {
                    let central = semantic::cos(v, &c).max(0.0) as f64;
                    self.importance[i] = 0.5 * self.importance[i] + 0.5 * central;
                }
            }
        }
        self.vecs = Some(vecs);
    }

    fn sim(&self, a: &str, b: &str) -> Option<f32> {
        self.vecs.as_ref()?.sim(a, b)
    }

    /// Re-rank lexical distractor candidates by closeness to the answer
    /// (plausible), dropping synonyms; keep `k`.
    fn rerank(&self, answer: &str, mut cands: Vec<String>, k: usize) -> Vec<String> {
        if self.vecs.is_some() {
            cands.retain(|c| self.sim(answer, c).is_none_or(|x| x < semantic::SYNONYM));
            let mut scored: Vec<(f32, usize, String)> =
                cands.into_iter().enumerate().map(|(i, c)| (self.sim(answer, &c).unwrap_or(0.0), i, c)).collect();
            // Embedded candidates by similarity, then the others in lexical order.
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            cands = scored.into_iter().map(|(_, _, c)| c).collect();
        }
        cands.truncate(k);
        cands
    }

    fn candidates(&self) -> Vec<Candidate> {
        let mut out = Vec::new();
        for s in self.sentences {
            if !self.gated(s) {
                // A number the lecture states as a fact (a year, a percentage,
                // a quantity with its unit) in a plain present-tense statement.
                if sentence_ok(s) {
                    for sp in self.terms.spans(s) {
                        let t = self.terms.get(sp.term);
                        let fact = matches!(t.kind, Kind::Year | Kind::Percent)
                            || (t.kind == Kind::Number && t.unit.as_deref().is_some_and(|u| !text::is_stopword(u) && !prose::is_verb_form(u)) && t.value.is_some_and(|v| v >= 10.0));
                        if fact && np_slot(s, &sp) && !hedged(s) {
                            out.push(Candidate {
                                sentence: s.index,
                                score: 0.8 + self.importance[s.index],
                                tie: self.tie(&format!("{}#{}", s.text, t.key)),
                                what: What::Cloze(sp),
                            });
                        }
                    }
                }
                continue;
            }
            let imp = self.importance[s.index];
            let len = lengths_score(s.words());
            // Cloze: a key term the sentence is about (before its verb, or defined there).
            let spans = self.terms.spans(s);
            let aside = short_aside(&s.text);
            let quote = quotation_in(&s.text);
            for sp in &spans {
                let t = self.terms.get(sp.term);
                if !strong_answer(t) || !np_slot(s, sp) || !article_ok(s, sp, t, t.plural) {
                    continue;
                }
                // No blank inside an aside in parentheses.
                if aside.is_some_and(|(a, b)| (a..b).contains(&s.toks[sp.first].start)) || quote.is_some_and(|(a, b)| (a..b).contains(&s.toks[sp.first].start)) {
                    continue;
                }
                let before = if sp.first > 0 { s.tok(sp.first - 1).to_lowercase() } else { String::new() };
                if t.words == 1 && t.kind == Kind::Concept && VERB_CONTEXT.contains(&before.as_str()) {
                    continue;
                }
                // Part of a longer name (`the R _____`): no blank there.
                let capital = |i: usize| s.tok(i).chars().next().is_some_and(char::is_uppercase);
                if (sp.first > 0 && capital(sp.first - 1) && !matches!(before.as_str(), "the" | "a" | "an"))
                    || (sp.last + 1 < s.words() && capital(sp.last + 1))
                {
                    continue;
                }
                let mut score = 0.6 * t.quality() / 3.0 * len + imp;
                if t.defined_in == Some(s.index) {
                    score += 0.6;
                }
                // The subject of the sentence (among its first words).
                if sp.first <= 3 {
                    score += 0.2;
                }
                out.push(Candidate { sentence: s.index, score, tie: self.tie(&format!("{}#{}", s.text, t.key)), what: What::Cloze(*sp) });
            }
            // Statements: any self-contained sentence with a swappable fact.
            // Statements the options quote must be plain claims, no hedge or evaluation.
            if s.words() <= 26 && !hedged(s) {
                out.push(Candidate { sentence: s.index, score: 0.5 + 0.8 * imp, tie: self.tie(&format!("stmt#{}", s.text)), what: What::Statement });
                out.push(Candidate { sentence: s.index, score: 0.45 + 0.8 * imp, tie: self.tie(&format!("fstmt#{}", s.text)), what: What::FalseStatement });
                out.push(Candidate { sentence: s.index, score: 0.3 + 0.8 * imp, tie: self.tie(&format!("pair#{}", s.text)), what: What::Pair });
            }
        }
        for (di, d) in self.defs.iter().enumerate() {
            let imp = self.importance.get(d.sentence).copied().unwrap_or(0.0);
            out.push(Candidate { sentence: d.sentence, score: 1.6 + imp, tie: self.tie(&format!("tfd#{}", d.key)), what: What::TermFor(di) });
            out.push(Candidate { sentence: d.sentence, score: 1.5 + imp, tie: self.tie(&format!("def#{}", d.key)), what: What::Meaning(di) });
        }
        for (run, g) in self.glossaries.iter().enumerate() {
            for (entry, e) in g.entries.iter().enumerate() {
                out.push(Candidate { sentence: e.sentence, score: 1.3, tie: self.tie(&format!("gloss#{}", e.term)), what: What::Gloss { run, entry } });
            }
        }
        for (gi, g) in self.groups.iter().enumerate() {
            let Some(stem) = list_stem(&self.sentences[g.intro]) else { continue };
            let _ = stem;
            for &it in &g.items {
                let item = &self.sentences[it];
                if item_ok(item) {
                    out.push(Candidate {
                        sentence: g.intro,
                        score: 1.4,
                        tie: self.tie(&format!("{}#{}", self.sentences[g.intro].text, item.text)),
                        what: What::List { group: gi, item: it },
                    });
                }
            }
        }
        out
    }

    /// Build the question of a candidate, or None when it lacks distractors.
    fn build_mcq(&self, c: &Candidate, n_options: usize, all: &BTreeSet<String>) -> Option<Generated> {
        let s = &self.sentences[c.sentence];
        let k = n_options - 1;
        let (question, answer, distractors, kind) = match &c.what {
            What::Cloze(sp) => {
                let t = self.terms.get(sp.term);
                if self.used_answers.contains(&t.key) {
                    return None;
                }
                let occ = self.occurrences(s, sp);
                if occ.len() != 1 {
                    return None;
                }
                let blanked = substitute(s, &occ, BLANK, true);
                let lower = s.text.to_lowercase();
                let stem_lower = blanked.to_lowercase();
                // The stem must not name the answer's own words (`list of
                // _____ … Options Summary` → `class options`).
                if modifiers(&t.key).iter().any(|m| m.len() >= 4 && mentions(&stem_lower, m)) && !t.kind.is_number() {
                    return None;
                }
                let d = self.category_distractors(t, k, &lower, s.page, self.tie(&s.text))?;
                // The head in the stem (`A _____ is a vector of …`) gives
                // nothing away when every option has that head.
                let head = head_of(&t.key);
                if head.len() >= 4 && mentions(&stem_lower, &head) && !t.kind.is_number() && !d.iter().all(|o| head_of(&o.to_lowercase()) == head) {
                    return None;
                }
                if self.echoes(&stem_lower, &t.display, &d) {
                    return None;
                }
                (format!("Fill in the blank: {blanked}"), t.display.clone(), d, t.kind.label().to_string())
            }
            What::List { group, item } => {
                let g = &self.groups[*group];
                let answer = self.sentences[*item].text.trim_end_matches(['.', ';', ',']).to_string();
                if self.used_answers.contains(&answer.to_lowercase()) {
                    return None;
                }
                let listed: Vec<String> = g.items.iter().map(|i| self.sentences[*i].text.to_lowercase()).collect();
                let words = self.sentences[*item].words();
                let pool = self.terms.list_distractors(&answer, words, k + 6, &listed, self.tie(&answer));
                let d = self.rerank(&answer, pool, k);
                if d.len() < k {
                    return None;
                }
                let stem = list_stem(s)?;
                (stem, answer, d, "list item".to_string())
            }
            What::TermFor(di) => {
                let d = &self.defs[*di];
                if self.used_answers.contains(&d.key) {
                    return None;
                }
                let pool = self.other_terms(d, k + 6);
                let opts = self.rerank(&d.term, pool, k);
                if opts.len() < k {
                    return None;
                }
                let stem = if d.body.chars().next().is_some_and(char::is_lowercase) && starts_with_article(&d.body) || d.plural {
                    format!("What {} {}?", d.copula(), d.body)
                } else {
                    format!("Which term does the lecture describe as “{}”?", d.body)
                };
                (stem, d.term.clone(), opts, if d.name { "name" } else { "term" }.to_string())
            }
            What::Meaning(di) => {
                let d = &self.defs[*di];
                if self.used_answers.contains(&d.key) {
                    return None;
                }
                let pool = self.other_bodies(d, k + 6);
                let opts = self.rerank(&d.body, pool, k);
                if opts.len() < k {
                    return None;
                }
                let stem = format!("What {} {}, according to the lecture?", d.copula(), d.with_article());
                (stem, capitalize_first(&d.body), opts.iter().map(|o| capitalize_first(o)).collect(), "definition".to_string())
            }
            What::Gloss { run, entry } => {
                let g = &self.glossaries[*run];
                let e = &g.entries[*entry];
                if self.used_answers.contains(&e.term.to_lowercase()) || glossary::echoes(e) {
                    return None;
                }
                // The other terms of the run: things of the same kind.
                let tie = self.tie(&e.term);
                let mut others: Vec<&glossary::Entry> = g.entries.iter().filter(|o| o.term != e.term).collect();
                others.sort_by_key(|o| mix(tie, fnv(o.term.as_bytes())));
                if others.len() < k {
                    return None;
                }
                let d: Vec<String> = others.into_iter().take(k).map(|o| o.term.clone()).collect();
                let stem = glossary::stem(&e.description, |w| {
                    w.ends_with('s') && !w.ends_with("ss") && (prose::is_verb_form(w) || VERB_BASES.binary_search(&verb_base(w).as_str()).is_ok())
                });
                (stem, e.term.clone(), d, "term".to_string())
            }
            What::Pair => {
                // Two statements of the lecture, each as it is or negated
                // (one of the four cases by the text): which are true?
                if n_options != PAIR_OPTIONS.len() {
                    return None;
                }
                let other = self.pair_partner(c.sentence, all)?;
                let case = self.tie(&format!("pair#{}", s.text)) % 4;
                let (true_a, true_b) = (case == 0 || case == 1, case == 0 || case == 2);
                let text = |i: usize, keep: bool| -> Option<String> {
                    if keep {
                        Some(self.sentences[i].text.clone())
                    } else {
                        self.falsify(&self.sentences[i], all, true).map(|(changed, _)| changed)
                    }
                };
                let (a, b) = (text(c.sentence, true_a)?, text(other, true_b)?);
                let answer = PAIR_OPTIONS[match (true_a, true_b) {
                    (true, false) => 0,
                    (false, true) => 1,
                    (true, true) => 2,
                    (false, false) => 3,
                }];
                return Some(Generated {
                    question: Question {
                        question: format!("Which of these statements are true, according to the lecture? (I) {a} (II) {b}"),
                        options: PAIR_OPTIONS.iter().map(|o| o.to_string()).collect(),
                        correct_answer: answer.to_string(),
                    },
                    kind: QuestionType::MultipleChoice,
                    page: s.page,
                    source: s.text.clone(),
                    answer_kind: "statement pair".to_string(),
                    form: Form::StatementPair.label().to_string(),
                });
            }
            What::FalseStatement => {
                // One statement of the lecture made false by a swap, among
                // other statements of the lecture near it.
                if k == 0 {
                    return None;
                }
                let (changed, _) = self.falsify(s, all, false)?;
                let trues = self.true_statements(c.sentence, k);
                if trues.len() < k {
                    return None;
                }
                ("Which of the following statements is false, according to the lecture?".to_string(), changed, trues, "statement".to_string())
            }
            What::Statement => {
                if k == 0 {
                    return None;
                }
                let falses = self.false_statements(c.sentence, k, all);
                if falses.len() < k {
                    return None;
                }
                ("Which of the following statements is true, according to the lecture?".to_string(), s.text.clone(), falses, "statement".to_string())
            }
        };
        // The answer must not be among the distractors, nor one option twice,
        // nor an option the singular or plural of another.
        let mut seen: BTreeSet<String> = BTreeSet::new();
        if !std::iter::once(&answer).chain(distractors.iter()).all(|o| seen.insert(singular(&o.to_lowercase()))) {
            return None;
        }
        let mut options = distractors;
        let pos = (self.tie(&question) % n_options as u64) as usize;
        options.insert(pos.min(options.len()), answer.clone());
        Some(Generated {
            question: Question { question, options, correct_answer: answer },
            kind: QuestionType::MultipleChoice,
            page: s.page,
            source: s.text.clone(),
            answer_kind: kind,
            form: c.what.form().label().to_string(),
        })
    }

    /// Terms for "What is <definition>?": the other defined terms of the same
    /// sort (name or common noun, singular or plural), then key terms.
    fn other_terms(&self, d: &Definition, k: usize) -> Vec<String> {
        let body = d.body.to_lowercase();
        let mut out: Vec<String> = Vec::new();
        let ok = |key: &str, out: &Vec<String>| {
            key != d.key
                && !key.contains(&d.key)
                && !d.key.contains(key)
                && !body.contains(key)
                && !out.iter().any(|o| o.eq_ignore_ascii_case(key))
        };
        let mut defs: Vec<&Definition> = self.defs.iter().filter(|o| o.name == d.name && o.plural == d.plural).collect();
        defs.sort_by_key(|o| mix(self.tie(&d.key), fnv(o.key.as_bytes())));
        let this = self.terms.lookup(&d.key);
        for o in defs {
            // Of the same sort as the defined term (programs for a program):
            // by the terms' category, or, for names, by the model.
            let alike = match (this, self.terms.lookup(&o.key)) {
                (Some(t), Some(ot)) => self.same_category(t, ot),
                _ => !d.name || self.sim(&d.term, &o.term).is_some_and(|x| (0.45..semantic::SYNONYM).contains(&x)),
            };
            if alike && ok(&o.key, &out) {
                out.push(o.term.clone());
            }
        }
        if out.len() < k {
            let kind = if d.name { Kind::Name } else { Kind::Concept };
            if let Some(t) = self.terms.lookup(&d.key).filter(|t| t.kind == kind) {
                for o in self.terms.distractors(t, k * 2, &body, self.sentences[d.sentence].page, self.tie(&d.body), &[]) {
                    let key = o.to_lowercase();
                    let good = self.terms.lookup(&key).is_some_and(|ot| key_term(ot) && (ot.defined_in.is_some() || ot.freq >= 3) && self.same_category(t, ot));
                    if good && ok(&key, &out) && terms_plural(&key) == d.plural {
                        out.push(o);
                    }
                }
            } else {
                let mut pool: Vec<&Term> = self
                    .terms
                    .iter()
                    .filter(|t| t.kind == kind && key_term(t) && t.plural == d.plural && t.words <= 3 && (t.defined_in.is_some() || t.freq >= 3))
                    // Names of the defined one's sort: only the model can tell
                    // (without it, no names); concepts close to it with the model.
                    .filter(|t| match self.sim(&d.term, &t.display) {
                        Some(x) => x >= if d.name { 0.45 } else { 0.3 },
                        None => !d.name && self.vecs.is_none(),
                    })
                    .collect();
                pool.sort_by(|a, b| b.freq.cmp(&a.freq).then(a.key.cmp(&b.key)));
                for t in pool {
                    if ok(&t.key, &out) {
                        out.push(t.display.clone());
                    }
                }
            }
        }
        out
    }

    /// Definitions for "What is X?": the other definitions' bodies of similar
    /// length and the same number.
    fn other_bodies(&self, d: &Definition, _k: usize) -> Vec<String> {
        let len = d.body.split(' ').count() as f64;
        let mut pool: Vec<(f64, u64, &Definition)> = self
            .defs
            .iter()
            .filter(|o| o.key != d.key && o.plural == d.plural && !o.body.eq_ignore_ascii_case(&d.body))
            .filter(|o| !o.body.to_lowercase().contains(&d.key))
            .map(|o| {
                let ol = o.body.split(' ').count() as f64;
                ((len.max(ol) / len.min(ol).max(1.0)), mix(self.tie(&d.key), fnv(o.key.as_bytes())), o)
            })
            .filter(|(ratio, _, _)| *ratio <= 2.5)
            .collect();
        pool.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        pool.into_iter().map(|(_, _, o)| o.body.clone()).collect()
    }

    /// Other statements of the lecture near `near` (self-contained, no hedge,
    /// of a similar length), for a "which is false" question.
    fn true_statements(&self, near: usize, k: usize) -> Vec<String> {
        let page = self.sentences[near].page;
        let len = self.sentences[near].words() as i64;
        let mut cands: Vec<(usize, u64, usize)> = self
            .sentences
            .iter()
            .filter(|s| s.index != near && self.gated(s) && s.words() <= 26 && !self.used_sentences.contains(&s.index) && !self.quoted.contains(&s.index))
            .filter(|s| !hedged(s))
            .filter(|s| (s.words() as i64 - len).abs() <= 8)
            .filter(|s| !self.near_duplicate(s.index, &[near]))
            .map(|s| (s.page.abs_diff(page), self.tie(&format!("ts#{}", s.text)), s.index))
            .collect();
        cands.sort();
        cands.into_iter().take(k).map(|(_, _, i)| self.sentences[i].text.clone()).collect()
    }

    /// The second statement of a pair question on `near`: a sentence near it
    /// of similar length that, like it, can be negated (the anchor too).
    fn pair_partner(&self, near: usize, all: &BTreeSet<String>) -> Option<usize> {
        let s = &self.sentences[near];
        if s.words() > 26 || hedged(s) || self.falsify(s, all, true).is_none() {
            return None;
        }
        let len = s.words() as i64;
        let mut cands: Vec<(usize, u64, usize)> = self
            .pairable
            .iter()
            .map(|&i| &self.sentences[i])
            .filter(|o| o.index != near && !self.used_sentences.contains(&o.index) && !self.quoted.contains(&o.index))
            .filter(|o| (o.words() as i64 - len).abs() <= 8)
            .map(|o| (o.page.abs_diff(s.page), mix(self.tie(&o.text), 0x7061_6972), o.index))
            .collect();
        cands.sort_unstable();
        cands.into_iter().map(|(_, _, i)| i).find(|&i| !self.near_duplicate(i, &[near]))
    }

    /// False versions of other sentences near `near`, for a statement question.
    fn false_statements(&self, near: usize, k: usize, all: &BTreeSet<String>) -> Vec<String> {
        let page = self.sentences[near].page;
        let mut cands: Vec<(usize, u64, usize)> = self
            .sentences
            .iter()
            .filter(|s| s.index != near && self.gated(s) && s.words() <= 26 && !self.used_sentences.contains(&s.index) && !self.quoted.contains(&s.index))
            .map(|s| (s.page.abs_diff(page), self.tie(&format!("fs#{}", s.text)), s.index))
            .collect();
        cands.sort();
        let mut out = Vec::new();
        for (_, _, i) in cands.into_iter().take(40) {
            if let Some((changed, _)) = self.falsify(&self.sentences[i], all, false) {
                out.push(changed);
                if out.len() == k {
                    break;
                }
            }
        }
        out
    }

    /// The sentences that options quote as they are or falsified.
    fn quoted_sentences(&self, options: &[String]) -> Vec<usize> {
        let wanted: BTreeSet<String> = options.iter().map(|o| norm(o)).collect();
        let mut out: Vec<usize> = self.sentences.iter().filter(|s| wanted.contains(&norm(&s.text))).map(|s| s.index).collect();
        for (&(i, _), done) in self.falsified.borrow().iter() {
            if done.as_ref().is_some_and(|(changed, _)| wanted.contains(&norm(changed))) {
                out.push(i);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Segments of the document for `n` questions: sentence index ranges.
    fn segments(&self, n: usize) -> Vec<(usize, usize)> {
        let total = self.sentences.len().max(1);
        (0..n).map(|i| (i * total / n, (i + 1) * total / n)).collect()
    }

    /// Whether a question on `sentence` would repeat one already written.
    fn near_duplicate(&self, sentence: usize, taken: &[usize]) -> bool {
        let text = &self.sentences[sentence].text;
        taken.iter().any(|&o| {
            let other = &self.sentences[o].text;
            match self.sim(text, other) {
                Some(x) => x > semantic::NEAR_DUPLICATE,
                None => jaccard(&self.word_sets[sentence], &self.word_sets[o]) > 0.6,
            }
        })
    }

    fn multiple_choice(&mut self, req: &Request) -> Vec<Generated> {
        if req.n_mcq == 0 || req.n_options < 2 {
            return Vec::new();
        }
        let all: BTreeSet<String> = self.sentences.iter().map(|s| norm(&s.text)).collect();
        let mut cands = self.candidates();
        cands.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.tie.cmp(&b.tie)));
        let segs = self.segments(req.n_mcq);
        let mut taken: Vec<Option<Generated>> = vec![None; req.n_mcq];
        let mut used_questions: BTreeSet<String> = BTreeSet::new();
        let mut taken_sentences: Vec<usize> = Vec::new();
        let mut form_count: BTreeMap<Form, usize> = BTreeMap::new();
        let mut used_pages: BTreeSet<usize> = BTreeSet::new();
        // Questions per glossary: a few, not a whole exam from one slide.
        let mut per_glossary: BTreeMap<usize, usize> = BTreeMap::new();
        // Statement pairs take two sentences each: only from what the
        // true/false questions leave (they need one each).
        // Sentences a pair may use; the count of distinct ones (a text
        // repeated on several pages is one statement).
        self.pairable = self
            .sentences
            .iter()
            .filter(|s| self.gated(s) && s.words() <= 26 && !hedged(s) && self.falsify(s, &all, true).is_some())
            .map(|s| s.index)
            .collect();
        // True/false needs statements that are no near-duplicates of each other.
        let mut distinct: Vec<usize> = Vec::new();
        for s in self.sentences.iter().filter(|s| self.gated(s) && s.words() <= 32 && !hedged(s) && self.falsify(s, &all, true).is_some()) {
            if !self.near_duplicate(s.index, &distinct) {
                distinct.push(s.index);
            }
        }
        let mut pair_budget = distinct.len().saturating_sub(req.n_tfq) / 2;
        let mut done = vec![false; cands.len()];
        // Pass 0: the best question of each segment; 1: fill from anywhere;
        // 2: also from sentences a statement question quotes.
        for pass in 0..3 {
            for (si, seg) in segs.iter().enumerate() {
                if taken[si].is_some() {
                    continue;
                }
                // The best remaining candidate, forms already used weighing less.
                let mut order: Vec<usize> = (0..cands.len())
                    .filter(|&ci| !done[ci] && (pass >= 1 || (seg.0..seg.1).contains(&cands[ci].sentence)))
                    .collect();
                // Forms and pages already used weigh less: a mix of forms over the whole lecture.
                let adjusted = |ci: usize| {
                    let c = &cands[ci];
                    let page = if used_pages.contains(&self.sentences[c.sentence].page) { 0.7 } else { 1.0 };
                    c.score * page * 0.8f64.powi(*form_count.get(&c.what.form()).unwrap_or(&0) as i32)
                };
                order.sort_by(|a, b| adjusted(*b).total_cmp(&adjusted(*a)).then(cands[*a].tie.cmp(&cands[*b].tie)));
                for ci in order {
                    let c = &cands[ci];
                    if self.used_sentences.contains(&c.sentence) || (pass < 2 && self.quoted.contains(&c.sentence)) || self.near_duplicate(c.sentence, &taken_sentences) {
                        continue;
                    }
                    if let What::Gloss { run, .. } = c.what {
                        if per_glossary.get(&run).copied().unwrap_or(0) >= MAX_PER_GLOSSARY {
                            continue;
                        }
                    }
                    if matches!(c.what, What::Pair) && pair_budget == 0 {
                        continue;
                    }
                    done[ci] = true;
                    if let Some(q) = self.build_mcq(c, req.n_options, &all) {
                        // Statement questions share their stem; they differ by their options.
                        if !used_questions.insert(norm(&format!("{} {}", q.question.question, q.question.correct_answer))) {
                            continue;
                        }
                        // The sentences a statement question quotes (true or
                        // falsified) are not quoted again, and true/false
                        // questions take them only when nothing else is left.
                        if matches!(c.what, What::Statement | What::FalseStatement) {
                            let quoted = self.quoted_sentences(&q.question.options);
                            self.quoted.extend(quoted);
                        }
                        self.used_answers.insert(q.question.correct_answer.to_lowercase());
                        if let What::TermFor(di) | What::Meaning(di) = c.what {
                            self.used_answers.insert(self.defs[di].key.clone());
                        }
                        if let What::Gloss { run, .. } = c.what {
                            *per_glossary.entry(run).or_default() += 1;
                        }
                        // Both sentences of a pair are used.
                        if matches!(c.what, What::Pair) {
                            if let Some(other) = self.pair_partner(c.sentence, &all) {
                                self.used_sentences.insert(other);
                                taken_sentences.push(other);
                            }
                            pair_budget -= 1;
                        }
                        self.used_sentences.insert(c.sentence);
                        taken_sentences.push(c.sentence);
                        used_pages.insert(self.sentences[c.sentence].page);
                        *form_count.entry(c.what.form()).or_default() += 1;
                        taken[si] = Some(q);
                        break;
                    }
                }
            }
        }
        let mut out: Vec<(usize, Generated)> =
            taken.into_iter().flatten().map(|q| (self.position_of(&q.source), q)).collect();
        out.sort_by_key(|(p, _)| *p);
        out.into_iter().map(|(_, q)| q).collect()
    }

    fn position_of(&self, source: &str) -> usize {
        self.sentences.iter().position(|s| s.text == source).unwrap_or(usize::MAX)
    }

    fn true_false(&mut self, n: usize) -> Vec<Generated> {
        if n == 0 {
            return Vec::new();
        }
        let all: BTreeSet<String> = self.sentences.iter().map(|s| norm(&s.text)).collect();
        // Which of the n are false: half (the odd one decided by the text), in hash order.
        let n_false = if n % 2 == 1 && self.seed % 2 == 1 { n / 2 + 1 } else { n / 2 };
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|i| mix(self.seed, *i as u64 + 17));
        let falses: BTreeSet<usize> = order.into_iter().take(n_false).collect();
        let mut cands: Vec<(f64, u64, usize)> = self
            .sentences
            .iter()
            .filter(|s| self.gated(s) && s.words() >= 7 && s.words() <= 32 && !self.used_sentences.contains(&s.index))
            .filter(|s| !hedged(s))
            .map(|s| {
                let spans = self.terms.spans(s);
                let best = spans
                    .iter()
                    .map(|sp| self.terms.get(sp.term))
                    .filter(|t| strong_answer(t))
                    .map(Term::tf_quality)
                    .fold(0.5, f64::max);
                (best / 6.0 * lengths_score(s.words()) + self.importance[s.index], self.tie(&s.text), s.index)
            })
            .collect();
        cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let segs = self.segments(n);
        let mut taken: Vec<Option<Generated>> = vec![None; n];
        let mut used_text: BTreeSet<String> = BTreeSet::new();
        let mut taken_sentences: Vec<usize> = self.used_sentences.iter().copied().collect();
        // Pass 0: each segment's best; 1: anywhere; 2: also the sentences a
        // statement question quotes (a short lecture has few others).
        for pass in 0..3 {
            for (si, seg) in segs.iter().enumerate() {
                if taken[si].is_some() {
                    continue;
                }
                let want_false = falses.contains(&si);
                for &(_, _, idx) in &cands {
                    if self.used_sentences.contains(&idx) || (pass == 0 && !(seg.0..seg.1).contains(&idx)) || (pass < 2 && self.quoted.contains(&idx)) {
                        continue;
                    }
                    let s = &self.sentences[idx];
                    if used_text.contains(&norm(&s.text)) || self.near_duplicate(idx, &taken_sentences) {
                        continue;
                    }
                    let (statement, answer, kind) = if want_false {
                        match self.falsify(s, &all, true) {
                            Some((changed, kind)) => (changed, TRUE_FALSE_OPTIONS[1], kind),
                            None => continue,
                        }
                    } else {
                        // A true statement must also be one that could be falsified
                        // (a checkable fact), so both kinds are alike.
                        match self.falsify(s, &all, true) {
                            Some((_, kind)) => (s.text.clone(), TRUE_FALSE_OPTIONS[0], kind),
                            None => continue,
                        }
                    };
                    self.used_sentences.insert(idx);
                    taken_sentences.push(idx);
                    used_text.insert(norm(&s.text));
                    taken[si] = Some(Generated {
                        question: Question {
                            question: format!("True or false: {statement}"),
                            options: TRUE_FALSE_OPTIONS.iter().map(|s| s.to_string()).collect(),
                            correct_answer: answer.to_string(),
                        },
                        kind: QuestionType::TrueFalse,
                        page: s.page,
                        source: s.text.clone(),
                        answer_kind: kind,
                        form: "true_false".to_string(),
                    });
                    break;
                }
            }
        }
        taken.into_iter().flatten().collect()
    }
}

/// A phrase with its last word in the singular (`perfect phylogenies` →
/// `perfect phylogeny`), to tell variants of one term apart.
fn singular(s: &str) -> String {
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

fn starts_with_article(s: &str) -> bool {
    let first = s.split(' ').next().unwrap_or("").to_lowercase();
    matches!(first.as_str(), "a" | "an" | "the" | "one" | "any")
}

fn terms_plural(key: &str) -> bool {
    let w = key.rsplit(' ').next().unwrap_or(key);
    w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") && w.len() > 3
}

/// Word overlap of two sentences (without a model, for near-duplicates).
/// A sentence's words (lower case, hashed, sorted, once each), for
/// [`jaccard`].
fn word_set(text: &str) -> Vec<u64> {
    let mut v: Vec<u64> = text.split_whitespace().map(|w| fnv(w.to_lowercase().as_bytes())).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The share of words two sentences have in common ([`word_set`]s).
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter).max(1) as f64
}

/// A list item that can be an answer: a short phrase of words.
fn item_ok(s: &Sentence) -> bool {
    (1..=5).contains(&s.words())
        && s.text.len() <= 60
        && matches!(s.class, Class::Fragment | Class::Heading | Class::Prose | Class::Dependent)
        && s.text.chars().all(|c| c.is_alphanumeric() || " -’'.,;".contains(c))
}

/// The stem of a list question from its introducing sentence: `The four
/// phases of mitosis are:` → "Which of the following is one of the four
/// phases of mitosis, according to the lecture?"; None when the sentence is
/// not of that shape.
fn list_stem(intro: &Sentence) -> Option<String> {
    let t = intro.text.trim_end_matches(':').trim();
    let ws: Vec<&str> = t.split(' ').collect();
    if ws.len() < 3 || ws.len() > 14 || !intro.text.ends_with(':') {
        return None;
    }
    let low: Vec<String> = ws.iter().map(|w| w.to_lowercase()).collect();
    let verb = low.iter().rposition(|w| matches!(w.as_str(), "are" | "include" | "includes" | "is"))?;
    if verb + 1 != ws.len() && !(verb + 2 == ws.len() && low[verb + 1] == "the following") {
        // `The X are:` / `The X include:` only.
        if verb + 1 != ws.len() {
            return None;
        }
    }
    let subject = &ws[..verb];
    let first = low[0].as_str();
    if !matches!(first, "the" | "there") || subject.len() < 2 {
        return None;
    }
    if subject.iter().any(|w| w.contains(|c: char| !c.is_alphanumeric() && c != '-')) {
        return None;
    }
    let phrase = subject[1..].join(" ");
    if phrase.split(' ').any(|w| matches!(w.to_lowercase().as_str(), "this" | "these" | "following" | "above" | "below")) {
        return None;
    }
    Some(format!("Which of the following is one of the {}, according to the lecture?", phrase.to_lowercase()))
}

#[cfg(test)]
mod tests;
