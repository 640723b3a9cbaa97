//! The email request every producer (exam-gen, score-calc) puts on
//! `email-topic` as the data of a `dev.examfn.email.v1` CloudEvent, and the
//! email function consumes. A plain-text record value (the Python port's
//! format) is also accepted by the email function, with a default subject.
//!
//! Besides the wire type this module holds the pure parts of the email
//! function: address normalisation, validation of a request, the plain-text
//! fallback, the Kratos after-registration payload, and the unsubscribe
//! link/footer (the HMAC itself lives in the email crate).

use serde::{Deserialize, Serialize};

/// Subject of a plain-text record (the Python port sent bare text).
pub const DEFAULT_SUBJECT: &str = "Exam-Generator notification";
/// Subject of a score card (and the first line of its text).
pub const SCORE_CARD_SUBJECT: &str = "Exam-Generator - Score Card";
/// Longest address accepted (RFC 5321: 254 octets in a path).
pub const MAX_ADDRESS_LEN: usize = 254;

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
    Recipients {
        subscribers: true,
        extra: Vec::new(),
    }
}

/// Normalise an address for storage and comparison: trimmed, lower-cased,
/// checked for a plausible `local@domain` shape with nothing a header or an
/// SMTP command could be abused with (spaces, control characters, `<>`,
/// quotes, commas, semicolons).
pub fn normalize_address(raw: &str) -> Result<String, String> {
    let addr = raw.trim().to_lowercase();
    if addr.is_empty() {
        return Err("the address is empty".into());
    }
    if addr.len() > MAX_ADDRESS_LEN {
        return Err(format!(
            "the address is longer than {MAX_ADDRESS_LEN} characters"
        ));
    }
    if let Some(c) = addr
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"'`".contains(*c))
    {
        return Err(format!(
            "{raw:?} is not an email address: it contains {c:?}"
        ));
    }
    let Some((local, domain)) = addr.split_once('@') else {
        return Err(format!("{raw:?} is not an email address: no '@'"));
    };
    if local.is_empty() || local.len() > 64 {
        return Err(format!("{raw:?} is not an email address: bad local part"));
    }
    if domain.is_empty()
        || domain.contains('@')
        || domain.starts_with(['.', '-'])
        || domain.ends_with(['.', '-'])
        || domain.contains("..")
        || !domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
    {
        return Err(format!("{raw:?} is not an email address: bad domain"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(format!("{raw:?} is not an email address: bad local part"));
    }
    Ok(addr)
}

/// Collapse whitespace (CR/LF included) in a header value to single spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl EmailMessage {
    /// Check and tidy a request: a message id, a subject on one line, a
    /// body, and valid extra addresses (normalised, duplicates dropped).
    /// The error is the reason, for a 400 / the DLQ.
    pub fn validated(mut self) -> Result<Self, String> {
        self.message_id = self.message_id.trim().to_string();
        if self.message_id.is_empty() {
            return Err(
                "message_id is empty: producers must give every message a stable id".into(),
            );
        }
        if self.message_id.len() > 512 {
            return Err("message_id is longer than 512 characters".into());
        }
        self.subject = one_line(&self.subject);
        if self.subject.is_empty() {
            return Err(format!("message {}: subject is empty", self.message_id));
        }
        let html_empty = self.html.as_deref().is_none_or(|h| h.trim().is_empty());
        if html_empty {
            self.html = None;
        }
        if self.text.trim().is_empty() && html_empty {
            return Err(format!(
                "message {}: both text and html are empty",
                self.message_id
            ));
        }
        let mut extra: Vec<String> = Vec::with_capacity(self.recipients.extra.len());
        for raw in &self.recipients.extra {
            let a = normalize_address(raw)
                .map_err(|e| format!("message {}: invalid recipient: {e}", self.message_id))?;
            if !extra.contains(&a) {
                extra.push(a);
            }
        }
        self.recipients.extra = extra;
        Ok(self)
    }

    /// The request for a plain-text record value (the Python port's format:
    /// the body alone). `origin` identifies the record stably across
    /// redeliveries (the CloudEvent's `source` and `id`, which for a Kafka
    /// record are its topic, partition and offset), so the message id is
    /// deterministic. A score card keeps its own title as subject; anything
    /// else gets [`DEFAULT_SUBJECT`]. Sent to the subscribers.
    pub fn from_plain_text(text: &str, origin: &str) -> Result<Self, String> {
        let text = text.trim_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
        if text.is_empty() {
            return Err("the record value is empty".into());
        }
        let first_line = text.lines().next().unwrap_or_default().trim();
        let subject = if first_line == SCORE_CARD_SUBJECT {
            SCORE_CARD_SUBJECT
        } else {
            DEFAULT_SUBJECT
        };
        Self {
            message_id: format!("text:{origin}"),
            subject: subject.to_string(),
            text: format!("{text}\n"),
            html: None,
            recipients: subscribers_only(),
        }
        .validated()
    }
}

/// Interpret an event's data: JSON (an object must be an [`EmailMessage`], a
/// JSON string is plain text) or UTF-8 plain text. `require_json` is set for
/// `dev.examfn.email.v1` events, whose data must be an `EmailMessage`.
pub fn parse_payload(
    data: &[u8],
    origin: &str,
    require_json: bool,
) -> Result<EmailMessage, String> {
    let trimmed = data.trim_ascii();
    if trimmed.is_empty() {
        return Err("the event data is empty".into());
    }
    let looks_json = matches!(trimmed.first(), Some(b'{' | b'[' | b'"'));
    if looks_json || require_json {
        let value: serde_json::Value = serde_json::from_slice(trimmed)
            .map_err(|e| format!("the event data is not valid JSON: {e}"))?;
        return match value {
            serde_json::Value::String(s) if !require_json => EmailMessage::from_plain_text(&s, origin),
            v @ serde_json::Value::Object(_) => serde_json::from_value::<EmailMessage>(v)
                .map_err(|e| format!("the event data is not an email request: {e}"))?
                .validated(),
            other => Err(format!(
                "the event data is JSON but not an email request (an object with message_id, subject, text): got {}",
                json_kind(&other)
            )),
        };
    }
    let text = std::str::from_utf8(trimmed)
        .map_err(|e| format!("the record value is neither JSON nor UTF-8 text: {e}"))?;
    EmailMessage::from_plain_text(text, origin)
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The part of a Kratos identity the sign-up webhook needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Normalised address from `traits.email`.
    pub email: String,
    /// `traits.user_type`, lower-cased, if present.
    pub user_type: Option<String>,
    /// The identity's `id`, if present.
    pub identity_id: Option<String>,
}

impl Registration {
    /// Educators (`educator`, or `teacher`) are subscribed; everyone else
    /// (students, a missing type) is not.
    pub fn is_educator(&self) -> bool {
        matches!(self.user_type.as_deref(), Some("educator" | "teacher"))
    }
}

/// Parse Ory Kratos' `web_hook` after-registration body. The body is shaped
/// by a Jsonnet template in the Kratos config, so both
/// `{"identity": {"id", "traits": {"email", "user_type"}}}` (the usual
/// `function(ctx) { identity: ctx.identity }`) and the bare identity
/// `{"id", "traits": {...}}` are accepted.
pub fn parse_registration(body: &serde_json::Value) -> Result<Registration, String> {
    let obj = body.as_object().ok_or("the body is not a JSON object")?;
    let identity = match obj.get("identity") {
        Some(serde_json::Value::Object(i)) => i,
        Some(_) => return Err("`identity` is not an object".into()),
        None => obj,
    };
    let traits = match identity.get("traits") {
        Some(serde_json::Value::Object(t)) => t,
        Some(_) => return Err("`identity.traits` is not an object".into()),
        None => {
            return Err("no `identity.traits` in the body (expected the Kratos identity)".into())
        }
    };
    let email = match traits.get("email") {
        Some(serde_json::Value::String(e)) => {
            normalize_address(e).map_err(|e| format!("identity.traits.email: {e}"))?
        }
        Some(_) => return Err("`identity.traits.email` is not a string".into()),
        None => return Err("no `identity.traits.email` in the body".into()),
    };
    let user_type = match traits.get("user_type") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(t)) => {
            Some(t.trim().to_lowercase()).filter(|t| !t.is_empty())
        }
        Some(_) => return Err("`identity.traits.user_type` is not a string".into()),
    };
    let identity_id = identity
        .get("id")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    Ok(Registration {
        email,
        user_type,
        identity_id,
    })
}

/// Percent-encode for a URL query value (RFC 3986 unreserved kept).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `{base}/unsubscribe?email=…&token=…`.
pub fn unsubscribe_url(public_base_url: &str, email: &str, token: &str) -> String {
    format!(
        "{}/unsubscribe?email={}&token={}",
        public_base_url.trim_end_matches('/'),
        percent_encode(email),
        percent_encode(token)
    )
}

/// The text with the unsubscribe footer appended.
pub fn text_with_footer(text: &str, unsubscribe: &str) -> String {
    let mut out = text.trim_end().to_string();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str("-- \nYou receive this because you subscribed to Exam-Generator notifications.\nUnsubscribe: ");
    out.push_str(unsubscribe);
    out.push('\n');
    out
}

/// Escape text for HTML content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML with the unsubscribe footer inserted before `</body>` (or appended).
pub fn html_with_footer(html: &str, unsubscribe: &str) -> String {
    let footer = format!(
        "<p style=\"font-size:small;color:#666\">You receive this because you subscribed to Exam-Generator notifications. \
         <a href=\"{}\">Unsubscribe</a></p>",
        html_escape(unsubscribe)
    );
    match html.to_ascii_lowercase().rfind("</body>") {
        Some(i) => format!("{}{footer}{}", &html[..i], &html[i..]),
        None => format!("{html}\n{footer}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addresses_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_address("  Ada.Lovelace@Example.ORG ").unwrap(),
            "ada.lovelace@example.org"
        );
        assert_eq!(
            normalize_address("educator@examfn.local").unwrap(),
            "educator@examfn.local"
        );
        assert_eq!(
            normalize_address("root@localhost").unwrap(),
            "root@localhost"
        );
        for bad in [
            "",
            "no-at-sign",
            "@example.org",
            "a@",
            "a@b@c",
            "a b@example.org",
            "a@exa mple.org",
            "a@example.org\r\nBcc: x@y.z",
            "<a@example.org>",
            "a,b@example.org",
            "a@.example.org",
            "a@example..org",
            ".a@example.org",
        ] {
            assert!(normalize_address(bad).is_err(), "{bad:?} accepted");
        }
        assert!(normalize_address(&format!("{}@example.org", "a".repeat(65))).is_err());
    }

    #[test]
    fn producer_messages_parse_and_are_tidied() {
        let data = json!({
            "message_id": " score-card:66a279b8f98a9d0379570575 ",
            "subject": "Exam-Generator -\r\n Score Card",
            "text": "Exam-Generator - Score Card\n\nStudent: s@x.org\n",
            "html": "  ",
            "recipients": {"subscribers": true, "extra": ["S@X.org", "s@x.org "]}
        });
        let m = parse_payload(data.to_string().as_bytes(), "ignored", true).unwrap();
        assert_eq!(m.message_id, "score-card:66a279b8f98a9d0379570575");
        assert_eq!(m.subject, "Exam-Generator - Score Card");
        assert_eq!(m.html, None);
        assert_eq!(m.recipients.extra, vec!["s@x.org".to_string()]);
        assert!(m.recipients.subscribers);

        let minimal =
            json!({"message_id": "exam-ready:l1:etag", "subject": "Exam ready", "text": "t"});
        let m = parse_payload(minimal.to_string().as_bytes(), "o", true).unwrap();
        assert!(m.recipients.subscribers && m.recipients.extra.is_empty());
    }

    #[test]
    fn malformed_messages_say_why() {
        let cases: Vec<(&[u8], bool, &str)> = vec![
            (b"", true, "empty"),
            (b"   \n", false, "empty"),
            (b"{\"subject\":\"s\",\"text\":\"t\"}", true, "message_id"),
            (b"{\"message_id\":\"m\",\"subject\":\"s\",\"text\":\" \"}", true, "both text and html are empty"),
            (b"{\"message_id\":\"\",\"subject\":\"s\",\"text\":\"t\"}", true, "message_id is empty"),
            (b"{\"message_id\":\"m\",\"subject\":\"\",\"text\":\"t\"}", true, "subject is empty"),
            (b"{\"message_id\":\"m\",\"subject\":\"s\",\"text\":\"t\",\"recipients\":{\"extra\":[\"nope\"]}}", true, "invalid recipient"),
            (b"[1,2]", false, "not an email request"),
            (b"42", true, "not an email request"),
            (b"{not json", false, "not valid JSON"),
            (b"plain text", true, "not valid JSON"),
            (b"\xff\xfe\x00garbage", false, "neither JSON nor UTF-8"),
        ];
        for (data, require_json, needle) in cases {
            let err = parse_payload(data, "o", require_json).unwrap_err();
            assert!(
                err.contains(needle),
                "{:?}: {err}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn plain_text_gets_a_default_subject_and_a_stable_id() {
        let m = parse_payload(
            b"Hello, Exam Generated",
            "/apis/v1/namespaces/exam/kafkasources/email#email-topic/partition:0/offset:7",
            false,
        )
        .unwrap();
        assert_eq!(m.subject, DEFAULT_SUBJECT);
        assert_eq!(m.text, "Hello, Exam Generated\n");
        assert_eq!(
            m.message_id,
            "text:/apis/v1/namespaces/exam/kafkasources/email#email-topic/partition:0/offset:7"
        );
        assert!(m.recipients.subscribers);
        // Same record, same id: redelivery is recognised.
        assert_eq!(
            m,
            parse_payload(
                b"Hello, Exam Generated",
                "/apis/v1/namespaces/exam/kafkasources/email#email-topic/partition:0/offset:7",
                false
            )
            .unwrap()
        );

        let card =
            "Exam-Generator - Score Card\n\nStudent: tunis@gmail.com\nScore: 1\nResult: PASSED\n";
        let m = parse_payload(card.as_bytes(), "o", false).unwrap();
        assert_eq!(m.subject, SCORE_CARD_SUBJECT);
        // A JSON string is plain text too.
        let m = parse_payload(br#""Hello, Exam Generated""#, "o", false).unwrap();
        assert_eq!(m.text, "Hello, Exam Generated\n");
    }

    #[test]
    fn kratos_payload_with_or_without_identity_wrapper() {
        let wrapped = json!({"identity": {"id": "9f", "traits": {"email": " Prof@Uni.EDU", "user_type": "Educator"}}});
        let r = parse_registration(&wrapped).unwrap();
        assert_eq!(r.email, "prof@uni.edu");
        assert!(r.is_educator());
        assert_eq!(r.identity_id.as_deref(), Some("9f"));
        let bare = json!({"id": "1", "schema_id": "default", "traits": {"email": "stud@uni.edu", "user_type": "student"}});
        let r = parse_registration(&bare).unwrap();
        assert!(!r.is_educator());
        let untyped = json!({"traits": {"email": "x@uni.edu"}});
        assert!(!parse_registration(&untyped).unwrap().is_educator());
        for (bad, needle) in [
            (json!([1]), "not a JSON object"),
            (json!({"identity": 3}), "not an object"),
            (json!({"identity": {"id": "1"}}), "traits"),
            (json!({"traits": {"user_type": "educator"}}), "traits.email"),
            (
                json!({"traits": {"email": "not-an-address"}}),
                "traits.email",
            ),
            (
                json!({"traits": {"email": "a@b.c", "user_type": 5}}),
                "user_type",
            ),
        ] {
            let err = parse_registration(&bad).unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn unsubscribe_link_and_footers() {
        let url = unsubscribe_url("https://exams.example.org/", "a+b@x.org", "ab12");
        assert_eq!(
            url,
            "https://exams.example.org/unsubscribe?email=a%2Bb%40x.org&token=ab12"
        );
        let t = text_with_footer("Body\n\n", &url);
        assert!(t.starts_with("Body\n\n-- \n"));
        assert!(t.ends_with(&format!("Unsubscribe: {url}\n")));
        let h = html_with_footer("<html><body><p>Hi</p></BODY></html>", &url);
        assert!(h.contains("<p>Hi</p><p style"));
        assert!(h.contains(
            "href=\"https://exams.example.org/unsubscribe?email=a%2Bb%40x.org&amp;token=ab12\""
        ));
        assert!(h.ends_with("</BODY></html>"));
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
