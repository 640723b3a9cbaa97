//! Item analysis and CSV on small examples computed by hand (the working is
//! in the comments).

use super::*;
use crate::exam::Question;
use crate::grading::{percentage, Detail};

fn q(text: &str, options: &[&str], correct: &str) -> Question {
    Question { question: text.into(), options: options.iter().map(|s| s.to_string()).collect(), correct_answer: correct.into() }
}

/// An attempt answering `exam` with `answers` (None: the attempt did not have that question).
fn att(student: &str, exam: &[Question], answers: &[Option<&str>]) -> Attempt {
    let details: Vec<Detail> = exam
        .iter()
        .zip(answers)
        .filter_map(|(q, a)| {
            a.map(|a| Detail {
                question: q.question.clone(),
                user_answer: a.to_string(),
                correct_answer: q.correct_answer.clone(),
                is_correct: a == q.correct_answer,
            })
        })
        .collect();
    let score = details.iter().filter(|d| d.is_correct).count() as u32;
    let pct = percentage(score, details.len() as u32);
    Attempt {
        student: student.into(),
        attempt_id: format!("id-{student}"),
        submitted_at: "2026-12-06T06:00:00Z".into(),
        score,
        percentage: pct,
        result: if pct >= 50 { "passed" } else { "failed" }.into(),
        details,
    }
}

fn picked(s: &ItemStats) -> Vec<usize> {
    s.options.iter().map(|o| o.picked).collect()
}

#[test]
fn five_attempts_by_hand() {
    let exam = vec![q("Q one", &["a", "b", "c"], "a"), q("Q two", &["True", "False"], "True"), q("Q three", &["x", "y"], "y")];
    // score: A 3, B 2, C 2, D 1, E 1.
    let attempts = vec![
        att("A", &exam, &[Some("a"), Some("True"), Some("y")]),
        att("B", &exam, &[Some("a"), Some("True"), Some("x")]),
        att("C", &exam, &[Some("b"), Some("True"), Some("y")]),
        att("D", &exam, &[Some("c"), Some("True"), Some("x")]),
        att("E", &exam, &[Some("b"), Some("False"), Some("y")]),
    ];
    let a = item_analysis(&exam, &attempts);
    assert_eq!(a.attempts, 5);
    // g = round(0.27·5 = 1.35) = 1: the top group is A; the bottom is one place shared by D and E (score 1).
    assert_eq!(a.group_size, Some(1));
    // (100 + 66 + 66 + 33 + 33) / 5
    assert_eq!(a.mean_percentage, Some(59.6));

    let q1 = &a.questions[0];
    assert_eq!((q1.number, q1.kind, q1.attempts, q1.correct), (1, "multiple_choice", 5, 2));
    assert_eq!(q1.facility, Some(0.4));
    // upper: A right = 1; lower: D, E both wrong = 0.
    assert_eq!((q1.upper_correct, q1.lower_correct, q1.discrimination), (Some(1.0), Some(0.0), Some(1.0)));
    assert_eq!(picked(q1), vec![2, 2, 1]);
    assert_eq!(q1.options.iter().map(|o| o.share).collect::<Vec<_>>(), vec![Some(0.4), Some(0.4), Some(0.2)]);
    assert_eq!(q1.options.iter().map(|o| o.correct).collect::<Vec<_>>(), vec![true, false, false]);
    assert!(q1.flags.is_empty());

    let q2 = &a.questions[1];
    assert_eq!(q2.kind, "true_false");
    assert_eq!(q2.facility, Some(0.8));
    // lower: D right, E wrong, each with weight 1/2 = 0.5.
    assert_eq!((q2.upper_correct, q2.lower_correct, q2.discrimination), (Some(1.0), Some(0.5), Some(0.5)));
    assert_eq!(picked(q2), vec![4, 1]);

    let q3 = &a.questions[2];
    assert_eq!(q3.facility, Some(0.6));
    // lower: D wrong, E right = 0.5.
    assert_eq!((q3.upper_correct, q3.lower_correct, q3.discrimination), (Some(1.0), Some(0.5), Some(0.5)));
}

#[test]
fn ties_share_the_group_places_and_negative_discrimination_is_flagged() {
    let exam = vec![q("tf", &["True", "False"], "True"), q("mc", &["p", "q", "r"], "p"), q("mc2", &["s", "t"], "s")];
    // score: R1 2, R2 1, R3 1, R4 1.
    let attempts = vec![
        att("R1", &exam, &[Some("False"), Some("p"), Some("s")]),
        att("R2", &exam, &[Some("False"), Some("p"), Some("t")]),
        att("R3", &exam, &[Some("True"), Some("q"), Some("t")]),
        att("R4", &exam, &[Some("True"), Some("r"), Some("t")]),
    ];
    let a = item_analysis(&exam, &attempts);
    // g = round(1.08) = 1: upper R1; lower one place shared by R2, R3, R4 (weight 1/3 each).
    assert_eq!(a.group_size, Some(1));
    let tf = &a.questions[0];
    assert_eq!(tf.facility, Some(0.5));
    // upper 0; lower (0 + 1 + 1)/3 = 0.6667.
    assert_eq!((tf.upper_correct, tf.lower_correct, tf.discrimination), (Some(0.0), Some(0.6667), Some(-0.6667)));
    assert_eq!(tf.flags, vec![Flag::NegativeDiscrimination]);
    let mc = &a.questions[1];
    // upper 1; lower (1 + 0 + 0)/3.
    assert_eq!((mc.facility, mc.discrimination), (Some(0.5), Some(0.6667)));
    assert_eq!(picked(mc), vec![2, 1, 1]);
    let mc2 = &a.questions[2];
    assert_eq!((mc2.facility, mc2.discrimination), (Some(0.25), Some(1.0)));
    assert!(mc2.flags.is_empty());

    // The same attempts in any order give the same analysis (ties are not broken by arrival).
    let mut reversed = attempts.clone();
    reversed.reverse();
    assert_eq!(item_analysis(&exam, &reversed).questions, a.questions);

    // Everyone tied: both groups are the whole class on average, so the index is 0.
    let tied = vec![
        att("T1", &exam[..2], &[Some("True"), Some("q")]),
        att("T2", &exam[..2], &[Some("False"), Some("p")]),
        att("T3", &exam[..2], &[Some("True"), Some("r")]),
        att("T4", &exam[..2], &[Some("False"), Some("p")]),
    ];
    let t = item_analysis(&exam[..2], &tied);
    assert_eq!(t.questions[0].discrimination, Some(0.0));
    assert_eq!(t.questions[1].discrimination, Some(0.0));
    assert!(t.questions.iter().all(|q| q.flags.is_empty()));
}

#[test]
fn fewer_than_four_attempts_have_no_discrimination_but_facility_flags() {
    let exam = vec![q("easy", &["True", "False"], "True"), q("hard", &["a", "b"], "a")];
    let attempts = vec![
        att("s1", &exam, &[Some("True"), Some("b")]),
        att("s2", &exam, &[Some("True"), Some("b")]),
        att("s3", &exam, &[Some("True"), Some("b")]),
    ];
    let a = item_analysis(&exam, &attempts);
    assert_eq!((a.attempts, a.group_size), (3, None));
    let (easy, hard) = (&a.questions[0], &a.questions[1]);
    assert_eq!((easy.facility, easy.discrimination, easy.upper_correct), (Some(1.0), None, None));
    assert_eq!(easy.flags, vec![Flag::TooEasy]);
    assert_eq!((hard.facility, hard.discrimination), (Some(0.0), None));
    assert_eq!(hard.flags, vec![Flag::TooHard]);
    assert_eq!(picked(hard), vec![0, 3], "a distractor picked by everyone");

    let none = item_analysis(&exam, &[]);
    assert_eq!((none.attempts, none.group_size, none.mean_percentage), (0, None, None));
    assert!(none.questions.iter().all(|q| q.facility.is_none() && q.flags.is_empty() && q.options[0].share.is_none()));
}

#[test]
fn thresholds_are_strict() {
    let exam = vec![q("q", &["a", "b"], "a")];
    let class = |right: usize, n: usize| -> Vec<Attempt> {
        (0..n).map(|i| att(&format!("s{i}"), &exam, &[Some(if i < right { "a" } else { "b" })])).collect()
    };
    // 9/10 = 0.9 is not above 0.9; 10/10 is.
    assert!(!item_analysis(&exam, &class(9, 10)).questions[0].flags.contains(&Flag::TooEasy));
    assert!(item_analysis(&exam, &class(10, 10)).questions[0].flags.contains(&Flag::TooEasy));
    // 1/5 = 0.2 is not below 0.2; 0/5 is.
    assert!(!item_analysis(&exam, &class(1, 5)).questions[0].flags.contains(&Flag::TooHard));
    assert!(item_analysis(&exam, &class(0, 5)).questions[0].flags.contains(&Flag::TooHard));
}

#[test]
fn group_sizes_round_27_percent() {
    let sizes: Vec<Option<usize>> = [0, 3, 4, 5, 6, 7, 10, 11, 50, 100].iter().map(|n| group_size(*n)).collect();
    assert_eq!(sizes, vec![None, None, Some(1), Some(1), Some(2), Some(2), Some(3), Some(3), Some(14), Some(27)]);
}

#[test]
fn an_edited_exam_lines_up_by_question_text() {
    let old = vec![q("kept", &["a", "b"], "a"), q("removed", &["x", "y"], "x"), q("changed", &["m", "n"], "m")];
    let taken = att("s", &old, &[Some("a"), Some("y"), Some("n")]);
    // Reordered, one question removed, one new, one with an option renamed.
    let new = vec![q("changed", &["m", "o"], "m"), q("new", &["1", "2"], "1"), q("kept", &["a", "b"], "a")];
    let m = match_answers(&new, &taken);
    assert_eq!(m.iter().map(|d| d.map(|d| d.user_answer.as_str())).collect::<Vec<_>>(), vec![Some("n"), None, Some("a")]);
    let a = item_analysis(&new, std::slice::from_ref(&taken));
    assert_eq!((a.questions[0].attempts, a.questions[0].other_answers, picked(&a.questions[0])), (1, 1, vec![0, 0]));
    assert_eq!((a.questions[1].attempts, a.questions[1].facility), (0, None));
    assert_eq!((a.questions[2].attempts, a.questions[2].correct), (1, 1));
}

#[test]
fn csv_fields_are_quoted_and_guarded() {
    assert_eq!(csv_field("plain"), "plain");
    assert_eq!(csv_field("a,b"), "\"a,b\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_eq!(csv_field("+1"), "'+1");
    assert_eq!(csv_field("-2"), "'-2");
    assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(csv_field("\tx"), "'\tx");
    assert_eq!(csv_field("a=b"), "a=b", "only a leading sign is a formula");
    assert_eq!(csv_field(""), "");
}

#[test]
fn results_csv_has_a_row_per_attempt_and_a_column_per_question() {
    let exam = vec![q("2+2, really?", &["4", "-4"], "4"), q("Sky green?", &["True", "False"], "False")];
    let mut a1 = att("ann@example.org", &exam, &[Some("4"), Some("False")]);
    a1.submitted_at = "2026-12-06T06:01:02Z".into();
    let a2 = att("=cmd@example.org", &exam, &[Some("-4"), None]);
    let csv = results_csv(&exam, &[a1, a2]);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "header, two rows, and the final CRLF: {csv:?}");
    assert_eq!(lines[0], "student,attempt_id,submitted_at,score,total,percentage,result,\"Q1: 2+2, really?\",Q2: Sky green?");
    assert_eq!(lines[1], "ann@example.org,id-ann@example.org,2026-12-06T06:01:02Z,2,2,100,passed,4,False");
    assert_eq!(lines[2], "'=cmd@example.org,id-=cmd@example.org,2026-12-06T06:00:00Z,0,1,0,failed,'-4,");
    assert_eq!(lines[3], "");
    assert_eq!(results_csv(&exam, &[]).matches("\r\n").count(), 1, "header only");
}
