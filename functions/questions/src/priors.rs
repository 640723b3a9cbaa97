//! How good each source's question forms are, as strict blind labellers found
//! them, and the prior every candidate starts with
//! ([`crate::candidate::Candidate::prior`]).
//!
//! The selector ranks verified candidates by their score, and the prior is
//! its first part; the other parts (how much of the statement its passage
//! holds, how close it is in meaning, how good its wrong answers are) judge
//! one candidate, not its form. Candidates of one kind compete for the same
//! places, so there the priors follow the labels: the lecture's own
//! sentences (the rule-based source's true statements) above the model's,
//! the rule-based multiple choice above the model's clozes. Before, the
//! model's true statements ranked above the rules' (0.6 against 0.5),
//! although labellers passed the rules' more than twice as often. Replayed
//! on the model answers of 2026-12-07's run (f9b8bb5) and labelled blind
//! (`strict-2026-12-07f.jsonl`): as many questions usable as written (24 of
//! 200), more usable after a small edit (48 instead of 44); the rules' true
//! statements now asked are not better on every lecture (revtex-auguide's
//! were trivial), so the gain is small.
//!
//! Across kinds the priors decide only which form claims a fact first (an
//! exam asks about a fact once). The model's true and false statements keep
//! one prior: the true/false balance needs both, and a lecture with few
//! facts lost its false statements to true ones when the true ones ranked
//! higher (replayed on 2026-12-07's answers: 15 questions of 20 became 11).
//!
//! The counts are distinct questions of every labelled run of the bench
//! (`bench/exam-quality/labels/strict-2026-12-07*.jsonl`, two labellers per
//! question, the stricter verdict counting): how many were usable as
//! written, of how many labelled.

/// Usable as written, of labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    pub usable: u32,
    pub labelled: u32,
}

impl Measured {
    /// The share usable as written, with one usable and one unusable question
    /// added (a form labelled a few times stays near one half).
    pub fn share(self) -> f64 {
        (self.usable as f64 + 1.0) / (self.labelled as f64 + 2.0)
    }
}

/// The rule-based source's true statements (the lecture's sentences).
pub const RULES_TRUE: Measured = Measured { usable: 14, labelled: 31 };
/// The rule-based source's false statements (an inserted "not" or a swapped term).
pub const RULES_FALSE: Measured = Measured { usable: 1, labelled: 30 };
/// The rule-based source's clozes and glossary questions (the lecture's
/// sentence or definition, wrong answers the lecture's terms of the same kind).
pub const RULES_CHOICE: Measured = Measured { usable: 5, labelled: 11 };
/// The model's true statements.
pub const LLM_TRUE: Measured = Measured { usable: 25, labelled: 130 };
/// The model's false statements (its answer swapped for one of its wrong answers).
pub const LLM_FALSE: Measured = Measured { usable: 9, labelled: 116 };
/// The model's clozes (its statement, its answer blanked, its wrong answers).
pub const LLM_CLOZE: Measured = Measured { usable: 10, labelled: 165 };
/// The model's own questions (the schema no longer asks for them).
pub const LLM_QUESTION: Measured = Measured { usable: 0, labelled: 86 };

/// The model's true and false statements.
pub const LLM_STATEMENT: f64 = 0.6;
/// The model's clozes.
pub const LLM_CLOZE_PRIOR: f64 = 0.5;
/// The model's own questions.
pub const LLM_QUESTION_PRIOR: f64 = 0.45;

/// The true and false statements the rule-based source's multiple choice
/// gives (its sentence, and the sentence with a wrong answer in the key's
/// place): below that multiple choice, so the fact goes to it first.
pub const DERIVED_STATEMENT: f64 = 0.5;

/// The prior of a rule-based question of `form` (`answer` "True" or "False"
/// for a true/false statement).
pub fn rules(form: &str, answer: &str) -> f64 {
    match form {
        "true_false" if answer == "True" => 0.7,
        "true_false" => 0.5,
        "term_for_definition" => 0.65,
        "definition" => 0.55,
        _ => 0.6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_a_kind_the_priors_rank_as_labellers_found_the_forms() {
        let by_prior = |a: f64, b: f64| a.total_cmp(&b);
        // True statements: the lecture's own sentences above the model's.
        assert!(RULES_TRUE.share() > LLM_TRUE.share());
        assert_eq!(by_prior(rules("true_false", "True"), LLM_STATEMENT), RULES_TRUE.share().total_cmp(&LLM_TRUE.share()));
        // False statements: the model's swapped facts above the rules' negations.
        assert!(LLM_FALSE.share() > RULES_FALSE.share() && LLM_STATEMENT > rules("true_false", "False"));
        // Multiple choice: every rule-based form above the model's clozes, its clozes above its own questions.
        assert!(RULES_CHOICE.share() > LLM_CLOZE.share() && LLM_CLOZE.share() > LLM_QUESTION.share());
        for form in ["cloze", "glossary", "term_for_definition", "definition"] {
            assert!(rules(form, "") > LLM_CLOZE_PRIOR, "{form}");
        }
        assert!(LLM_CLOZE_PRIOR > LLM_QUESTION_PRIOR);
        assert_eq!(Measured { usable: 0, labelled: 0 }.share(), 0.5);
    }
}
