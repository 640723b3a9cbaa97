//! From the model's facts to candidates of several forms. One fact gives:
//!
//! - `question`: the model's own question, its answer and wrong answers
//!   (multiple choice), only when it wrote one: the schema asks for none;
//! - `cloze`: the statement with its answer blanked, the same options (multiple choice);
//! - `true_false`, keyed True: the statement;
//! - `true_false`, keyed False: the statement with its answer replaced by one
//!   of the wrong answers — false through a changed fact, the sentence
//!   otherwise the true one's (never an inserted "not").
//!
//! All of a fact's candidates share its id: the selector asks about a fact once.

use crate::analysis::text::fnv;
use crate::candidate::{Candidate, Grounding, Origin};
use crate::lexicon::{self, content_stems, coverage, words};
use crate::passages::Passage;
use crate::priors;
use crate::QuestionType;

use super::Item;

/// False variants made per fact (each with another wrong answer).
const FALSE_VARIANTS: usize = 2;

/// The candidates of one passage's facts.
pub fn candidates(items: &[Item], passage: &Passage, model: &str) -> Vec<Candidate> {
    let origin = Origin::Llm { model: model.to_string() };
    let mut out = Vec::new();
    for item in items {
        let statement = sentence(&without_pointers(&item.statement));
        let item = &Item { question: without_pointers(&item.question), ..item.clone() };
        let fact = fnv(lexicon::norm_option(&statement).as_bytes());
        let grounding = Grounding {
            page: passage.page,
            passage: passage.text.clone(),
            sentence: closest_sentence(&passage.texts, &statement),
            position: passage.position,
        };
        let answer_kind = kind_of(&item.answer);
        let found = find_word_span(&statement, &item.answer);
        let base = Candidate {
            kind: QuestionType::MultipleChoice,
            form: "question".into(),
            question: item.question.clone(),
            answer: item.answer.clone(),
            distractors: item.distractors.clone(),
            statement: statement.clone(),
            answer_kind: answer_kind.clone(),
            grounding,
            origin: origin.clone(),
            fact,
            prior: priors::LLM_QUESTION_PRIOR,
            fixed_options: None,
        };
        if let Some((at, len)) = found {
            out.push(Candidate { form: "cloze".into(), question: cloze(&statement, at, len), prior: priors::LLM_CLOZE_PRIOR, ..base.clone() });
        }
        out.push(Candidate {
            kind: QuestionType::TrueFalse,
            form: "true_false".into(),
            question: format!("True or false: {statement}"),
            answer: "True".into(),
            distractors: Vec::new(),
            answer_kind: "statement".into(),
            prior: priors::LLM_STATEMENT,
            ..base.clone()
        });
        if let Some((at, len)) = found {
            for d in item.distractors.iter().filter(|d| !d.trim().is_empty()).take(FALSE_VARIANTS) {
                let changed = swap(&statement, at, len, d);
                if changed != statement {
                    out.push(Candidate {
                        kind: QuestionType::TrueFalse,
                        form: "true_false".into(),
                        question: format!("True or false: {changed}"),
                        answer: "False".into(),
                        distractors: Vec::new(),
                        answer_kind: answer_kind.clone(),
                        prior: priors::LLM_STATEMENT,
                        ..base.clone()
                    });
                }
            }
        }
        // The model's own question, when it wrote one (the schema asks for none).
        if !base.question.is_empty() {
            out.push(base);
        }
    }
    out
}

/// The cloze of `statement` with its bytes `at..at + len` (the answer) blanked.
pub fn cloze(statement: &str, at: usize, len: usize) -> String {
    format!("Fill in the blank: {}_____{}", &statement[..at], &statement[at + len..])
}

/// `s` without the phrases a model adds that point at its passage
/// ("According to the passage, …", "… mentioned in the text?").
fn without_pointers(s: &str) -> String {
    let mut t = s.trim().to_string();
    for lead in ["according to the passage,", "according to the text,", "according to the lecture,", "in the passage,", "in the text,", "based on the passage,", "based on the text,"] {
        // By bytes (the phrases are ASCII): a curly quote at the cut is no char boundary.
        if t.len() > lead.len() && t.as_bytes()[..lead.len()].eq_ignore_ascii_case(lead.as_bytes()) {
            t = capitalize(t[lead.len()..].trim_start());
        }
    }
    for tail in [", according to the passage", " according to the passage", ", according to the text", " according to the text", " in the passage", " in the text", " mentioned in the passage"] {
        for end in ["?", "."] {
            let with = format!("{tail}{end}");
            if t.len() >= with.len() && t.as_bytes()[t.len() - with.len()..].eq_ignore_ascii_case(with.as_bytes()) {
                t = format!("{}{end}", &t[..t.len() - with.len()]);
            }
        }
    }
    t
}

/// A sentence: trimmed, first letter capital, a full stop at the end.
fn sentence(s: &str) -> String {
    let t = s.trim().trim_end_matches([' ', ';', ',', ':']);
    let mut out = capitalize(t);
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Byte span of `needle` in `hay` as whole words, ignoring case.
pub fn find_word_span(hay: &str, needle: &str) -> Option<(usize, usize)> {
    let n = needle.trim().trim_end_matches('.');
    if n.is_empty() {
        return None;
    }
    let lower_hay = hay.to_lowercase();
    let lower_n = n.to_lowercase();
    if lower_hay.len() != hay.len() {
        // Case folding changed byte lengths: only an exact match is safe.
        return hay.find(n).map(|i| (i, n.len()));
    }
    let mut from = 0;
    while let Some(k) = lower_hay[from..].find(&lower_n) {
        let i = from + k;
        let before = hay[..i].chars().next_back();
        let after = hay[i + n.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return Some((i, n.len()));
        }
        from = i + lower_n.len().max(1);
    }
    None
}

/// `statement` with the span replaced by `with` (capital first letter at the
/// start, the article before it agreeing).
pub fn swap(statement: &str, at: usize, len: usize, with: &str) -> String {
    let with = with.trim().trim_end_matches('.');
    let mut before = statement[..at].to_string();
    let after = &statement[at + len..];
    let inserted = if at == 0 { capitalize(with) } else { with.to_string() };
    // "a" / "an" before the new words.
    let trimmed = before.trim_end();
    let (stem, article) = match trimmed.rsplit_once(' ') {
        Some((s, a)) => (format!("{s} "), a),
        None => (String::new(), trimmed),
    };
    let vowel = inserted.chars().next().is_some_and(|c| "aeiouAEIOU".contains(c));
    match article {
        "a" if vowel => before = format!("{stem}an "),
        "an" if !vowel => before = format!("{stem}a "),
        "A" if vowel => before = format!("{stem}An "),
        "An" if !vowel => before = format!("{stem}A "),
        _ => {}
    }
    format!("{before}{inserted}{after}")
}

/// The passage sentence that states most of `statement`.
fn closest_sentence(texts: &[String], statement: &str) -> String {
    let claim = content_stems(statement);
    texts
        .iter()
        .map(|t| {
            let set = content_stems(t).into_iter().collect();
            (coverage(&claim, &set), t)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(c, _)| *c > 0.0)
        .map(|(_, t)| t.clone())
        .unwrap_or_default()
}

fn kind_of(answer: &str) -> String {
    let ws = words(answer);
    if ws.iter().any(|w| lexicon::is_number(w)) {
        "number"
    } else if answer.split_whitespace().all(|w| w.chars().next().is_some_and(|c| c.is_uppercase())) {
        "name"
    } else {
        "term"
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage() -> Passage {
        Passage {
            page: 4,
            title: "Comments".into(),
            sentences: vec![7, 8],
            texts: vec![
                "When LaTeX encounters a % character, it ignores the rest of the line.".into(),
                "For longer comments you could use the comment environment provided by the verbatim package.".into(),
            ],
            text: "When LaTeX encounters a % character, it ignores the rest of the line. For longer comments you could use the comment environment provided by the verbatim package.".into(),
            words: 30,
            position: 0.2,
            score: 1.0,
        }
    }

    #[test]
    fn one_fact_gives_four_forms_that_share_its_id() {
        let item = Item {
            statement: "the comment environment is provided by the verbatim package".into(),
            question: "Which package provides the comment environment?".into(),
            answer: "verbatim package".into(),
            distractors: vec!["graphicx package".into(), "amsmath package".into(), "hyperref package".into(), "url package".into()],
        };
        let cs = candidates(&[item], &passage(), "qwen");
        let forms: Vec<(&str, &str)> = cs.iter().map(|c| (c.form.as_str(), c.answer.as_str())).collect();
        assert_eq!(
            forms,
            [("cloze", "verbatim package"), ("true_false", "True"), ("true_false", "False"), ("true_false", "False"), ("question", "verbatim package")]
        );
        assert!(cs.iter().all(|c| c.fact == cs[0].fact && c.grounding.page == 4));
        assert_eq!(cs[0].question, "Fill in the blank: The comment environment is provided by the _____.");
        assert_eq!(cs[1].question, "True or false: The comment environment is provided by the verbatim package.");
        assert_eq!(cs[2].question, "True or false: The comment environment is provided by the graphicx package.");
        assert_eq!(format!("True or false: {}", cs[2].statement), cs[1].question, "a false item keeps the true statement it was made from");
        assert_eq!(cs[4].grounding.sentence, passage().texts[1]);
        assert_eq!(cs[4].origin, Origin::Llm { model: "qwen".into() });
        // The model's multiple choice ranks below the rule-based source's.
        assert!(cs.iter().filter(|c| c.kind == QuestionType::MultipleChoice).all(|c| c.prior < priors::rules("cloze", "")));
    }

    #[test]
    fn a_fact_without_a_question_is_asked_as_a_cloze_and_statements() {
        let item = Item {
            statement: "The comment environment is provided by the verbatim package.".into(),
            question: String::new(),
            answer: "verbatim package".into(),
            distractors: vec!["graphicx package".into(), "amsmath package".into(), "hyperref package".into()],
        };
        assert_eq!(item.asked(), "Fill in the blank: The comment environment is provided by the _____.");
        let forms: Vec<String> = candidates(&[item], &passage(), "m").into_iter().map(|c| format!("{}/{}", c.form, c.answer)).collect();
        assert_eq!(forms, ["cloze/verbatim package", "true_false/True", "true_false/False", "true_false/False"]);
    }

    #[test]
    fn phrases_pointing_at_the_passage_are_taken_out() {
        assert_eq!(without_pointers("According to the passage, which package provides it?"), "Which package provides it?");
        assert_eq!(without_pointers("Which package is mentioned in the passage?"), "Which package is mentioned?");
        assert_eq!(without_pointers("Which tool builds packages, according to the text?"), "Which tool builds packages?");
        assert_eq!(without_pointers("What does the passage imply?"), "What does the passage imply?");
        // Curly quotes and accents where a phrase would be cut: no panic (a
        // model's answer on a lab guide crashed the writer here).
        let s = "The ‘vars’ section above contains variables that you can change if you’d like.";
        assert_eq!(without_pointers(s), s);
        assert_eq!(without_pointers("Où ‘é’ est-il défini dans le texte ?"), "Où ‘é’ est-il défini dans le texte ?");
        assert_eq!(without_pointers("‘é’"), "‘é’");
        assert_eq!(without_pointers("Which file is named ‘vars’, according to the text?"), "Which file is named ‘vars’?");
    }

    #[test]
    fn spans_are_whole_words_and_swaps_fix_articles() {
        assert_eq!(find_word_span("R is a language, not Rust.", "r"), Some((0, 1)));
        assert_eq!(find_word_span("Rust is fast.", "R"), None);
        assert_eq!(find_word_span("Use the % sign.", "%"), Some((8, 1)));
        let s = "A mitochondrion releases energy.";
        let (at, len) = find_word_span(s, "mitochondrion").unwrap();
        assert_eq!(swap(s, at, len, "organelle"), "An organelle releases energy.");
        let s = "Energy comes from an organelle.";
        let (at, len) = find_word_span(s, "organelle").unwrap();
        assert_eq!(swap(s, at, len, "nucleus"), "Energy comes from a nucleus.");
        let s = "mitochondria release energy.";
        assert_eq!(swap(s, 0, 12, "ribosomes"), "Ribosomes release energy.");
    }

    #[test]
    fn an_answer_missing_from_its_statement_gives_no_cloze_and_no_false_item() {
        let item = Item {
            statement: "LaTeX ignores the rest of a line after a percent sign.".into(),
            question: "Which character starts a comment in LaTeX?".into(),
            answer: "%".into(),
            distractors: vec!["#".into(), "&".into(), "$".into()],
        };
        let forms: Vec<String> = candidates(&[item], &passage(), "m").into_iter().map(|c| format!("{}/{}", c.form, c.answer)).collect();
        assert_eq!(forms, ["true_false/True", "question/%"]);
    }
}
