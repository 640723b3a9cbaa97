//! The educator's view of the attempts at one exam: the CSV of attempts and
//! the item analysis. Pure computation over the exam and its result
//! documents (`exams.score`), no I/O.
//!
//! Answers are matched to the exam's questions by question text (an attempt
//! stores the text of every question it answered, in `details[]`), so a
//! reordered exam still lines up; a question an attempt did not have counts as
//! "not seen" for that attempt, not as wrong. Correctness is the attempt's own
//! `is_correct`, i.e. as graded when it was submitted.
//!
//! Item analysis, per question, over the attempts that had it:
//! - **facility index** = correct / attempts (the proportion correct);
//! - **discrimination index** (Kelley's upper–lower index) = proportion correct
//!   in the top 27 % of attempts by total score minus that in the bottom 27 %.
//!   Each group holds g = round(0.27·N) attempts (halves round up); attempts
//!   tied on total score across a group's edge share the remaining places
//!   equally (each counts with weight places/tied), so the index does not
//!   depend on the order attempts arrived in. With fewer than
//!   [`MIN_ATTEMPTS_FOR_DISCRIMINATION`] attempts it is not computed (null);
//! - how often each option was picked (plus answers that are no longer an
//!   option of the edited question);
//! - flags: `too_easy` when facility > [`TOO_EASY_ABOVE`] (0.9), `too_hard`
//!   when facility < [`TOO_HARD_BELOW`] (0.2), `negative_discrimination` when
//!   the index is below 0 (the weaker students did better on it than the stronger).

use serde::Serialize;

use crate::exam::Question;
use crate::grading::Detail;

/// Facility above which a question is flagged too easy.
pub const TOO_EASY_ABOVE: f64 = 0.9;
/// Facility below which a question is flagged too hard.
pub const TOO_HARD_BELOW: f64 = 0.2;
/// Share of attempts in each of the upper and lower groups.
pub const GROUP_FRACTION: f64 = 0.27;
/// Fewest attempts for which a discrimination index is given.
pub const MIN_ATTEMPTS_FOR_DISCRIMINATION: usize = 4;

/// One stored attempt, as the reports need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub student: String,
    pub attempt_id: String,
    /// RFC 3339, or empty when unknown.
    pub submitted_at: String,
    /// Number correct (the ranking for the 27 % groups).
    pub score: u32,
    pub percentage: u32,
    /// `passed` / `failed`.
    pub result: String,
    pub details: Vec<Detail>,
}

/// For each exam question, the detail of `attempt` that answered it (by
/// question text; a text asked twice is matched in order).
pub fn match_answers<'a>(exam: &[Question], attempt: &'a Attempt) -> Vec<Option<&'a Detail>> {
    let mut used = vec![false; attempt.details.len()];
    exam.iter()
        .map(|q| {
            let i = attempt.details.iter().enumerate().position(|(i, d)| !used[i] && d.question == q.question)?;
            used[i] = true;
            Some(&attempt.details[i])
        })
        .collect()
}

// ---- CSV -------------------------------------------------------------------

/// One CSV field: formula-injection guard first (a text starting with `=`,
/// `+`, `-`, `@`, tab or CR gets a leading `'`, as OWASP advises, so
/// spreadsheets show it as text), then RFC 4180 quoting (fields holding a
/// comma, quote, CR or LF are quoted, quotes doubled).
pub fn csv_field(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The attempts as CSV (RFC 4180: CRLF line ends, a header row): student,
/// attempt id, submission time, score, number of questions, percentage,
/// result, then one column per exam question (`Q1: <text>`) holding the
/// answer given (empty when the attempt did not have that question).
pub fn results_csv(exam: &[Question], attempts: &[Attempt]) -> String {
    results_csv_with(exam, &[], attempts.iter().map(|a| (a, Vec::new())))
}

/// [`results_csv`] with more columns after `result`: their names in `extra`,
/// each attempt's cells beside it.
pub fn results_csv_with<'a>(exam: &[Question], extra: &[&str], attempts: impl IntoIterator<Item = (&'a Attempt, Vec<String>)>) -> String {
    let mut header: Vec<String> =
        ["student", "attempt_id", "submitted_at", "score", "total", "percentage", "result"].map(String::from).to_vec();
    header.extend(extra.iter().map(|e| e.to_string()));
    header.extend(exam.iter().enumerate().map(|(i, q)| format!("Q{}: {}", i + 1, q.question)));
    let mut out = String::new();
    let mut row = |cells: Vec<String>| {
        out.push_str(&cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    };
    row(header);
    for (a, more) in attempts {
        let mut cells = vec![
            a.student.clone(),
            a.attempt_id.clone(),
            a.submitted_at.clone(),
            a.score.to_string(),
            a.details.len().to_string(),
            a.percentage.to_string(),
            a.result.clone(),
        ];
        cells.extend(more);
        cells.extend(match_answers(exam, a).into_iter().map(|d| d.map(|d| d.user_answer.clone()).unwrap_or_default()));
        row(cells);
    }
    out
}

// ---- item analysis ---------------------------------------------------------

/// A flag on a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    TooEasy,
    TooHard,
    NegativeDiscrimination,
}

/// How often one option was picked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionStats {
    pub option: String,
    pub correct: bool,
    pub picked: usize,
    /// picked / attempts that had the question (null without any).
    pub share: Option<f64>,
}

/// The analysis of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStats {
    /// 1-based position in the exam.
    pub number: usize,
    pub question: String,
    /// `multiple_choice` or `true_false`.
    pub kind: &'static str,
    pub correct_answer: String,
    /// Attempts that had this question.
    pub attempts: usize,
    pub correct: usize,
    pub facility: Option<f64>,
    pub discrimination: Option<f64>,
    /// Proportion correct in the upper / lower 27 % groups.
    pub upper_correct: Option<f64>,
    pub lower_correct: Option<f64>,
    pub options: Vec<OptionStats>,
    /// Answers that are not among the question's current options (it was edited).
    pub other_answers: usize,
    pub flags: Vec<Flag>,
}

/// The thresholds used, reported with the analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub too_easy_above: f64,
    pub too_hard_below: f64,
    pub group_fraction: f64,
    pub min_attempts_for_discrimination: usize,
}

/// The item analysis of an exam.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub attempts: usize,
    /// Attempts in each of the upper and lower groups (null below the minimum).
    pub group_size: Option<usize>,
    pub mean_percentage: Option<f64>,
    pub thresholds: Thresholds,
    pub questions: Vec<ItemStats>,
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Size of each 27 % group for `n` attempts, None below the minimum.
pub fn group_size(n: usize) -> Option<usize> {
    if n < MIN_ATTEMPTS_FOR_DISCRIMINATION {
        return None;
    }
    Some(((n as f64) * GROUP_FRACTION).round().max(1.0) as usize)
}

/// Proportion correct among the `g` attempts at the top (`from_top`) or the
/// bottom of `scored` (total score, correct), tied scores at the edge sharing
/// the remaining places equally.
fn group_proportion(scored: &[(u32, bool)], g: usize, from_top: bool) -> f64 {
    let mut levels: Vec<u32> = scored.iter().map(|s| s.0).collect();
    levels.sort_unstable();
    levels.dedup();
    if from_top {
        levels.reverse();
    }
    let mut remaining = g as f64;
    let mut correct = 0.0;
    for level in levels {
        if remaining <= 0.0 {
            break;
        }
        let at: Vec<bool> = scored.iter().filter(|s| s.0 == level).map(|s| s.1).collect();
        let k = at.len() as f64;
        let take = remaining.min(k);
        let right = at.iter().filter(|c| **c).count() as f64;
        correct += right * take / k;
        remaining -= take;
    }
    correct / g as f64
}

/// The item analysis of `exam` over `attempts`.
pub fn item_analysis(exam: &[Question], attempts: &[Attempt]) -> Analysis {
    let matched: Vec<Vec<Option<&Detail>>> = attempts.iter().map(|a| match_answers(exam, a)).collect();
    let questions = exam
        .iter()
        .enumerate()
        .map(|(i, q)| {
            // (total score, correct, answer) of every attempt that had question i.
            let seen: Vec<(u32, bool, &str)> = attempts
                .iter()
                .zip(&matched)
                .filter_map(|(a, m)| m[i].map(|d| (a.score, d.is_correct, d.user_answer.as_str())))
                .collect();
            let n = seen.len();
            let correct = seen.iter().filter(|s| s.1).count();
            let facility = (n > 0).then(|| correct as f64 / n as f64);
            let scored: Vec<(u32, bool)> = seen.iter().map(|s| (s.0, s.1)).collect();
            let (upper, lower) = match group_size(n) {
                Some(g) => (Some(group_proportion(&scored, g, true)), Some(group_proportion(&scored, g, false))),
                None => (None, None),
            };
            let discrimination = upper.zip(lower).map(|(u, l)| round4(u - l));
            let options: Vec<OptionStats> = q
                .options
                .iter()
                .map(|o| {
                    let picked = seen.iter().filter(|s| s.2 == o).count();
                    OptionStats {
                        option: o.clone(),
                        correct: *o == q.correct_answer,
                        picked,
                        share: (n > 0).then(|| round4(picked as f64 / n as f64)),
                    }
                })
                .collect();
            let other_answers = seen.iter().filter(|s| !q.options.iter().any(|o| o == s.2)).count();
            let mut flags = Vec::new();
            if let Some(f) = facility {
                if f > TOO_EASY_ABOVE {
                    flags.push(Flag::TooEasy);
                }
                if f < TOO_HARD_BELOW {
                    flags.push(Flag::TooHard);
                }
            }
            if discrimination.is_some_and(|d| d < 0.0) {
                flags.push(Flag::NegativeDiscrimination);
            }
            ItemStats {
                number: i + 1,
                question: q.question.clone(),
                kind: if q.is_true_false() { "true_false" } else { "multiple_choice" },
                correct_answer: q.correct_answer.clone(),
                attempts: n,
                correct,
                facility: facility.map(round4),
                discrimination,
                upper_correct: upper.map(round4),
                lower_correct: lower.map(round4),
                options,
                other_answers,
                flags,
            }
        })
        .collect();
    let mean_percentage = (!attempts.is_empty())
        .then(|| round4(attempts.iter().map(|a| f64::from(a.percentage)).sum::<f64>() / attempts.len() as f64));
    Analysis {
        attempts: attempts.len(),
        group_size: group_size(attempts.len()),
        mean_percentage,
        thresholds: Thresholds {
            too_easy_above: TOO_EASY_ABOVE,
            too_hard_below: TOO_HARD_BELOW,
            group_fraction: GROUP_FRACTION,
            min_attempts_for_discrimination: MIN_ATTEMPTS_FOR_DISCRIMINATION,
        },
        questions,
    }
}

#[cfg(test)]
mod tests;
