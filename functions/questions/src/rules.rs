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
//!
//! The code is laid out by concern. This file holds the entry points, the
//! generator's context (`Gen`) and the ranking of sentences by importance;
//! beside it:
//!
//! - `gate`: which sentences questions may be built on, and why not
//!   (`subject` finds a sentence's subject and its verb, `usage` what the
//!   lecture's own usage says about its words: names, bare and plural nouns,
//!   code words);
//! - `answers`: which terms make answers, and where a term may be blanked or
//!   swapped;
//! - `distractors`: wrong options of the answer's category;
//! - `falsify`: a statement made false (negated, or a number swapped);
//! - `forms`: the question forms, one file each (`forms/cloze.rs`, …);
//! - `pick`: which candidates become the exam's multiple-choice questions,
//!   forms mixed and spread over the lecture;
//! - `grammar`: word forms (singular, verb bases, articles) and rewriting a
//!   sentence with a term replaced.

mod answers;
mod distractors;
mod falsify;
mod forms;
mod gate;
mod grammar;
mod pick;
mod subject;
mod usage;

use std::collections::BTreeSet;

use crate::analysis::{define, glossary, prose, semantic, terms, text};
use crate::{Generation, Request, Stats};
use answers::{key_term, strong_answer};
use define::Definition;
use falsify::Falsified;
use gate::sentence_ok;
use pick::word_set;
use prose::Class;
use semantic::{Embed, Vectors};
use terms::{Kind, Span, Term, Terms};
use text::{fnv, mix, ListGroup, Sentence};
use usage::{bare_nouns, code_words, names_mid, plural_nouns};

/// Sentences embedded for the importance ranking, at most.
const EMBED_SENTENCES: usize = 64;
/// Terms and definitions embedded for the options, at most.
const EMBED_TERMS: usize = 240;

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

/// The generator's context: the analysed lecture, what is worked out once
/// per lecture, and what the exam has used so far. Its methods are spread
/// over the child modules, each with the concern it serves.
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

impl Gen<'_> {
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
}

/// How well a sentence's length suits a question: 10–28 words best.
fn lengths_score(n: usize) -> f64 {
    if (10..=28).contains(&n) {
        1.0
    } else if n < 10 {
        0.7
    } else {
        0.6
    }
}

#[cfg(test)]
mod tests;
