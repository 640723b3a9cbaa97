//! The email request every producer (exam-gen, score-calc) puts on
//! `email-topic` as the data of a `dev.examfn.email.v1` CloudEvent, and the
//! email function consumes. A plain-text record value (the Python port's
//! format) is also accepted by the email function, with a default subject.

use serde::{Deserialize, Serialize};

/// Who receives a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Recipients {
    /// Every active educator in `exams.subscribers`.
    #[serde(default = "yes")]
    pub subscribers: bool,
    /// Further addresses (e.g. the student's own copy of a score card).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

fn yes() -> bool {
    true
}

/// An email request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    /// Stable id: redelivery of the same message must carry the same id, so
    /// the email function sends it once per recipient.
    pub message_id: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default = "subscribers_only")]
    pub recipients: Recipients,
}

fn subscribers_only() -> Recipients {
    Recipients { subscribers: true, extra: Vec::new() }
}
