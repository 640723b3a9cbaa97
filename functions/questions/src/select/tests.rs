//! Tests of the selector.

use super::*;
use crate::candidate::{Grounding, Origin};

/// A multiple-choice candidate about fact `n` (distinct words per fact, so
/// no two facts look alike).
fn mcq(n: usize, score: f64, review: bool) -> Checked {
    let w = |k: usize| format!("w{n}x{k}");
    let statement = format!("The {} {} {} the {}.", w(1), w(2), w(3), w(4));
    Checked {
        candidate: Candidate {
            kind: QuestionType::MultipleChoice,
            form: if n % 2 == 0 { "question".into() } else { "cloze".into() },
            question: format!("Which {} does {} {}?", w(5), w(1), w(2)),
            answer: w(4),
            distractors: vec![format!("d{n}a"), format!("d{n}b"), format!("d{n}c")],
            statement: statement.clone(),
            answer_kind: "term".into(),
            grounding: Grounding { page: n + 1, passage: statement.clone(), sentence: statement, position: n as f64 / 40.0 },
            origin: Origin::Llm { model: "m".into() },
            fact: n as u64,
            prior: 0.5,
            fixed_options: None,
        },
        verdict: if review { Verdict::Review { score, reason: "check it".into() } } else { Verdict::Verified { score } },
    }
}

fn tf(n: usize, answer: &str) -> Checked {
    let mut c = mcq(n, 1.0, false);
    c.candidate.kind = QuestionType::TrueFalse;
    c.candidate.form = "true_false".into();
    c.candidate.question = c.candidate.statement.clone();
    c.candidate.answer = answer.into();
    c.candidate.distractors.clear();
    c
}

fn req(n_mcq: usize, n_tfq: usize) -> Request {
    Request { n_mcq, n_tfq, n_options: 4 }
}

#[test]
fn verified_candidates_fill_the_exam_before_those_that_need_review() {
    let mut all: Vec<Checked> = (0..6).map(|n| mcq(n, 1.0 + n as f64 / 10.0, n >= 3)).collect();
    all.push(Checked { verdict: Verdict::Rejected { reason: "no".into() }, ..mcq(9, 9.0, false) });
    let s = select(&all, &req(4, 0), 7, None);
    assert_eq!(s.questions.len(), 4);
    let review: Vec<&Written> = s.questions.iter().filter(|q| q.needs_review.is_some()).collect();
    assert_eq!(review.len(), 1, "three verified, then the best that needs review");
    assert!(s.notes.iter().any(|n| n.contains("1 question could not be verified")), "{:?}", s.notes);
    assert!(!s.questions.iter().any(|q| q.generated.question.question.contains("w9x")), "rejected never used");
    assert!(s.questions.iter().all(|q| q.origin == "llm" && q.model.as_deref() == Some("m")));
}

#[test]
fn a_shortfall_only_when_nothing_is_left_and_it_says_so() {
    let all: Vec<Checked> = (0..2).map(|n| mcq(n, 1.0, false)).collect();
    let s = select(&all, &req(3, 2), 1, None);
    assert_eq!(s.questions.len(), 2);
    assert!(s.notes.iter().any(|n| n.starts_with("2 of 3 multiple-choice")), "{:?}", s.notes);
    assert!(s.notes.iter().any(|n| n.starts_with("0 of 2 true/false")), "{:?}", s.notes);
}

#[test]
fn a_fact_is_asked_once_and_near_duplicates_are_skipped() {
    let a = mcq(1, 2.0, false);
    let mut same_fact = mcq(2, 1.9, false);
    same_fact.candidate.fact = 1;
    let mut duplicate = mcq(3, 1.8, false);
    duplicate.candidate.statement = a.candidate.statement.replace('.', " again.");
    let other = mcq(4, 1.0, false);
    let s = select(&[a, same_fact, duplicate, other], &req(3, 0), 1, None);
    let stems: Vec<&str> = s.questions.iter().map(|q| q.generated.question.question.as_str()).collect();
    assert_eq!(stems.len(), 2, "{stems:?}");
    assert!(stems.iter().any(|q| q.contains("w1x5")) && stems.iter().any(|q| q.contains("w4x5")), "{stems:?}");
}

#[test]
fn keys_are_spread_evenly_over_positions() {
    let all: Vec<Checked> = (0..12).map(|n| mcq(n, 1.0, false)).collect();
    let s = select(&all, &req(12, 0), 42, None);
    let mut at = [0usize; 4];
    for q in &s.questions {
        let qq = &q.generated.question;
        at[qq.options.iter().position(|o| *o == qq.correct_answer).unwrap()] += 1;
        assert_eq!(qq.options.len(), 4);
    }
    assert_eq!(at, [3, 3, 3, 3]);
    assert_eq!(key_positions(6, 4, 1).len(), 6);
}

#[test]
fn half_of_the_true_false_items_are_false_and_spares_are_other_facts() {
    let mut all: Vec<Checked> = Vec::new();
    for n in 0..10 {
        all.push(tf(n, if n < 6 { "True" } else { "False" }));
    }
    let s = select(&all, &req(0, 6), 3, None);
    let falses = s.questions.iter().filter(|q| q.generated.question.correct_answer == "False").count();
    assert_eq!(s.questions.len(), 6);
    assert_eq!(falses, 3);
    assert!(s.questions.iter().all(|q| q.generated.question.options == ["True", "False"]));
    let asked: HashSet<String> = s.questions.iter().map(|q| q.generated.source.clone()).collect();
    assert!(!s.spares.is_empty() && s.spares.iter().all(|q| !asked.contains(&q.generated.source)));
}

#[test]
fn the_exam_is_spread_over_the_lecture() {
    // Twenty candidates in the first tenth of the lecture score best; ten spread over the rest.
    let mut all: Vec<Checked> = (0..20).map(|n| {
        let mut c = mcq(n, 2.0, false);
        c.candidate.grounding.position = 0.005 * n as f64;
        c
    }).collect();
    all.extend((20..30).map(|n| {
        let mut c = mcq(n, 1.5, false);
        c.candidate.grounding.position = 0.1 + 0.09 * (n - 20) as f64;
        c
    }));
    let s = select(&all, &req(10, 0), 5, None);
    let late = s.questions.iter().filter(|q| q.generated.page > 20).count();
    assert!(late >= 4, "questions from the later lecture: {late}");
}

#[test]
fn mendable_candidates_fill_an_exam_only_when_nothing_else_can_and_say_why() {
    let mendable = |n: usize| Checked { verdict: Verdict::Mendable { score: 5.0, reason: "the question points at something the student cannot see (\"here\")".into() }, ..mcq(n, 1.0, false) };
    let mut all: Vec<Checked> = (0..2).map(|n| mcq(n, 1.0, false)).collect();
    all.push(mcq(2, 0.5, true));
    all.extend((3..6).map(mendable));
    all.push(Checked { verdict: Verdict::Rejected { reason: "the number 7 is not in its passage".into() }, ..mcq(7, 9.0, false) });
    // Three asked: the verified two and the one wanting review, none mendable.
    let s = select(&all, &req(3, 0), 3, None);
    assert_eq!(s.questions.len(), 3);
    assert!(s.questions.iter().all(|q| !q.generated.question.question.contains("w3x") && !q.generated.question.question.contains("w4x")));
    // Five asked: two mendable ones fill the rest, marked with their fault.
    let s = select(&all, &req(5, 0), 3, None);
    assert_eq!(s.questions.len(), 5);
    let mended: Vec<&Written> = s.questions.iter().filter(|q| q.needs_review.as_deref().is_some_and(|r| r.contains("points at"))).collect();
    assert_eq!(mended.len(), 2, "{:#?}", s.questions);
    assert!(s.notes.iter().any(|n| n.contains("3 questions could not be verified")), "{:?}", s.notes);
    // Seven asked: six at most, never the rejected one, and the shortfall is said.
    let s = select(&all, &req(7, 0), 3, None);
    assert_eq!(s.questions.len(), 6);
    assert!(!s.questions.iter().any(|q| q.generated.question.question.contains("w7x")));
    assert!(s.notes.iter().any(|n| n.contains("6 of 7 multiple-choice")), "{:?}", s.notes);
    // Spares are verified ones only.
    assert!(s.spares.iter().all(|q| q.needs_review.is_none()));
}

#[test]
fn true_false_places_an_even_split_cannot_fill_go_to_multiple_choice() {
    // Six true statements, one false, plenty of multiple choice: 4 + 4 asked.
    let mut all: Vec<Checked> = (0..6).map(|n| tf(n, "True")).collect();
    all.push(tf(6, "False"));
    all.extend((10..20).map(|n| mcq(n, 1.0, false)));
    let s = select(&all, &req(4, 4), 5, None);
    let count = |kind| s.questions.iter().filter(|q| q.generated.kind == kind).count();
    assert_eq!(s.questions.len(), 8, "the count asked");
    assert_eq!(count(QuestionType::TrueFalse), 3, "two true (half of those asked), one false: {:?}", s.notes);
    assert_eq!(count(QuestionType::MultipleChoice), 5);
    assert!(s.notes.iter().any(|n| n.starts_with("1 of the 4 true/false questions asked are multiple choice")), "{:?}", s.notes);
    // With nothing else to ask, the exam is short rather than give the key
    // away: never two more true statements than false ones.
    let only_tf: Vec<Checked> = (0..6).map(|n| tf(n, "True")).chain([tf(6, "False")]).collect();
    let s = select(&only_tf, &req(0, 4), 5, None);
    assert_eq!(s.questions.len(), 3);
    assert!(s.notes.iter().any(|n| n.contains("2 of the true/false statements are true and 1 false: the lecture gave too few false")), "{:?}", s.notes);
    // An exam of true/false only gets no multiple choice, even when there is some.
    let mixed: Vec<Checked> = only_tf.iter().cloned().chain((10..14).map(|n| mcq(n, 1.0, false))).collect();
    let s = select(&mixed, &req(0, 4), 5, None);
    assert!(s.questions.iter().all(|q| q.generated.kind == QuestionType::TrueFalse) && s.questions.len() == 3, "{:?}", s.notes);
    // Only true statements (a symbol table's lecture): one of them, and the
    // other places to multiple choice.
    let trues: Vec<Checked> = (0..8).map(|n| tf(n, "True")).chain((10..30).map(|n| mcq(n, 1.0, false))).collect();
    let s = select(&trues, &req(12, 8), 5, None);
    assert_eq!((count_of(&s, QuestionType::TrueFalse), count_of(&s, QuestionType::MultipleChoice)), (1, 19), "{:?}", s.notes);
    // And the same the other way round.
    let falses: Vec<Checked> = (0..8).map(|n| tf(n, "False")).chain([tf(8, "True")]).collect();
    let s = select(&falses, &req(0, 8), 5, None);
    let f = s.questions.iter().filter(|q| q.generated.question.correct_answer == "False").count();
    assert_eq!((s.questions.len(), f), (3, 2), "{:?}", s.notes);
}

#[test]
fn an_even_split_says_nothing_of_the_balance_when_only_multiple_choice_is_short() {
    // Six true statements, four false, two multiple-choice questions: 4 + 8 asked.
    let all: Vec<Checked> = (0..6).map(|n| tf(n, "True")).chain((6..10).map(|n| tf(n, "False"))).chain((10..12).map(|n| mcq(n, 1.0, false))).collect();
    let s = select(&all, &req(4, 8), 5, None);
    assert_eq!((count_of(&s, QuestionType::TrueFalse), count_of(&s, QuestionType::MultipleChoice)), (8, 2), "{:?}", s.notes);
    assert!(!s.notes.iter().any(|n| n.contains("would give their key away")), "{:?}", s.notes);
    assert!(s.notes.iter().any(|n| n.contains("2 of 4 multiple-choice questions")), "{:?}", s.notes);
}

fn count_of(s: &Selection, kind: QuestionType) -> usize {
    s.questions.iter().filter(|q| q.generated.kind == kind).count()
}
