//! The score card (the AWS exam generator's email body, byte for byte) and
//! the scoreboard arithmetic score-calc applies and take-exam's educator view
//! reads.
//!
//! Score card, exactly:
//!
//! ```text
//! Exam-Generator - Score Card\n\nStudent: {email}\nScore: {score}\nResult: {RESULT}\n\nExam Details:\n
//! ```
//!
//! then per detail `- Question: {q}\n  Your Answer: {a} (Correct|Incorrect)\n  Correct Answer: {c}\n\n`.
//! Missing (or null) fields print `No email provided`, `Score not available`, `N/A`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Subject of the score card email.
pub const SUBJECT: &str = "Exam-Generator - Score Card";
/// Prefix of a score card's email message id: `score-card:<result _id>`.
pub const MESSAGE_ID_PREFIX: &str = "score-card:";

/// Per-result processing records of score-calc (`{_id: <result id>, state, at}`).
pub const PROCESSED_COLLECTION: &str = "score_processed";
/// Scoreboard per exam (`_id: "<exam>.json"`) and overall (`_id: "*"`).
pub const SCOREBOARD_COLLECTION: &str = "scoreboard";
/// Best result per student and exam (`_id: {exam, email}`).
pub const SCOREBOARD_BEST_COLLECTION: &str = "scoreboard_best";
/// `_id` of the overall scoreboard document.
pub const OVERALL: &str = "*";
/// Scoreboard bucket of results that name no exam (the AWS/port documents).
pub const UNKNOWN_EXAM: &str = "unknown";
/// Histogram buckets: `floor(percentage / 10)`, 100 % in the last one.
pub const HISTOGRAM_BUCKETS: usize = 11;

/// The message id of the score card of a result document.
pub fn message_id(result_id: &str) -> String {
    format!("{MESSAGE_ID_PREFIX}{result_id}")
}

/// Format the score card of a result document (plain JSON).
pub fn score_card(doc: &Value) -> String {
    let email = field(doc, "email").unwrap_or_else(|| "No email provided".to_string());
    let score = field(doc, "score").unwrap_or_else(|| "Score not available".to_string());
    let result = field(doc, "result").unwrap_or_else(|| "N/A".to_string()).to_uppercase();
    let mut out = String::with_capacity(256);
    out.push_str("Exam-Generator - Score Card\n\n");
    out.push_str(&format!("Student: {email}\nScore: {score}\nResult: {result}\n\nExam Details:\n"));
    if let Some(Value::Array(details)) = doc.get("details") {
        for d in details {
            let q = field(d, "question").unwrap_or_else(|| "N/A".to_string());
            let a = field(d, "user_answer").unwrap_or_else(|| "N/A".to_string());
            let c = field(d, "correct_answer").unwrap_or_else(|| "N/A".to_string());
            let verdict = if d.get("is_correct").is_some_and(truthy) { "Correct" } else { "Incorrect" };
            out.push_str(&format!("- Question: {q}\n  Your Answer: {a} ({verdict})\n  Correct Answer: {c}\n\n"));
        }
    }
    out
}

/// A field as the original printed it: strings raw, numbers as numbers,
/// booleans as Python did (`True`/`False`); missing or null is `None`.
fn field(doc: &Value, name: &str) -> Option<String> {
    match doc.get(name)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Python truthiness (the original tested `if is_correct`).
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `floor(score * 100 / questions)`, 0 without questions, clamped to 0..=100.
pub fn percentage(score: f64, questions: usize) -> u32 {
    if questions == 0 || !score.is_finite() || score <= 0.0 {
        return 0;
    }
    ((score * 100.0 / questions as f64).floor() as i64).clamp(0, 100) as u32
}

/// Histogram bucket of a percentage: `floor(p / 10)`, 100 % → 10.
pub fn bucket(percentage: u32) -> usize {
    ((percentage / 10) as usize).min(HISTOGRAM_BUCKETS - 1)
}

/// What the scoreboard needs from one result document.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSummary {
    /// `"<name>.json"`, or [`UNKNOWN_EXAM`] when the document names none.
    pub exam: String,
    pub email: Option<String>,
    pub score: f64,
    pub percentage: u32,
    pub passed: bool,
}

impl ResultSummary {
    /// Read a result document: the examfn form (`exam`, `percentage`, …) or
    /// the original `{email, score, result, details}`.
    pub fn from_doc(doc: &Value) -> Self {
        let exam = doc
            .get("exam")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(UNKNOWN_EXAM)
            .to_string();
        let email = doc.get("email").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let score = number(doc.get("score")).unwrap_or(0.0).max(0.0);
        let questions = doc.get("details").and_then(Value::as_array).map_or(0, Vec::len);
        let percentage = match number(doc.get("percentage")) {
            Some(p) if p.is_finite() => p.floor().clamp(0.0, 100.0) as u32,
            _ => percentage(score, questions),
        };
        let passed = match doc.get("result").and_then(Value::as_str) {
            Some(r) => r.trim().eq_ignore_ascii_case("passed"),
            None => percentage >= 50,
        };
        Self { exam, email, score, percentage, passed }
    }

    /// The score as stored in `best_score`: an integer when it is one.
    pub fn score_value(&self) -> Value {
        if self.score.fract() == 0.0 && self.score.abs() < 9.0e15 {
            Value::from(self.score as i64)
        } else {
            serde_json::Number::from_f64(self.score).map_or(Value::Null, Value::Number)
        }
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A scoreboard document (`exams.scoreboard`), as take-exam reads it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Scoreboard {
    /// `"<exam>.json"` or [`OVERALL`].
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub attempts: i64,
    #[serde(default)]
    pub passes: i64,
    #[serde(default)]
    pub percentage_sum: i64,
    #[serde(default)]
    pub histogram: Vec<i64>,
}

impl Scoreboard {
    /// An empty board for `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), histogram: vec![0; HISTOGRAM_BUCKETS], ..Self::default() }
    }

    /// Add one result (what the `$inc` in MongoDB does; used by tests and
    /// in-memory stores).
    pub fn add(&mut self, r: &ResultSummary) {
        self.attempts += 1;
        self.passes += i64::from(r.passed);
        self.percentage_sum += i64::from(r.percentage);
        if self.histogram.len() < HISTOGRAM_BUCKETS {
            self.histogram.resize(HISTOGRAM_BUCKETS, 0);
        }
        self.histogram[bucket(r.percentage)] += 1;
    }

    /// Mean percentage, `None` before the first attempt.
    pub fn mean_percentage(&self) -> Option<f64> {
        (self.attempts > 0).then(|| self.percentage_sum as f64 / self.attempts as f64)
    }

    /// Share of passed attempts in 0..=1, `None` before the first attempt.
    pub fn pass_rate(&self) -> Option<f64> {
        (self.attempts > 0).then(|| self.passes as f64 / self.attempts as f64)
    }
}

/// The key of `exams.scoreboard_best`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BestKey {
    pub exam: String,
    pub email: String,
}

/// A `exams.scoreboard_best` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Best {
    #[serde(rename = "_id")]
    pub id: BestKey,
    pub best_percentage: i64,
    pub best_score: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn score_card_byte_for_byte() {
        let doc = json!({
            "_id": "66a279b8f98a9d0379570575",
            "email": "tunisia@gmail.com",
            "score": 1,
            "result": "failed",
            "details": [
                {"question": "Which country of those countries located in balkans ?", "user_answer": "Germany",
                 "correct_answer": "Romania", "is_correct": false},
                {"question": "2+2?", "user_answer": "4", "correct_answer": "4", "is_correct": true}
            ]
        });
        let expected = "Exam-Generator - Score Card\n\nStudent: tunisia@gmail.com\nScore: 1\nResult: FAILED\n\nExam Details:\n\
- Question: Which country of those countries located in balkans ?\n  Your Answer: Germany (Incorrect)\n  Correct Answer: Romania\n\n\
- Question: 2+2?\n  Your Answer: 4 (Correct)\n  Correct Answer: 4\n\n";
        assert_eq!(score_card(&doc), expected);
    }

    #[test]
    fn missing_fields_print_the_originals_placeholders() {
        let card = score_card(&json!({"details": [{}], "email": null}));
        assert_eq!(
            card,
            "Exam-Generator - Score Card\n\nStudent: No email provided\nScore: Score not available\nResult: N/A\n\nExam Details:\n\
- Question: N/A\n  Your Answer: N/A (Incorrect)\n  Correct Answer: N/A\n\n"
        );
        // No details at all: the header only.
        assert_eq!(
            score_card(&json!({"email": "e@x", "score": 0, "result": "passed"})),
            "Exam-Generator - Score Card\n\nStudent: e@x\nScore: 0\nResult: PASSED\n\nExam Details:\n"
        );
        // Python-style values: booleans, truthy is_correct.
        let card = score_card(&json!({"details": [{"question": "T?", "user_answer": true, "correct_answer": "True", "is_correct": 1}]}));
        assert!(card.contains("  Your Answer: True (Correct)\n"), "{card}");
    }

    #[test]
    fn percentage_and_buckets() {
        assert_eq!(percentage(2.0, 3), 66);
        assert_eq!(percentage(3.0, 3), 100);
        assert_eq!(percentage(0.0, 3), 0);
        assert_eq!(percentage(1.0, 0), 0);
        assert_eq!(percentage(5.0, 4), 100);
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(9), 0);
        assert_eq!(bucket(10), 1);
        assert_eq!(bucket(99), 9);
        assert_eq!(bucket(100), 10);
    }

    #[test]
    fn summaries_of_both_document_generations() {
        let aws = json!({"email": "s@x", "score": 2, "result": "passed",
            "details": [{"is_correct": true}, {"is_correct": true}, {"is_correct": false}]});
        let s = ResultSummary::from_doc(&aws);
        assert_eq!(s, ResultSummary { exam: UNKNOWN_EXAM.into(), email: Some("s@x".into()), score: 2.0, percentage: 66, passed: true });
        let ours = json!({"email": "s@x", "score": 1, "result": "failed", "exam": "lecture1.json", "percentage": 33,
            "details": [{}, {}, {}], "attempt_id": "a1"});
        let s = ResultSummary::from_doc(&ours);
        assert_eq!((s.exam.as_str(), s.percentage, s.passed), ("lecture1.json", 33, false));
        assert_eq!(s.score_value(), json!(1));
        // No result field: passed from the percentage.
        assert!(ResultSummary::from_doc(&json!({"score": 1, "details": [{}, {}]})).passed);
        assert!(!ResultSummary::from_doc(&json!({})).passed);
    }

    #[test]
    fn scoreboard_arithmetic() {
        let mut b = Scoreboard::new(OVERALL);
        for (score, n, result) in [(3, 3, "passed"), (1, 3, "failed"), (2, 4, "passed")] {
            let details: Vec<Value> = (0..n).map(|_| json!({})).collect();
            b.add(&ResultSummary::from_doc(&json!({"score": score, "result": result, "details": details})));
        }
        assert_eq!((b.attempts, b.passes, b.percentage_sum), (3, 2, 100 + 33 + 50));
        assert_eq!(b.histogram, vec![0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1]);
        assert!((b.mean_percentage().unwrap() - 61.0).abs() < 1e-9);
        assert!((b.pass_rate().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(Scoreboard::new("x").mean_percentage(), None);
        let parsed: Scoreboard = serde_json::from_value(json!({"_id": "*", "attempts": 1})).unwrap();
        assert_eq!(parsed.attempts, 1);
        assert_eq!(message_id("abc"), "score-card:abc");
    }
}
