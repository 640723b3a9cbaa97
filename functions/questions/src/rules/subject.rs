//! A sentence's subject and its verb, for the gate and for negations: a key
//! term or a name followed by its verb (`Gen::subject`), or a noun phrase of
//! one of the shapes lecture prose uses (after `the`, a kind noun, a
//! qualifying phrase, a gerund, an opening phrase and its comma), with
//! whether it is plural.

use std::collections::BTreeSet;

use super::answers::key_term;
use super::gate::hedged;
use super::grammar::{singular, terms_plural, verb_base};
use super::usage::is_name_word;
use super::Gen;
use crate::analysis::prose;
use crate::analysis::terms::{Kind, Span};
use crate::analysis::text::{self, Sentence};
use crate::words::{CATEGORY_NOUNS, COMPLEMENT_OPENERS, HEDGES, KIND_FIRST, KIND_NOUNS, MID_ADVERBS, POINTING, POINTING_MODIFIERS, VERB_BASES, WEAK_MODIFIERS};

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
pub(super) fn common_verb(w: &str, next: &str, plural: bool, nouns: &BTreeSet<String>) -> bool {
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
    pub(super) fn subject(&self, s: &Sentence) -> Option<Span> {
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
    pub(super) fn subject_end(&self, s: &Sentence) -> Option<(usize, bool)> {
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
}
