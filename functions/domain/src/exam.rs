//! The exam file format of the AWS original: `questions_bank/<name>.json` is a
//! JSON array of questions. Clients of the original read exactly this shape.

use serde::{Deserialize, Serialize};

/// Options of every true/false question, in this order.
pub const TRUE_FALSE_OPTIONS: [&str; 2] = ["True", "False"];

/// One question of an exam, as stored in `questions_bank/<name>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub question: String,
    pub options: Vec<String>,
    pub correct_answer: String,
}

impl Question {
    /// True when this is a true/false question (options exactly `["True","False"]`).
    pub fn is_true_false(&self) -> bool {
        self.options.len() == 2
            && self.options[0] == TRUE_FALSE_OPTIONS[0]
            && self.options[1] == TRUE_FALSE_OPTIONS[1]
    }
}

/// A whole exam file: the JSON array.
pub type Exam = Vec<Question>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exam_file_round_trips_in_the_aws_format() {
        let text = r#"[{"question":"Is water wet?","options":["True","False"],"correct_answer":"True"}]"#;
        let exam: Exam = serde_json::from_str(text).unwrap();
        assert!(exam[0].is_true_false());
        assert_eq!(serde_json::to_string(&exam).unwrap(), text);
    }
}
