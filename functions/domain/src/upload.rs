//! Bucket notifications about uploaded lectures, in every shape the cluster
//! and its peers send them, and the exam parameters an upload carries.
//!
//! * MinIO's Kafka target: `{"EventName", "Key", "Records": [...]}` (the record
//!   value, delivered as the data of a KafkaSource CloudEvent);
//! * MinIO's webhook target: the same JSON POSTed without CloudEvents headers;
//! * AWS S3: `{"Records": [...]}` (also inside an SNS `Notification`, whose
//!   `Message` is that JSON as a string);
//! * S3's `s3:TestEvent` and anything without records parse to no records.
//!
//! Object keys arrive URL-encoded (`+` for spaces, `%XX` for bytes of UTF-8)
//! and are decoded here. Exam parameters come from user metadata: MinIO puts
//! them in the event (`userMetadata: {"X-Amz-Meta-N_mcq": "5"}`); with AWS the
//! function reads them with a HeadObject (`{"n_mcq": "5"}`). Both are read
//! case-insensitively by [`ExamParams::from_metadata`], and so is the OCR
//! language of a scan ([`ocr_lang`]).
//!
//! A lecture is any created object under `exams/` whose extension names one
//! of the [`LectureFormat`]s: `.pdf`, `.pptx`, `.docx`, `.odp`, `.odt`, `.md`
//! (`.markdown`), `.html` (`.htm`), any case.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::names;

/// One object event, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectEvent {
    /// `s3:ObjectCreated:Put` (MinIO) or `ObjectCreated:Put` (AWS).
    pub event_name: String,
    pub bucket: String,
    /// The decoded object key (`exams/My Lecture.pdf`).
    pub key: String,
    pub size: Option<u64>,
    /// Without quotes; empty when the sender had none.
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub version_id: Option<String>,
    pub sequencer: Option<String>,
    /// User metadata as sent (MinIO: `X-Amz-Meta-*` names), possibly empty.
    pub user_metadata: BTreeMap<String, String>,
    /// `minio:s3` or `aws:s3` when the sender said.
    pub event_source: Option<String>,
}

impl ObjectEvent {
    /// Whether this event reports a created (or overwritten) object.
    pub fn is_created(&self) -> bool {
        self.event_name.contains("ObjectCreated")
    }
}

/// Why a notification could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not a bucket notification: {0}")]
    Shape(String),
    #[error("object key {key:?} is not valid URL encoding: {reason}")]
    Key { key: String, reason: String },
}

/// Parse a bucket notification in any supported shape into its object
/// events. A notification without records (S3's test event) gives none.
pub fn parse_notification(value: &Value) -> Result<Vec<ObjectEvent>, EventError> {
    let Some(obj) = value.as_object() else {
        return Err(EventError::Shape(format!("expected a JSON object, got {}", kind_of(value))));
    };
    // SNS → HTTP subscription: the S3 event is a JSON string in `Message`.
    if obj.get("Type").and_then(Value::as_str) == Some("Notification") {
        if let Some(msg) = obj.get("Message").and_then(Value::as_str) {
            let inner: Value = serde_json::from_str(msg)
                .map_err(|e| EventError::Shape(format!("SNS Message is not JSON: {e}")))?;
            return parse_notification(&inner);
        }
    }
    let records = match obj.get("Records") {
        Some(Value::Array(r)) => r.as_slice(),
        Some(Value::Null) | None => {
            if obj.contains_key("EventName") || obj.contains_key("Event") || obj.contains_key("Service") {
                // MinIO without records, or `{"Service":"Amazon S3","Event":"s3:TestEvent"}`.
                return Ok(Vec::new());
            }
            return Err(EventError::Shape(
                "no `Records` array (expected a MinIO `{EventName, Key, Records}` or an S3 `{Records}` event)".into(),
            ));
        }
        Some(other) => return Err(EventError::Shape(format!("`Records` is {}, not an array", kind_of(other)))),
    };
    let mut out = Vec::with_capacity(records.len());
    for (i, rec) in records.iter().enumerate() {
        out.push(parse_record(rec).map_err(|e| match e {
            EventError::Shape(m) => EventError::Shape(format!("Records[{i}]: {m}")),
            other => other,
        })?);
    }
    Ok(out)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn parse_record(rec: &Value) -> Result<ObjectEvent, EventError> {
    if !rec.is_object() {
        return Err(EventError::Shape(format!("a record is {}, not an object", kind_of(rec))));
    }
    let event_name = str_at(rec, &["eventName"])
        .ok_or_else(|| EventError::Shape("record has no eventName".into()))?
        .to_string();
    let s3 = rec.get("s3").ok_or_else(|| EventError::Shape("record has no s3 section".into()))?;
    let bucket = str_at(s3, &["bucket", "name"]).unwrap_or_default().to_string();
    let raw_key =
        str_at(s3, &["object", "key"]).ok_or_else(|| EventError::Shape("record has no s3.object.key".into()))?;
    let key = decode_key(raw_key)?;
    let object = &s3["object"];
    let size = object.get("size").and_then(Value::as_u64);
    let etag = object
        .get("eTag")
        .or_else(|| object.get("etag"))
        .and_then(Value::as_str)
        .map(|e| e.trim_matches('"').to_string())
        .filter(|e| !e.is_empty());
    let content_type = object.get("contentType").and_then(Value::as_str).map(str::to_string);
    let version_id = object.get("versionId").and_then(Value::as_str).map(str::to_string).filter(|v| !v.is_empty());
    let sequencer = object.get("sequencer").and_then(Value::as_str).map(str::to_string);
    let mut user_metadata = BTreeMap::new();
    if let Some(m) = object.get("userMetadata").and_then(Value::as_object) {
        for (k, v) in m {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            user_metadata.insert(k.clone(), v);
        }
    }
    let event_source = str_at(rec, &["eventSource"]).map(str::to_string);
    Ok(ObjectEvent {
        event_name,
        bucket,
        key,
        size,
        etag,
        content_type,
        version_id,
        sequencer,
        user_metadata,
        event_source,
    })
}

/// Encode a key the way S3 and MinIO notifications carry it (space as `+`,
/// other bytes outside the unreserved set as `%XX`): the inverse of
/// [`decode_key`].
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decode an S3 notification key: `+` is a space, `%XX` a byte; the bytes
/// must be UTF-8.
pub fn decode_key(raw: &str) -> Result<String, EventError> {
    let bad = |reason: &str| EventError::Key { key: raw.to_string(), reason: reason.to_string() };
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or_else(|| bad("truncated %-escape"))?;
                let hi = (hex[0] as char).to_digit(16).ok_or_else(|| bad("invalid %-escape"))?;
                let lo = (hex[1] as char).to_digit(16).ok_or_else(|| bad("invalid %-escape"))?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad("decoded bytes are not UTF-8"))
}

/// What an object event means for exam-gen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A lecture to turn into `questions_bank/<name>.json`.
    Lecture { name: String },
    /// Not ours; the reason is logged.
    Ignore(String),
}

/// Act only on created `exams/<name>.<ext>` objects whose extension is a
/// [`LectureFormat`]'s (case-insensitive); [`LectureFormat::of_key`] tells
/// which.
pub fn target(ev: &ObjectEvent) -> Target {
    if !ev.is_created() {
        return Target::Ignore(format!("{} on {:?} is not an object creation", ev.event_name, ev.key));
    }
    let Some(rest) = ev.key.strip_prefix(names::UPLOAD_PREFIX) else {
        return Target::Ignore(format!("{:?} is not under {}", ev.key, names::UPLOAD_PREFIX));
    };
    let Some((name, _)) = LectureFormat::split_name(rest) else {
        return Target::Ignore(format!("{:?} is not a lecture (one of {})", ev.key, LectureFormat::EXTENSIONS_TEXT));
    };
    if name.trim().is_empty() || name.ends_with('/') {
        return Target::Ignore(format!("{:?} has an empty name", ev.key));
    }
    Target::Lecture { name: name.to_string() }
}

/// The kinds of lecture files exam-gen reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LectureFormat {
    /// PDF, with a text layer or scanned (read by OCR).
    #[default]
    Pdf,
    /// PowerPoint deck (Office Open XML).
    Pptx,
    /// Word document (Office Open XML).
    Docx,
    /// Impress deck (OpenDocument).
    Odp,
    /// Writer document (OpenDocument).
    Odt,
    /// Markdown (CommonMark with tables).
    Markdown,
    /// An HTML page.
    Html,
}

impl LectureFormat {
    pub const ALL: [LectureFormat; 7] = [Self::Pdf, Self::Pptx, Self::Docx, Self::Odp, Self::Odt, Self::Markdown, Self::Html];
    /// For messages: the extensions accepted.
    pub const EXTENSIONS_TEXT: &'static str = ".pdf, .pptx, .docx, .odp, .odt, .md, .html";
    /// Every extension [`Self::from_extension`] takes (lower case, no dot):
    /// the bucket notification's suffix filters.
    pub const EXTENSIONS: [&'static str; 9] = ["pdf", "pptx", "docx", "odp", "odt", "md", "markdown", "html", "htm"];

    /// The format an extension (without its dot, any case) names.
    pub fn from_extension(ext: &str) -> Option<Self> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "pdf" => Self::Pdf,
            "pptx" => Self::Pptx,
            "docx" => Self::Docx,
            "odp" => Self::Odp,
            "odt" => Self::Odt,
            "md" | "markdown" => Self::Markdown,
            "html" | "htm" => Self::Html,
            _ => return None,
        })
    }

    /// `lecture 1.PPTX` → (`lecture 1`, Pptx); `None` without a lecture
    /// extension or without a name before it.
    pub fn split_name(file: &str) -> Option<(&str, Self)> {
        let dot = file.rfind('.')?;
        let (name, ext) = (&file[..dot], &file[dot + 1..]);
        if name.is_empty() || ext.contains('/') {
            return None;
        }
        Some((name, Self::from_extension(ext)?))
    }

    /// The format of an object key (`exams/week 1.odp` → Odp).
    pub fn of_key(key: &str) -> Option<Self> {
        Self::split_name(key).map(|(_, f)| f)
    }

    /// The extension written for this format (`pptx`, `md`, …).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Pptx => "pptx",
            Self::Docx => "docx",
            Self::Odp => "odp",
            Self::Odt => "odt",
            Self::Markdown => "md",
            Self::Html => "html",
        }
    }

    /// The media type an upload of this format is stored with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Odp => "application/vnd.oasis.opendocument.presentation",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
        }
    }

    /// The format a `Content-Type` names (parameters and case ignored);
    /// `None` for generic types (`application/octet-stream`, `text/plain`).
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|f| f.content_type().split(';').next() == Some(essence.as_str())).or(match essence.as_str() {
            "text/x-markdown" => Some(Self::Markdown),
            "application/xhtml+xml" => Some(Self::Html),
            "application/x-pdf" => Some(Self::Pdf),
            _ => None,
        })
    }

    /// A slide deck: each page of its text is a slide.
    pub fn is_deck(self) -> bool {
        matches!(self, Self::Pptx | Self::Odp)
    }

    /// What a page of its text is called in the sidecar and in messages.
    pub fn unit(self) -> &'static str {
        if self.is_deck() {
            "slide"
        } else {
            "page"
        }
    }

    /// For people: "PowerPoint deck", "Markdown page", …
    pub fn describe(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Pptx => "PowerPoint deck (.pptx)",
            Self::Docx => "Word document (.docx)",
            Self::Odp => "Impress deck (.odp)",
            Self::Odt => "Writer document (.odt)",
            Self::Markdown => "Markdown page",
            Self::Html => "HTML page",
        }
    }

    /// Whether `bytes` can be a file of this format, from its first bytes:
    /// a PDF header, a zip archive for Office and OpenDocument files, text
    /// for Markdown and HTML. The reason when not.
    pub fn sniff(self, bytes: &[u8]) -> Result<(), String> {
        let head = &bytes[..bytes.len().min(1024)];
        match self {
            Self::Pdf if head.windows(5).any(|w| w == b"%PDF-") => Ok(()),
            Self::Pdf => Err("it does not start with %PDF-".into()),
            Self::Pptx | Self::Docx | Self::Odp | Self::Odt if bytes.starts_with(b"PK\x03\x04") => Ok(()),
            Self::Pptx | Self::Docx if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) => {
                Err("it is a legacy binary Office file or a password-protected one (save it as .pptx/.docx without a password)".into())
            }
            Self::Pptx | Self::Docx | Self::Odp | Self::Odt => Err("it is not a zip archive".into()),
            Self::Markdown | Self::Html => {
                if head.contains(&0) && !head.starts_with(&[0xFF, 0xFE]) && !head.starts_with(&[0xFE, 0xFF]) {
                    Err("it is binary, not text".into())
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl std::fmt::Display for LectureFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// The OCR language(s) an upload's metadata names (`lang`, any case, as
/// Tesseract spells them: `eng`, `deu`, `chi_sim`, `eng+fra`); `eng` when it
/// names none. An error for anything else (it goes on a command line).
pub fn ocr_lang<'a>(meta: impl IntoIterator<Item = (&'a String, &'a String)>) -> Result<String, ParamError> {
    let Some(raw) = meta.into_iter().find(|(k, _)| bare_name(k) == "lang").map(|(_, v)| v.trim().to_string()) else {
        return Ok(DEFAULT_OCR_LANG.into());
    };
    if raw.is_empty() {
        return Ok(DEFAULT_OCR_LANG.into());
    }
    let ok = raw.len() <= 40
        && raw.split('+').count() <= 3
        && raw.split('+').all(|l| {
            let mut parts = l.splitn(2, '_');
            let code = parts.next().unwrap_or("");
            (3..=4).contains(&code.len())
                && code.bytes().all(|b| b.is_ascii_lowercase())
                && parts.next().is_none_or(|v| !v.is_empty() && v.len() <= 8 && v.bytes().all(|b| b.is_ascii_lowercase()))
        });
    if !ok {
        return Err(ParamError(format!(
            "metadata lang={raw:?} is not an OCR language (Tesseract's codes such as eng, deu, fra, chi_sim; up to three joined by +)"
        )));
    }
    Ok(raw)
}

/// The OCR language when an upload names none.
pub const DEFAULT_OCR_LANG: &str = "eng";

/// The exam's shape, from the upload's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExamParams {
    pub n_mcq: u32,
    pub n_tfq: u32,
    pub n_mcq_options: u32,
}

impl Default for ExamParams {
    /// The AWS sample's defaults: 5 multiple-choice, 3 true/false, 4 options.
    fn default() -> Self {
        Self { n_mcq: 5, n_tfq: 3, n_mcq_options: 4 }
    }
}

/// An out-of-range or non-numeric exam parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

pub const MAX_MCQ: u32 = 50;
pub const MAX_TFQ: u32 = 50;
pub const MIN_OPTIONS: u32 = 2;
pub const MAX_OPTIONS: u32 = 8;

/// The bare parameter name of a metadata entry: `X-Amz-Meta-N_mcq` and
/// `x-amz-meta-n-mcq` are both `n_mcq`.
fn bare_name(k: &str) -> String {
    let lower = k.trim().to_ascii_lowercase();
    let bare = lower.strip_prefix("x-amz-meta-").unwrap_or(&lower);
    bare.replace('-', "_")
}

impl ExamParams {
    /// Read `n_mcq`, `n_tfq`, `n_mcq_options` from user metadata (either
    /// MinIO's `X-Amz-Meta-*` names or HeadObject's bare names, any case);
    /// missing values take the defaults. Out of range or non-numeric values
    /// are an error naming the parameter.
    pub fn from_metadata<'a>(meta: impl IntoIterator<Item = (&'a String, &'a String)>) -> Result<Self, ParamError> {
        let mut p = Self::default();
        let mut found: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in meta {
            found.insert(bare_name(k), v.clone());
        }
        let read = |name: &str, default: u32, min: u32, max: u32| -> Result<u32, ParamError> {
            let Some(raw) = found.get(name) else { return Ok(default) };
            let t = raw.trim();
            if t.is_empty() {
                return Ok(default);
            }
            let v: u32 = t.parse().map_err(|_| {
                ParamError(format!("metadata {name}={raw:?} is not a whole number (allowed {min}–{max})"))
            })?;
            if v < min || v > max {
                return Err(ParamError(format!("metadata {name}={v} is out of range (allowed {min}–{max})")));
            }
            Ok(v)
        };
        p.n_mcq = read("n_mcq", p.n_mcq, 0, MAX_MCQ)?;
        p.n_tfq = read("n_tfq", p.n_tfq, 0, MAX_TFQ)?;
        p.n_mcq_options = read("n_mcq_options", p.n_mcq_options, MIN_OPTIONS, MAX_OPTIONS)?;
        if p.n_mcq + p.n_tfq == 0 {
            return Err(ParamError("metadata asks for no questions: n_mcq + n_tfq must be at least 1".into()));
        }
        Ok(p)
    }

    /// Whether the event carried any exam parameter (MinIO sends metadata in
    /// the event; AWS does not, so the function asks S3).
    pub fn present_in<'a>(meta: impl IntoIterator<Item = (&'a String, &'a String)>) -> bool {
        meta.into_iter().any(|(k, _)| matches!(bare_name(k).as_str(), "n_mcq" | "n_tfq" | "n_mcq_options"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minio(key: &str, name: &str, meta: Value) -> Value {
        json!({
            "EventName": name,
            "Key": format!("exams/{key}"),
            "Records": [{
                "eventVersion": "2.0", "eventSource": "minio:s3", "awsRegion": "",
                "eventTime": "2024-08-12T14:40:04.000Z", "eventName": name,
                "userIdentity": {"principalId": "minio"},
                "requestParameters": {"sourceIPAddress": "10.0.0.1"},
                "responseElements": {"x-amz-request-id": "17E"},
                "s3": {
                    "s3SchemaVersion": "1.0", "configurationId": "Config",
                    "bucket": {"name": "exams", "ownerIdentity": {"principalId": "minio"}, "arn": "arn:aws:s3:::exams"},
                    "object": {"key": key, "size": 1234, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                               "contentType": "application/pdf", "userMetadata": meta, "sequencer": "17E0"}
                },
                "source": {"host": "10.0.0.1", "port": "", "userAgent": "MinIO"}
            }]
        })
    }

    #[test]
    fn minio_record_with_encoded_key_and_metadata() {
        let v = minio(
            "exams/Intro+to+Caf%C3%A9+Chemistry%2B%2B.pdf",
            "s3:ObjectCreated:Put",
            json!({"X-Amz-Meta-N_mcq": "7", "X-Amz-Meta-N_tfq": "2", "content-type": "application/pdf"}),
        );
        let evs = parse_notification(&v).unwrap();
        assert_eq!(evs.len(), 1);
        let e = &evs[0];
        assert_eq!(e.key, "exams/Intro to Café Chemistry++.pdf");
        assert_eq!(e.bucket, "exams");
        assert_eq!(e.etag.as_deref(), Some("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(e.is_created());
        assert_eq!(target(e), Target::Lecture { name: "Intro to Café Chemistry++".into() });
        assert!(ExamParams::present_in(&e.user_metadata));
        let p = ExamParams::from_metadata(&e.user_metadata).unwrap();
        assert_eq!(p, ExamParams { n_mcq: 7, n_tfq: 2, n_mcq_options: 4 });
    }

    #[test]
    fn aws_record_with_quoted_etag() {
        let v = json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "exams"}, "object": {"key": "exams/week%201.PDF", "size": 9, "eTag": "\"abc\""}}
        }]});
        let e = &parse_notification(&v).unwrap()[0];
        assert_eq!(e.key, "exams/week 1.PDF");
        assert_eq!(e.etag.as_deref(), Some("abc"));
        assert_eq!(target(e), Target::Lecture { name: "week 1".into() });
        assert!(!ExamParams::present_in(&e.user_metadata));
    }

    #[test]
    fn sns_wrapped_and_test_events() {
        let inner = json!({"Records": [{"eventName": "ObjectCreated:Post",
            "s3": {"bucket": {"name": "exams"}, "object": {"key": "exams/a.pdf"}}}]});
        let sns = json!({"Type": "Notification", "Message": inner.to_string()});
        assert_eq!(parse_notification(&sns).unwrap()[0].key, "exams/a.pdf");
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "exams"});
        assert!(parse_notification(&test).unwrap().is_empty());
        assert!(parse_notification(&json!({"EventName": "s3:ObjectRemoved:Delete", "Key": "exams/x"})).unwrap().is_empty());
    }

    #[test]
    fn malformed_notifications_are_explained() {
        assert!(matches!(parse_notification(&json!([1, 2])), Err(EventError::Shape(_))));
        assert!(parse_notification(&json!({"hello": "world"})).unwrap_err().to_string().contains("Records"));
        let err = parse_notification(&json!({"Records": [{"eventName": "x"}]})).unwrap_err();
        assert!(err.to_string().contains("Records[0]"), "{err}");
        let bad_key = json!({"Records": [{"eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "exams/%E9.pdf"}}}]});
        assert!(matches!(parse_notification(&bad_key), Err(EventError::Key { .. })));
        assert!(decode_key("a%2").is_err());
        assert!(decode_key("a%zz").is_err());
    }

    #[test]
    fn only_created_pdfs_under_exams_are_lectures() {
        let ev = |name: &str, key: &str| ObjectEvent { event_name: name.into(), key: key.into(), ..Default::default() };
        assert!(matches!(target(&ev("s3:ObjectRemoved:Delete", "exams/a.pdf")), Target::Ignore(_)));
        assert!(matches!(target(&ev("s3:ObjectCreated:Put", "exams/a.doc")), Target::Ignore(_)));
        assert!(matches!(target(&ev("s3:ObjectCreated:Put", "exams/a.txt")), Target::Ignore(_)));
        assert!(matches!(target(&ev("s3:ObjectCreated:Put", "exams/pdf")), Target::Ignore(_)));
        assert!(matches!(target(&ev("s3:ObjectCreated:Put", "questions_bank/a.json")), Target::Ignore(_)));
        assert!(matches!(target(&ev("s3:ObjectCreated:Put", "exams/.pdf")), Target::Ignore(_)));
        assert!(matches!(target(&ev("s3:ObjectCreated:Put", "other/a.pdf")), Target::Ignore(_)));
        assert_eq!(
            target(&ev("s3:ObjectCreated:CompleteMultipartUpload", "exams/Week 3/Ω.Pdf")),
            Target::Lecture { name: "Week 3/Ω".into() }
        );
    }

    #[test]
    fn every_lecture_format_is_a_lecture() {
        let ev = |key: &str| ObjectEvent { event_name: "s3:ObjectCreated:Put".into(), key: key.into(), ..Default::default() };
        for (key, name, format) in [
            ("exams/Week 1.pptx", "Week 1", LectureFormat::Pptx),
            ("exams/notes.DOCX", "notes", LectureFormat::Docx),
            ("exams/deck.odp", "deck", LectureFormat::Odp),
            ("exams/handout.odt", "handout", LectureFormat::Odt),
            ("exams/README.md", "README", LectureFormat::Markdown),
            ("exams/page.markdown", "page", LectureFormat::Markdown),
            ("exams/course/intro.html", "course/intro", LectureFormat::Html),
            ("exams/old.htm", "old", LectureFormat::Html),
            ("exams/v1.2.pdf", "v1.2", LectureFormat::Pdf),
        ] {
            assert_eq!(target(&ev(key)), Target::Lecture { name: name.into() }, "{key}");
            assert_eq!(LectureFormat::of_key(key), Some(format), "{key}");
        }
        assert!(matches!(target(&ev("exams/.md")), Target::Ignore(_)));
        assert_eq!(LectureFormat::of_key("exams/a.md/b"), None);
    }

    #[test]
    fn formats_by_content_type_and_first_bytes() {
        for e in LectureFormat::EXTENSIONS {
            assert!(LectureFormat::from_extension(e).is_some(), "{e}");
        }
        for f in LectureFormat::ALL {
            assert_eq!(LectureFormat::from_content_type(f.content_type()), Some(f));
            assert_eq!(LectureFormat::from_extension(f.extension()), Some(f));
        }
        assert_eq!(LectureFormat::from_content_type("Text/HTML"), Some(LectureFormat::Html));
        assert_eq!(LectureFormat::from_content_type("application/octet-stream"), None);
        assert!(LectureFormat::Pptx.sniff(b"PK\x03\x04rest").is_ok());
        assert!(LectureFormat::Docx.sniff(b"%PDF-1.4").unwrap_err().contains("zip"));
        assert!(LectureFormat::Docx.sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1]).unwrap_err().contains("legacy"));
        assert!(LectureFormat::Markdown.sniff(b"# Cells\n").is_ok());
        assert!(LectureFormat::Html.sniff(b"\x00\x01binary").is_err());
        assert_eq!(LectureFormat::Odp.unit(), "slide");
        assert_eq!(LectureFormat::Odt.unit(), "page");
    }

    #[test]
    fn the_ocr_language_is_checked() {
        let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(ocr_lang(&m(&[])).unwrap(), "eng");
        assert_eq!(ocr_lang(&m(&[("X-Amz-Meta-Lang", "deu")])).unwrap(), "deu");
        assert_eq!(ocr_lang(&m(&[("lang", "eng+chi_sim")])).unwrap(), "eng+chi_sim");
        for bad in ["--psm", "en", "ENG", "eng+fra+deu+ita", "eng;rm", "../x", "eng_"] {
            assert!(ocr_lang(&m(&[("lang", bad)])).is_err(), "{bad}");
        }
    }

    #[test]
    fn params_defaults_case_and_ranges() {
        let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(ExamParams::from_metadata(&m(&[])).unwrap(), ExamParams::default());
        let p = ExamParams::from_metadata(&m(&[("n_mcq", "0"), ("N_TFQ", " 4 "), ("x-amz-meta-n-mcq-options", "8")]))
            .unwrap();
        assert_eq!(p, ExamParams { n_mcq: 0, n_tfq: 4, n_mcq_options: 8 });
        let err = ExamParams::from_metadata(&m(&[("X-Amz-Meta-N_mcq", "ten")])).unwrap_err();
        assert!(err.0.contains("n_mcq") && err.0.contains("not a whole number"), "{err}");
        let err = ExamParams::from_metadata(&m(&[("n_mcq_options", "1")])).unwrap_err();
        assert!(err.0.contains("n_mcq_options=1") && err.0.contains("2–8"), "{err}");
        assert!(ExamParams::from_metadata(&m(&[("n_tfq", "51")])).is_err());
        assert!(ExamParams::from_metadata(&m(&[("n_mcq", "-1")])).is_err());
        let err = ExamParams::from_metadata(&m(&[("n_mcq", "0"), ("n_tfq", "0")])).unwrap_err();
        assert!(err.0.contains("at least 1"), "{err}");
    }
}
