//! Key terms and numbers of a lecture, their kinds, and same-kind distractors.

use std::collections::{BTreeMap, HashMap};

use super::text::{is_generic, is_stopword, mix, fnv, Sentence};
use crate::words::{AFTER_COPULA, CONNECTORS, COPULAS, DETERMINERS, REFERENCE_WORDS};

/// What kind of thing a term is; distractors are always of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A lower-case noun phrase (`chloroplast`, `light energy`).
    Concept,
    /// A capitalised name (`Gregor Mendel`, `Krebs Cycle`).
    Name,
    /// `DNA`, `CPU`.
    Acronym,
    Year,
    Percent,
    /// Any other number; its unit (the next word) is kept.
    Number,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Concept => "term",
            Kind::Name => "name",
            Kind::Acronym => "acronym",
            Kind::Year => "year",
            Kind::Percent => "percent",
            Kind::Number => "number",
        }
    }
    pub fn is_number(self) -> bool {
        matches!(self, Kind::Year | Kind::Percent | Kind::Number)
    }
}

#[derive(Debug, Clone)]
pub struct Term {
    /// Lower-case identity (numbers: as written).
    pub key: String,
    /// How options show it.
    pub display: String,
    pub kind: Kind,
    pub freq: u32,
    pub words: usize,
    /// The sentence that defines it, if any.
    pub defined_in: Option<usize>,
    pub first_page: usize,
    pub unit: Option<String>,
    pub value: Option<f64>,
    pub plural: bool,
    noun_evidence: u32,
    /// How many multi-word terms of the lecture share this one's head noun
    /// (`tabular`, `verbatim`, `itemize environment`: 3), itself included.
    pub family: u32,
}

impl Term {
    /// How good an answer this term makes.
    pub fn quality(&self) -> f64 {
        let base = match self.kind {
            Kind::Concept => (1.0 + 0.25 * self.freq.min(6) as f64) * if self.words > 1 { 1.3 } else { 1.0 },
            Kind::Name => 1.8 + if self.words > 1 { 0.4 } else { 0.0 },
            Kind::Acronym => 1.5,
            Kind::Year | Kind::Percent => 2.0,
            Kind::Number => 1.4 + if self.unit.is_some() { 0.4 } else { 0.0 },
        };
        let weak = self.kind == Kind::Concept && self.words == 1 && self.defined_in.is_none();
        base + if self.defined_in.is_some() { 1.5 } else { 0.0 } - if weak { 0.6 } else { 0.0 }
    }

    /// Whether a one-word concept is used as a noun (after an article, at
    /// least twice) and does not look like an adjective, adverb or verb.
    pub fn nounish(&self) -> bool {
        if self.kind != Kind::Concept || self.words > 1 {
            return true;
        }
        let k = self.key.as_str();
        let adjective = ["ly", "ed", "ive", "ic", "al", "ous", "able", "ible", "ful", "less", "ish", "ary", "ant", "ent"]
            .iter()
            .any(|suf| k.ends_with(suf));
        self.noun_evidence >= 2 && !adjective || self.defined_in.is_some()
    }

    /// How good a fact to check in a true/false question.
    pub fn tf_quality(&self) -> f64 {
        self.quality() + if self.kind.is_number() { 2.5 } else { 0.0 }
    }
}

/// An occurrence of a term in a sentence: tokens `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub term: usize,
    pub first: usize,
    pub last: usize,
}

/// The lecture's vocabulary of answerable terms.
#[derive(Debug, Default)]
pub struct Terms {
    list: Vec<Term>,
    index: HashMap<String, usize>,
    by_kind: BTreeMap<Kind, Vec<usize>>,
    spans: Vec<Vec<Span>>,
}

fn is_plural(word: &str) -> bool {
    let w = word.rsplit(' ').next().unwrap_or(word);
    w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") && w.len() > 3
}

fn lower_initial(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_lowercase)
}

fn upper_initial(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

fn is_acronym(w: &str) -> bool {
    let letters = w.chars().filter(|c| c.is_alphabetic()).count();
    (2..=6).contains(&w.chars().count())
        && letters >= 2
        && w.chars().all(|c| c.is_uppercase() || c.is_ascii_digit())
        && w.chars().next().is_some_and(char::is_alphabetic)
}

fn is_number_token(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_ascii_digit())
        && w.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '%'))
        && w.len() <= 14
}

fn number_value(w: &str) -> Option<f64> {
    w.trim_end_matches('%').replace(',', "").parse().ok()
}

/// Terms come from prose and from the items of lists, never from headings,
/// references, captions, tables, code or boilerplate.
fn usable_for_terms(s: &Sentence) -> bool {
    use super::prose::Class;
    match s.class {
        Class::Prose | Class::Dependent => true,
        Class::Fragment | Class::Heading => s.item,
        _ => false,
    }
}

/// Whether tokens `a..=b` are separated by single spaces only.
fn contiguous(s: &Sentence, a: usize, b: usize) -> bool {
    (a..b).all(|i| s.text[s.toks[i].end..s.toks[i + 1].start].chars().all(|c| c == ' '))
}

struct Builder {
    terms: BTreeMap<(Kind, String), Term>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn add(&mut self, kind: Kind, key: String, display: &str, words: usize, page: usize, defined: Option<usize>, noun: bool) {
        let t = self.terms.entry((kind, key.clone())).or_insert_with(|| Term {
            key: key.clone(),
            display: display.to_string(),
            kind,
            freq: 0,
            words,
            defined_in: None,
            first_page: page,
            unit: None,
            value: None,
            plural: is_plural(&key),
            noun_evidence: 0,
            family: 0,
        });
        t.freq += 1;
        if noun {
            t.noun_evidence += 1;
        }
        if t.defined_in.is_none() {
            t.defined_in = defined;
        }
    }
}

impl Terms {
    /// Collect the terms of a lecture and find them in every sentence.
    pub fn collect(sentences: &[Sentence]) -> Terms {
        // Words the lecture writes in lower case somewhere: a capital on them
        // is only the sentence start.
        let mut lower_seen: HashMap<String, u32> = HashMap::new();
        // Words the lecture capitalises inside a sentence: names.
        let mut upper_mid: HashMap<String, u32> = HashMap::new();
        for s in sentences.iter().filter(|s| usable_for_terms(s)) {
            for i in 0..s.toks.len() {
                let w = s.tok(i);
                if lower_initial(w) {
                    *lower_seen.entry(w.to_string()).or_default() += 1;
                } else if i > 0 && upper_initial(w) {
                    *upper_mid.entry(w.to_string()).or_default() += 1;
                }
            }
        }
        let mut b = Builder { terms: BTreeMap::new() };
        let mut units: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        let mut defined_words: Vec<(String, String, usize, usize, usize)> = Vec::new();
        for s in sentences.iter().filter(|s| usable_for_terms(s)) {
            let n = s.toks.len();
            let low: Vec<String> = (0..n).map(|i| s.tok(i).to_lowercase()).collect();
            // Numbers.
            for i in 0..n {
                let w = s.tok(i);
                if !is_number_token(w) {
                    continue;
                }
                if i > 0 && REFERENCE_WORDS.contains(&low[i - 1].as_str()) {
                    continue;
                }
                // `REVTEX 4.2`, `Python 3.11`: a version, not a fact.
                if i > 0 && w.contains('.') && s.tok(i - 1).chars().next().is_some_and(char::is_uppercase) {
                    continue;
                }
                // `3.` list markers and single digits starting an item are not facts.
                let next = low.get(i + 1).map(String::as_str);
                let kind = if w.ends_with('%') || next == Some("percent") || next == Some("per") {
                    Kind::Percent
                } else if w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()) && (1000..=2100).contains(&w.parse::<u32>().unwrap_or(0)) {
                    Kind::Year
                } else {
                    Kind::Number
                };
                b.add(kind, w.to_string(), w, 1, s.page, None, false);
                if kind == Kind::Number {
                    if let Some(u) = next.filter(|u| u.chars().all(char::is_alphabetic) && !is_stopword(u)) {
                        *units.entry(w.to_string()).or_default().entry(u.to_string()).or_default() += 1;
                    }
                }
            }
            // Capitalised names and acronyms.
            let mut i = 0;
            while i < n {
                let w = s.tok(i);
                if !upper_initial(w) || w.chars().count() < 2 {
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j + 1 < n && contiguous(s, j, j + 1) {
                    let nx = s.tok(j + 1);
                    if upper_initial(nx) && nx.chars().count() >= 2 {
                        j += 1;
                    } else if CONNECTORS.contains(&nx) && j + 2 < n && contiguous(s, j + 1, j + 2) && upper_initial(s.tok(j + 2)) {
                        j += 2;
                    } else {
                        break;
                    }
                }
                let mut a = i;
                // At the sentence start, a capital may only be grammar.
                while a == 0 && a <= j {
                    let lw = low[a].as_str();
                    if is_stopword(lw) || lower_seen.contains_key(lw) || is_generic(lw) || !upper_mid.contains_key(s.tok(a)) {
                        a += 1;
                    } else {
                        break;
                    }
                }
                if a <= j && j - a < 5 {
                    let words = j - a + 1;
                    let display = s.text[s.toks[a].start..s.toks[j].end].to_string();
                    let key = display.to_lowercase();
                    if words == 1 && is_acronym(&display) {
                        b.add(Kind::Acronym, key, &display, 1, s.page, None, false);
                    } else if !(words == 1 && (is_stopword(&key) || is_generic(&key) || lower_seen.contains_key(&key))) {
                        let all_caps_words = (a..=j).all(|k| is_acronym(s.tok(k)) || CONNECTORS.contains(&s.tok(k)));
                        if !all_caps_words {
                            b.add(Kind::Name, key, &display, words, s.page, None, false);
                        }
                    }
                }
                i = j + 1;
            }
            // Lower-case noun phrases (1–3 words).
            for i in 0..n {
                for len in 1..=3usize {
                    let j = i + len - 1;
                    if j >= n || !contiguous(s, i, j) {
                        break;
                    }
                    let ws: Vec<&str> = (i..=j).map(|k| s.tok(k)).collect();
                    if !ws.iter().all(|w| lower_initial(w) && w.chars().all(|c| c.is_alphabetic() || c == '-')) {
                        break;
                    }
                    let first = ws[0];
                    let last = ws[len - 1];
                    if is_stopword(first) || is_stopword(last) {
                        continue;
                    }
                    if len == 3 && ws[1] != "of" && is_stopword(ws[1]) {
                        continue;
                    }
                    if len == 1 && (first.chars().count() < 4 || is_generic(first) || first.ends_with("ly")) {
                        continue;
                    }
                    if len > 1 && (ws.iter().all(|w| is_generic(w)) || last.ends_with("ly") || ws.iter().any(|w| w.chars().count() < 3)) {
                        continue;
                    }
                    // After an article and not followed by another content word
                    // (`a chemical reaction` says nothing about `chemical`).
                    let head = low.get(j + 1).is_none_or(|w| is_stopword(w)) || !contiguous(s, j, j + 1);
                    let noun = i > 0 && DETERMINERS.contains(&low[i - 1].as_str()) && head;
                    let key = ws.join(" ");
                    b.add(Kind::Concept, key.clone(), &key, len, s.page, None, noun);
                }
            }
            // Definitions: `X is a ...`, `called X`, `known as X`, `Long Name (ACR)`.
            let start = usize::from(n > 0 && matches!(low[0].as_str(), "the" | "a" | "an"));
            for k in (start + 1)..n.min(start + 5) {
                if COPULAS.contains(&low[k].as_str()) && low.get(k + 1).is_some_and(|w| AFTER_COPULA.contains(&w.as_str())) {
                    if contiguous(s, start, k) && (start..k).all(|x| !is_stopword(&low[x]) || low[x] == "of") && !is_stopword(&low[k - 1]) {
                        defined_words.push((s.text[s.toks[start].start..s.toks[k - 1].end].to_string(), String::new(), s.index, s.page, k - start));
                    }
                    break;
                }
            }
            for k in 0..n {
                let trigger = match low[k].as_str() {
                    "called" | "termed" | "named" => Some(k + 1),
                    "as" if k > 0 && matches!(low[k - 1].as_str(), "known" | "referred") => Some(k + 1),
                    _ => None,
                };
                let Some(f) = trigger else { continue };
                let mut e = f;
                while e < n && e < f + 3 && !is_stopword(&low[e]) && (e == f || contiguous(s, e - 1, e)) {
                    e += 1;
                }
                if e > f && contiguous(s, f, e - 1) && !is_number_token(s.tok(f)) {
                    defined_words.push((s.text[s.toks[f].start..s.toks[e - 1].end].to_string(), String::new(), s.index, s.page, e - f));
                }
            }
            for k in 0..n {
                let w = s.tok(k);
                let t = s.toks[k];
                if is_acronym(w) && s.text[..t.start].ends_with('(') && s.text[t.end..].starts_with(')') {
                    b.add(Kind::Acronym, w.to_lowercase(), w, 1, s.page, Some(s.index), false);
                }
            }
        }
        // Defined terms take the kind their spelling says.
        for (surface, _, idx, page, words) in defined_words {
            let key = surface.to_lowercase();
            let first = surface.split(' ').next().unwrap_or("");
            let kind = if words == 1 && is_acronym(&surface) {
                Kind::Acronym
            } else if surface.split(' ').skip(1).any(upper_initial)
                || (upper_initial(first) && !lower_seen.contains_key(&first.to_lowercase()) && upper_mid.contains_key(first))
            {
                Kind::Name
            } else {
                Kind::Concept
            };
            let display = if kind == Kind::Concept { key.clone() } else { surface.clone() };
            if words == 1 && (is_generic(&key) || is_stopword(&key)) {
                continue;
            }
            b.add(kind, key, &display, words, page, Some(idx), true);
        }
        // Families: multi-word noun phrases that share a head noun name kinds
        // of one thing (`itemize environment`, `quote environment`, …).
        let mut families: HashMap<String, u32> = HashMap::new();
        for ((kind, key), t) in &b.terms {
            if *kind == Kind::Concept && t.words > 1 && t.noun_evidence >= 1 {
                *families.entry(key.rsplit(' ').next().unwrap_or(key).trim_end_matches('s').to_string()).or_default() += 1;
            }
        }
        // Keep what makes a good answer.
        let mut list: Vec<Term> = Vec::new();
        for ((kind, key), mut t) in b.terms {
            if kind == Kind::Concept && t.words > 1 {
                t.family = families.get(key.rsplit(' ').next().unwrap_or(&key).trim_end_matches('s')).copied().unwrap_or(0);
            }
            let keep = match kind {
                Kind::Concept => {
                    t.defined_in.is_some() || (t.freq >= 2 && t.noun_evidence >= 1) || (t.words > 1 && t.noun_evidence >= 1 && t.family >= 3)
                }
                Kind::Name => t.words > 1 || t.freq >= 2 || t.defined_in.is_some(),
                Kind::Acronym => true,
                Kind::Year | Kind::Percent | Kind::Number => {
                    t.value = number_value(&key);
                    t.value.is_some()
                }
            };
            if kind == Kind::Number {
                t.unit = units.get(&key).and_then(|m| m.iter().max_by_key(|(_, c)| **c).map(|(u, _)| u.clone()));
            }
            if keep {
                list.push(t);
            }
        }
        // A concept and a name with the same key (sentence-start capitals): keep the better.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut kept: Vec<Term> = Vec::new();
        for t in list {
            let k = if t.kind.is_number() { format!("#{}", t.key) } else { t.key.clone() };
            match index.get(&k) {
                Some(&i) => {
                    let old = &mut kept[i];
                    if t.defined_in.is_some() && old.defined_in.is_none() || t.freq > old.freq {
                        *old = t;
                    }
                }
                None => {
                    index.insert(k, kept.len());
                    kept.push(t);
                }
            }
        }
        let mut by_kind: BTreeMap<Kind, Vec<usize>> = BTreeMap::new();
        for (i, t) in kept.iter().enumerate() {
            by_kind.entry(t.kind).or_default().push(i);
        }
        let mut terms = Terms { list: kept, index, by_kind, spans: Vec::new() };
        terms.spans = sentences.iter().map(|s| terms.find_spans(s)).collect();
        terms
    }

    /// The term with this lower-case key (not numbers).
    pub fn lookup(&self, key: &str) -> Option<&Term> {
        self.index.get(key).map(|&i| &self.list[i]).filter(|t| !t.kind.is_number())
    }

    /// Every term.
    pub fn iter(&self) -> impl Iterator<Item = &Term> {
        self.list.iter()
    }

    pub fn get(&self, id: usize) -> &Term {
        &self.list[id]
    }

    pub fn count_words(&self) -> usize {
        self.list.iter().filter(|t| !t.kind.is_number()).count()
    }

    pub fn count_numbers(&self) -> usize {
        self.list.iter().filter(|t| t.kind.is_number()).count()
    }

    /// The terms occurring in a sentence (longest match, no overlaps).
    pub fn spans(&self, s: &Sentence) -> Vec<Span> {
        let all = self.spans.get(s.index).cloned().unwrap_or_default();
        if s.offset == 0 {
            return all;
        }
        // A clause view: its spans, counted from its first word.
        all.into_iter()
            .filter(|sp| sp.first >= s.offset)
            .map(|sp| Span { term: sp.term, first: sp.first - s.offset, last: sp.last - s.offset })
            .collect()
    }

    fn find_spans(&self, s: &Sentence) -> Vec<Span> {
        let n = s.toks.len();
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            let w = s.tok(i);
            if is_number_token(w) {
                if let Some(&id) = self.index.get(&format!("#{w}")) {
                    if i == 0 || !REFERENCE_WORDS.contains(&s.tok(i - 1).to_lowercase().as_str()) {
                        out.push(Span { term: id, first: i, last: i });
                    }
                }
                i += 1;
                continue;
            }
            let mut found = None;
            for len in (1..=5usize).rev() {
                let j = i + len - 1;
                if j >= n || !contiguous(s, i, j) {
                    continue;
                }
                let key = s.text[s.toks[i].start..s.toks[j].end].to_lowercase();
                if let Some(&id) = self.index.get(&key) {
                    let t = &self.list[id];
                    // Names and acronyms must be written with their capitals.
                    let surface = &s.text[s.toks[i].start..s.toks[j].end];
                    let ok = match t.kind {
                        Kind::Acronym => surface == t.display,
                        Kind::Name => upper_initial(surface),
                        _ => true,
                    };
                    if ok {
                        found = Some(Span { term: id, first: i, last: j });
                        break;
                    }
                }
            }
            match found {
                Some(sp) => {
                    out.push(sp);
                    i = sp.last + 1;
                }
                None => i += 1,
            }
        }
        out
    }

    /// Up to `k` distractors for `t`: same kind, not in the sentence, not a
    /// part or an extension of the answer or of each other, ranked by
    /// likeness (word count, length, plurality, unit, nearby pages).
    pub fn distractors(&self, t: &Term, k: usize, sentence_lower: &str, page: usize, tie: u64, exclude: &[String]) -> Vec<String> {
        let Some(pool) = self.by_kind.get(&t.kind) else { return Vec::new() };
        let len = t.display.chars().count() as f64;
        let mut ranked: Vec<(f64, u64, usize)> = Vec::new();
        for &id in pool {
            let o = &self.list[id];
            if o.key == t.key || related(t, o) || exclude.iter().any(|e| e == &o.key) {
                continue;
            }
            if t.kind.is_number() {
                if o.value == t.value || contains_token(sentence_lower, &o.key) {
                    continue;
                }
            } else if sentence_lower.contains(&o.key) {
                continue;
            }
            let olen = o.display.chars().count() as f64;
            let mut cost = (len.max(olen) / len.min(olen).max(1.0) - 1.0) * 2.0;
            cost += (t.words as f64 - o.words as f64).abs() * 2.0;
            if t.plural != o.plural && !t.kind.is_number() {
                cost += 1.5;
            }
            if t.kind == Kind::Number && t.unit != o.unit {
                cost += 2.0;
            }
            if t.kind == Kind::Year {
                if let (Some(a), Some(b)) = (t.value, o.value) {
                    cost += ((a - b).abs() / 100.0).min(2.0);
                }
            }
            if o.first_page.abs_diff(page) <= 2 {
                cost -= 0.3;
            }
            if !t.kind.is_number() && common_suffix(&t.key, &o.key) >= 3 {
                cost -= 0.5;
            }
            cost -= 0.1 * o.freq.min(5) as f64;
            if o.defined_in.is_some() {
                cost -= 0.3;
            }
            ranked.push((cost, mix(tie, fnv(o.key.as_bytes())), id));
        }
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut out: Vec<String> = Vec::new();
        let mut chosen: Vec<usize> = Vec::new();
        for (_, _, id) in ranked {
            let o = &self.list[id];
            if chosen.iter().any(|&c| related(&self.list[c], o) || self.list[c].display.eq_ignore_ascii_case(&o.display)) {
                continue;
            }
            chosen.push(id);
            out.push(o.display.clone());
            if out.len() == k {
                break;
            }
        }
        out
    }

    /// Distractors for a list item: terms or names of similar length that
    /// are not in the list.
    pub fn list_distractors(&self, answer: &str, words: usize, k: usize, listed: &[String], tie: u64) -> Vec<String> {
        let a = answer.to_lowercase();
        let mut ranked: Vec<(f64, u64, usize)> = Vec::new();
        for (id, o) in self.list.iter().enumerate() {
            if o.kind.is_number() || o.kind == Kind::Acronym {
                continue;
            }
            if listed.iter().any(|l| l.contains(&o.key) || o.key.contains(l.as_str())) || a.contains(&o.key) || o.key.contains(&a) {
                continue;
            }
            let cost = (words as f64 - o.words as f64).abs() * 2.0
                + (answer.len() as f64 - o.display.len() as f64).abs() / answer.len().max(1) as f64
                - 0.1 * o.freq.min(5) as f64
                - if common_suffix(&a, &o.key) >= 3 { 0.8 } else { 0.0 }
                - if o.defined_in.is_some() { 0.3 } else { 0.0 };
            ranked.push((cost, mix(tie, fnv(o.key.as_bytes())), id));
        }
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut out: Vec<String> = Vec::new();
        let mut chosen: Vec<usize> = Vec::new();
        for (_, _, id) in ranked {
            let o = &self.list[id];
            if chosen.iter().any(|&c| related(&self.list[c], o)) {
                continue;
            }
            chosen.push(id);
            out.push(o.display.clone());
            if out.len() == k {
                break;
            }
        }
        out
    }
}

/// Whether one term's key holds the other's (`class`, `class option`):
/// never distractors for each other.
fn related(a: &Term, b: &Term) -> bool {
    a.key.contains(&b.key) || b.key.contains(&a.key)
}

/// Length of the common ending of two words (`mitosis`/`meiosis`: 4).
fn common_suffix(a: &str, b: &str) -> usize {
    a.chars().rev().zip(b.chars().rev()).take_while(|(x, y)| x == y).count()
}

/// Whether `needle` occurs in `hay` as a whole token (numbers: `19` is not in `1945`).
fn contains_token(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric()) && !after.is_some_and(|c| c.is_alphanumeric())
    })
}
