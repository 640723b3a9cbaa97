//! Tests of the verifier, one failure a strict teacher names per test.

use super::*;
use crate::candidate::{Grounding, Origin};

const PASSAGE: &str = "When LaTeX encounters a % character while processing an input file, it ignores the rest of the present line. \
This can be used to write notes into the input file, which will not show up in the printed version. \
For longer comments you could use the comment environment provided by the verbatim package.";

fn lecture() -> Lecture {
    let mut s: Vec<String> = PASSAGE.split(". ").map(|x| format!("{}.", x.trim_end_matches('.'))).collect();
    s.push("The graphicx package includes pictures in a document.".into());
    s.push("Tables are typeset with the tabular environment.".into());
    Lecture::new(s, None)
}

fn mcq(question: &str, answer: &str, distractors: &[&str], statement: &str) -> Candidate {
    Candidate {
        kind: QuestionType::MultipleChoice,
        form: "question".into(),
        question: question.into(),
        answer: answer.into(),
        distractors: distractors.iter().map(|d| d.to_string()).collect(),
        statement: statement.into(),
        answer_kind: "term".into(),
        grounding: Grounding { page: 3, passage: PASSAGE.into(), sentence: String::new(), position: 0.1 },
        origin: Origin::Llm { model: "m".into() },
        fact: 1,
        prior: 0.7,
        fixed_options: None,
    }
}

fn tf(statement_shown: &str, answer: &str, true_statement: &str) -> Candidate {
    Candidate {
        kind: QuestionType::TrueFalse,
        form: "true_false".into(),
        question: statement_shown.into(),
        answer: answer.into(),
        distractors: vec![],
        statement: true_statement.into(),
        ..mcq("x", "x", &[], "")
    }
}

/// Why `v` refuses its candidate (as never usable, or as mendable).
fn rejected(v: &Verdict) -> String {
    match v.refusal() {
        Some(reason) => reason.to_string(),
        None => panic!("expected a rejection, got {v:?}"),
    }
}

#[test]
fn a_mendable_fault_keeps_the_candidate_for_the_last_resort_a_wrong_key_never() {
    let lecture = lecture();
    // A pointing phrase a teacher deletes: every other check passed.
    let mut c = mcq(
        "Which package provides the comment environment mentioned in the passage?",
        "verbatim",
        &["fancyhdr", "geometry", "hyperref", "babel"],
        STATEMENT,
    );
    let v = verify(&mut c, &lecture, &Settings::new(4));
    assert!(matches!(v, Verdict::Mendable { .. }), "{v:?}");
    assert!(v.is_rejected(), "never picked before the last resort");
    assert_eq!(c.distractors.len(), 3, "its distractors are chosen: {:?}", c.distractors);
    // A key the passage does not hold is never used.
    let mut c = mcq("Which package provides the comment environment?", "listings", &["fancyhdr", "geometry", "hyperref"], STATEMENT);
    let v = verify(&mut c, &lecture, &Settings::new(4));
    assert!(matches!(v, Verdict::Rejected { .. }), "{v:?}");
    assert!(!editable("the number 12 is not in its passage") && !editable("the false statement is the true one"));
    assert!(editable("the question points at something the student cannot see (\"this lecture\")"));
}

const STATEMENT: &str = "The comment environment is provided by the verbatim package.";

#[test]
fn a_grounded_question_with_good_distractors_is_verified_and_keeps_the_best_three() {
    let mut c = mcq(
        "Which package provides the comment environment for longer comments?",
        "verbatim package",
        &["graphicx package", "amsmath package", "hyperref package", "all of the above"],
        STATEMENT,
    );
    let v = verify(&mut c, &lecture(), &Settings::new(4));
    assert!(matches!(v, Verdict::Verified { .. }), "{v:?}");
    assert_eq!(c.distractors.len(), 3);
    assert!(!c.distractors.iter().any(|d| d.contains("above")), "{:?}", c.distractors);
}

#[test]
fn a_key_the_passage_does_not_hold_is_rejected() {
    let mut c = mcq("Which package provides the comment environment?", "fancyvrb package", &["graphicx package", "amsmath package", "url package"], "The comment environment is provided by the fancyvrb package.");
    assert!(rejected(&verify(&mut c, &lecture(), &Settings::new(4))).contains("passage"));
}

#[test]
fn a_stem_that_gives_the_key_away_is_rejected() {
    let mut c = mcq("The comment environment comes from which verbatim tool?", "verbatim package", &["graphicx package", "amsmath package", "url package"], STATEMENT);
    assert!(rejected(&verify(&mut c, &lecture(), &Settings::new(4))).contains("gives the key away"));
}

#[test]
fn a_stem_pointing_at_the_passage_is_rejected() {
    for q in ["According to the passage, which package provides the comment environment?", "It provides which environment for comments?"] {
        let mut c = mcq(q, "verbatim package", &["graphicx package", "amsmath package", "url package"], STATEMENT);
        let why = rejected(&verify(&mut c, &lecture(), &Settings::new(4)));
        assert!(why.contains("points"), "{q}: {why}");
    }
}

#[test]
fn a_distractor_the_lecture_also_states_is_dropped_and_too_few_left_is_a_rejection() {
    // Another sentence of the lecture says the comment package provides it too.
    let mut sentences: Vec<String> = PASSAGE.split(". ").map(|x| format!("{}.", x.trim_end_matches('.'))).collect();
    sentences.push("The comment environment is also provided by the comment package.".into());
    let l = Lecture::new(sentences, None);
    let mut c = mcq(
        "Which package provides the comment environment for longer comments?",
        "verbatim package",
        &["comment package", "graphicx package", "amsmath package"],
        STATEMENT,
    );
    let why = rejected(&verify(&mut c, &l, &Settings::new(4)));
    assert!(why.contains("may also be correct") && why.contains("comment package"), "{why}");
    // With a fourth distractor, the three good ones remain.
    let mut c = mcq(
        "Which package provides the comment environment for longer comments?",
        "verbatim package",
        &["comment package", "graphicx package", "amsmath package", "hyperref package"],
        STATEMENT,
    );
    assert!(matches!(verify(&mut c, &l, &Settings::new(4)), Verdict::Verified { .. }));
    assert!(!c.distractors.contains(&"comment package".to_string()), "{:?}", c.distractors);
}

#[test]
fn true_false_items_are_false_through_a_fact_never_through_not_alone() {
    let l = lecture();
    let s = Settings::new(4);
    let mut ok = tf(STATEMENT, "True", STATEMENT);
    assert!(matches!(verify(&mut ok, &l, &s), Verdict::Verified { .. }));
    let mut swapped = tf("The comment environment is provided by the graphicx package.", "False", STATEMENT);
    assert!(matches!(verify(&mut swapped, &l, &s), Verdict::Verified { .. }), "{:?}", verify(&mut swapped.clone(), &l, &s));
    let mut negated = tf("The comment environment is not provided by the verbatim package.", "False", STATEMENT);
    match verify(&mut negated, &l, &s) {
        Verdict::Mendable { reason, .. } => assert!(reason.contains("not"), "{reason}"),
        other => panic!("a negation is the last resort, for review only: {other:?}"),
    }
    let mut both = tf("The comment environment is not provided by the graphicx package.", "False", STATEMENT);
    assert!(rejected(&verify(&mut both, &l, &s)).contains("negation"));
    let mut same = tf(STATEMENT, "False", STATEMENT);
    assert!(rejected(&verify(&mut same, &l, &s)).contains("true one"));
    // Swapped for something the lecture states: still true.
    let mut stated = tf("The graphicx package includes pictures in a document.", "False", "The graphicx package includes tables in a document.");
    let why = rejected(&verify(&mut stated, &l, &s));
    assert!(why.contains("may state") || why.contains("passage"), "{why}");
}

#[test]
fn numbers_must_be_in_the_passage() {
    let mut c = tf("LaTeX ignores the rest of the line after 3 percent signs.", "True", "LaTeX ignores the rest of the line after 3 percent signs.");
    assert!(rejected(&verify(&mut c, &lecture(), &Settings::new(4))).contains("number 3"));
}

#[test]
fn a_statement_half_supported_needs_review_and_unsupported_is_rejected() {
    let half = "The verbatim package provides the comment environment for poetry and lyrics in novels.";
    let mut c = tf(half, "True", half);
    assert!(matches!(verify(&mut c, &lecture(), &Settings::new(4)), Verdict::Review { .. }), "{:?}", verify(&mut c.clone(), &lecture(), &Settings::new(4)));
    let none = "Photosynthesis is the process by which green plants make sugar in their chloroplasts.";
    let mut c = tf(none, "True", none);
    let why = rejected(&verify(&mut c, &lecture(), &Settings::new(4)));
    assert!(why.contains("does not state"), "{why}");
}

#[test]
fn options_of_another_kind_or_far_longer_keys_are_refused() {
    // A key that stands out by its length.
    let mut c = mcq(
        "What serves longer notes in LaTeX?",
        "the comment environment provided by the verbatim package",
        &["tabular", "figure", "itemize"],
        STATEMENT,
    );
    let why = rejected(&verify(&mut c, &lecture(), &Settings::new(4)));
    assert!(why.contains("longer") || why.contains("words") || why.contains("distractors"), "{why}");
    // Numbers among names.
    let mut c = mcq("Which package provides the comment environment?", "verbatim package", &["1984", "graphicx package", "amsmath package"], STATEMENT);
    assert!(rejected(&verify(&mut c, &lecture(), &Settings::new(4))).contains("2 good distractors"));
}

#[test]
fn markup_questions_and_all_of_the_above_keys_are_rejected() {
    let mut c = mcq("Which command is \\usepackage{verbatim} for?", "verbatim package", &["a", "b", "c"], STATEMENT);
    assert!(rejected(&verify(&mut c, &lecture(), &Settings::new(4))).contains("markup"));
    let mut c = mcq("Which of these does LaTeX do with a % character?", "All of the above", &["a", "b", "c"], STATEMENT);
    assert!(rejected(&verify(&mut c, &lecture(), &Settings::new(4))).contains("form"));
}

#[test]
fn an_before_a_blank_must_fit_every_option() {
    let mut c = mcq(
        "Fill in the blank: The comment environment is provided by an _____.",
        "verbatim package",
        &["graphicx package", "amsmath package", "url package"],
        STATEMENT,
    );
    assert!(rejected(&verify(&mut c, &lecture(), &Settings::new(4))).contains("before the blank"));
}

#[test]
fn statements_a_model_garbles_are_refused() {
    let l = lecture();
    let s = Settings::new(4);
    for (shown, why) in [
        ("Find the comment environment in the verbatim package.", "instruction"),
        ("You use the comment environment of the verbatim package.", "reader"),
        ("The comment environment in Table 16.2 is provided by the verbatim package.", "part of the document|the number 16.2"),
        ("The comment comment environment is provided by the verbatim package.", "twice"),
        ("Comments: the comment environment is provided by the verbatim package.", "colon"),
        ("The comment environment is provided by the verbatim package and the.", "cut off"),
        ("The comment environment is provided by the verbatim package结果.", "character"),
        ("Each comment in this environment is provided by the verbatim package.", "points back"),
        ("The latter environment is provided by the verbatim package.", "points back"),
        ("The comment environment of the verbatim package is quite convenient.", "hedged"),
        ("In some cases, one might use the comment environment of the verbatim package.", "hedged"),
        ("The verbatim package can help with the comment environment.", "hedged"),
    ] {
        let mut c = tf(&format!("True or false: {shown}"), "True", shown);
        let got = rejected(&verify(&mut c, &l, &s));
        assert!(why.split('|').any(|w| got.contains(w)), "{shown}: {got}");
    }
}

#[test]
fn a_plain_statement_is_no_hedge_and_rather_than_is_no_hedge() {
    assert_eq!(hedge("The comment environment is provided by the verbatim package."), None);
    assert_eq!(hedge("Embellishments span several symbols rather than one."), None);
    assert_eq!(hedge("Most human enzymes work best at about 37 °C."), None);
    assert_eq!(hedge("The range of sizes has rather large jumps.").as_deref(), Some("rather"));
}

#[test]
fn a_negation_in_some_options_only_is_refused() {
    let mut c = mcq(
        "Which package provides the comment environment?",
        "verbatim package",
        &["not the verbatim package", "amsmath package", "url package"],
        STATEMENT,
    );
    let why = rejected(&verify(&mut c, &lecture(), &Settings::new(4)));
    assert!(why.contains("negation") || why.contains("key"), "{why}");
}
