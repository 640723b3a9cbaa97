//! Grading an attempt on the server, with the rule of the AWS original:
//! score = number of correct answers, percentage = ⌊score·100/n⌋, passed when
//! the percentage is at least 50. Also the validation of exam file names that
//! reach the API (`<name>.json`, no path tricks).

use serde::{Deserialize, Serialize};

use crate::exam::Question;

/// Pass mark in percent (inclusive).
pub const PASS_PERCENTAGE: u32 = 50;
/// Longest accepted exam file name, in bytes (S3 keys allow 1024; ours are short).
pub const MAX_EXAM_NAME_BYTES: usize = 200;
/// Suffix of every exam file in `questions_bank/`.
pub const EXAM_SUFFIX: &str = ".json";
/// Suffix of the sidecar documents exam-gen may write next to an exam.
pub const SIDECAR_SUFFIX: &str = ".meta.json";

/// `"passed"` or `"failed"`, as stored in the result document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Failed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
        }
    }
}

/// One graded question, exactly the `details[]` entry of the AWS result document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub question: String,
    pub user_answer: String,
    pub correct_answer: String,
    pub is_correct: bool,
}

/// A graded attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    /// Number of correct answers.
    pub score: u32,
    /// Number of questions.
    pub total: u32,
    /// ⌊score·100/total⌋.
    pub percentage: u32,
    pub result: Verdict,
    pub details: Vec<Detail>,
}

/// The result document of the AWS original: `{email, score, result, details}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultDocument {
    pub email: String,
    pub score: u32,
    pub result: Verdict,
    pub details: Vec<Detail>,
}

impl Graded {
    pub fn document(&self, email: &str) -> ResultDocument {
        ResultDocument {
            email: email.to_string(),
            score: self.score,
            result: self.result,
            details: self.details.clone(),
        }
    }
}

/// Why an attempt cannot be graded. All are permanent (422-class): the same
/// answers will never be gradable against the same exam.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradingError {
    #[error("the exam has no questions")]
    EmptyExam,
    #[error("expected {expected} answers (one per question, in order), got {got}")]
    WrongCount { expected: usize, got: usize },
    #[error("answer {number} ({answer:?}) is not one of the options of question {number}")]
    NotAnOption { number: usize, answer: String },
}

/// ⌊score·100/total⌋; 0 for an empty exam.
pub fn percentage(score: u32, total: u32) -> u32 {
    if total == 0 {
        return 0;
    }
    ((u64::from(score) * 100) / u64::from(total)) as u32
}

/// The verdict for a percentage.
pub fn verdict(percentage: u32) -> Verdict {
    if percentage >= PASS_PERCENTAGE {
        Verdict::Passed
    } else {
        Verdict::Failed
    }
}

/// Score-distribution bucket of a percentage: ⌊p/10⌋, 100 % in bucket 10 (11 buckets).
pub fn histogram_bucket(percentage: u32) -> usize {
    (percentage.min(100) / 10) as usize
}

/// Grade `answers` (the chosen option texts, in question order) against `exam`.
/// Every answer must be one of its question's options.
pub fn grade(exam: &[Question], answers: &[String]) -> Result<Graded, GradingError> {
    if exam.is_empty() {
        return Err(GradingError::EmptyExam);
    }
    if answers.len() != exam.len() {
        return Err(GradingError::WrongCount { expected: exam.len(), got: answers.len() });
    }
    let mut details = Vec::with_capacity(exam.len());
    let mut score = 0u32;
    for (i, (q, a)) in exam.iter().zip(answers).enumerate() {
        if !q.options.iter().any(|o| o == a) {
            return Err(GradingError::NotAnOption { number: i + 1, answer: a.clone() });
        }
        let is_correct = *a == q.correct_answer;
        if is_correct {
            score += 1;
        }
        details.push(Detail {
            question: q.question.clone(),
            user_answer: a.clone(),
            correct_answer: q.correct_answer.clone(),
            is_correct,
        });
    }
    let total = exam.len() as u32;
    let percentage = percentage(score, total);
    Ok(Graded { score, total, percentage, result: verdict(percentage), details })
}

/// Why an exam name is refused (400-class).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("exam name is empty")]
    Empty,
    #[error("exam name is longer than {MAX_EXAM_NAME_BYTES} bytes")]
    TooLong,
    #[error("exam name must end in .json (e.g. lecture1.json)")]
    NotJson,
    #[error("exam name must not contain path separators, '..' or control characters")]
    Unsafe,
    #[error("{0} is a metadata sidecar, not an exam")]
    Sidecar(String),
}

/// A validated exam file name such as `lecture1.json`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExamName(String);

impl ExamName {
    /// Validate a name as received from a client.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.len() > MAX_EXAM_NAME_BYTES {
            return Err(NameError::TooLong);
        }
        if name.contains('/')
            || name.contains('\\')
            || name.contains("..")
            || name.starts_with('.')
            || name.chars().any(char::is_control)
        {
            return Err(NameError::Unsafe);
        }
        let Some(base) = name.strip_suffix(EXAM_SUFFIX) else {
            return Err(NameError::NotJson);
        };
        if base.trim().is_empty() {
            return Err(NameError::NotJson);
        }
        if name.ends_with(SIDECAR_SUFFIX) {
            return Err(NameError::Sidecar(name.to_string()));
        }
        Ok(Self(name.to_string()))
    }

    /// The file name, `lecture1.json`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The base name without `.json`, `lecture1` (the `_id` in `exams.exams`).
    pub fn base(&self) -> &str {
        &self.0[..self.0.len() - EXAM_SUFFIX.len()]
    }

    /// The object key, `questions_bank/lecture1.json`.
    pub fn key(&self) -> String {
        format!("{}{}", crate::names::QUESTIONS_PREFIX, self.0)
    }

    /// The exam name of an object key in `questions_bank/` (None for sidecars,
    /// nested keys and anything that is not a valid exam name).
    pub fn from_key(key: &str) -> Option<Self> {
        let name = key.strip_prefix(crate::names::QUESTIONS_PREFIX)?;
        Self::parse(name).ok()
    }
}

impl std::fmt::Display for ExamName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str, options: &[&str], correct: &str) -> Question {
        Question {
            question: text.into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            correct_answer: correct.into(),
        }
    }

    fn exam() -> Vec<Question> {
        vec![
            q("2+2?", &["3", "4", "5"], "4"),
            q("Sky is green.", &["True", "False"], "False"),
            q("Capital of France?", &["Paris", "Rome"], "Paris"),
        ]
    }

    fn answers(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn grades_with_the_original_rule() {
        let g = grade(&exam(), &answers(&["4", "True", "Paris"])).unwrap();
        assert_eq!(g.score, 2);
        assert_eq!(g.total, 3);
        assert_eq!(g.percentage, 66, "floored");
        assert_eq!(g.result, Verdict::Passed);
        assert_eq!(
            g.details[1],
            Detail {
                question: "Sky is green.".into(),
                user_answer: "True".into(),
                correct_answer: "False".into(),
                is_correct: false
            }
        );
        let g = grade(&exam(), &answers(&["3", "True", "Paris"])).unwrap();
        assert_eq!((g.score, g.percentage, g.result), (1, 33, Verdict::Failed));
    }

    #[test]
    fn fifty_percent_passes_and_floor_applies() {
        assert_eq!(verdict(50), Verdict::Passed);
        assert_eq!(verdict(49), Verdict::Failed);
        assert_eq!(percentage(1, 2), 50);
        assert_eq!(percentage(1, 3), 33);
        assert_eq!(percentage(2, 3), 66);
        assert_eq!(percentage(0, 0), 0);
        assert_eq!(histogram_bucket(100), 10);
        assert_eq!(histogram_bucket(99), 9);
        assert_eq!(histogram_bucket(0), 0);
    }

    #[test]
    fn result_document_has_the_aws_shape() {
        let g = grade(&exam(), &answers(&["4", "False", "Paris"])).unwrap();
        let v = serde_json::to_value(g.document("s@example.org")).unwrap();
        assert_eq!(v["email"], "s@example.org");
        assert_eq!(v["score"], 3);
        assert_eq!(v["result"], "passed");
        assert_eq!(v["details"][0]["user_answer"], "4");
        assert_eq!(v["details"][0]["is_correct"], true);
        assert_eq!(v.as_object().unwrap().len(), 4);
    }

    #[test]
    fn invalid_answers_are_refused() {
        assert_eq!(
            grade(&exam(), &answers(&["4", "False"])),
            Err(GradingError::WrongCount { expected: 3, got: 2 })
        );
        assert_eq!(
            grade(&exam(), &answers(&["4", "Maybe", "Paris"])),
            Err(GradingError::NotAnOption { number: 2, answer: "Maybe".into() })
        );
        assert_eq!(grade(&[], &[]), Err(GradingError::EmptyExam));
    }

    #[test]
    fn exam_names_are_validated() {
        let n = ExamName::parse("lecture1.json").unwrap();
        assert_eq!(n.base(), "lecture1");
        assert_eq!(n.key(), "questions_bank/lecture1.json");
        assert!(ExamName::parse("My lecture (2).json").is_ok());
        assert_eq!(ExamName::parse(""), Err(NameError::Empty));
        assert_eq!(ExamName::parse("lecture1"), Err(NameError::NotJson));
        assert_eq!(ExamName::parse(".json"), Err(NameError::Unsafe));
        assert_eq!(ExamName::parse("../secret.json"), Err(NameError::Unsafe));
        assert_eq!(ExamName::parse("a/b.json"), Err(NameError::Unsafe));
        assert_eq!(ExamName::parse("a\\b.json"), Err(NameError::Unsafe));
        assert_eq!(ExamName::parse("a\nb.json"), Err(NameError::Unsafe));
        assert_eq!(ExamName::parse("a..json"), Err(NameError::Unsafe));
        assert_eq!(ExamName::parse(&format!("{}.json", "x".repeat(200))), Err(NameError::TooLong));
        assert!(matches!(ExamName::parse("lecture1.meta.json"), Err(NameError::Sidecar(_))));
        assert_eq!(ExamName::from_key("questions_bank/l.json").unwrap().as_str(), "l.json");
        assert_eq!(ExamName::from_key("questions_bank/l.meta.json"), None);
        assert_eq!(ExamName::from_key("questions_bank/sub/l.json"), None);
        assert_eq!(ExamName::from_key("exams/l.json"), None);
    }
}
