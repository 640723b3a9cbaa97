//! Which of the lecture's terms make answers (key terms, strong answers for
//! a blank or a swap), and where in a sentence a term may be blanked or
//! swapped so that the sentence still reads as the lecture wrote it.

use crate::analysis::prose;
use crate::analysis::terms::{Kind, Span, Term};
use crate::analysis::text::{self, Sentence};
use crate::words::{CATEGORY_NOUNS, WEAK_MODIFIERS};

/// Whether a term makes a key-term answer: a name, an acronym, a defined
/// term, or a noun phrase the lecture uses often, not a description.
pub(super) fn key_term(t: &Term) -> bool {
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
pub(super) fn np_slot(s: &Sentence, sp: &Span) -> bool {
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
pub(super) fn article_ok(s: &Sentence, sp: &Span, t: &Term, replacement_plural: bool) -> bool {
    t.kind != Kind::Concept || replacement_plural || determiner_before(s, sp)
}

/// Whether a term is a strong enough answer for a blank or a swap: a name,
/// an acronym, a number, a term the lecture defines, or a phrase of several
/// words it uses repeatedly; never a lone common word (`procedure`,
/// `search`) or a gerund.
pub(super) fn strong_answer(t: &Term) -> bool {
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
