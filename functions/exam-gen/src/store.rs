//! The edges of exam-gen: the bucket (S3), the status documents (MongoDB)
//! and the notices (Kafka). Each is a small type with the few calls the
//! handler makes; every failure is classified here.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use examfn_domain::email::EmailMessage;
use examfn_domain::names;
use examfn_runtime::event::json_event;
use examfn_runtime::kafka::Emitter;
use examfn_runtime::FnError;
use mongodb::bson::{doc, Document};
use serde::{Deserialize, Serialize};

/// What a HeadObject says about the current version of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub etag: String,
    pub size: i64,
    /// User metadata, bare lower-case names (`n_mcq`).
    pub metadata: BTreeMap<String, String>,
}

/// The bucket.
#[derive(Clone, Debug)]
pub struct Bucket {
    pub client: aws_sdk_s3::Client,
    pub name: String,
}

impl Bucket {
    /// The object's current version, or None when it is gone.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, FnError> {
        match self.client.head_object().bucket(&self.name).key(key).send().await {
            Ok(h) => Ok(Some(ObjectInfo {
                etag: h.e_tag().unwrap_or_default().trim_matches('"').to_string(),
                size: h.content_length().unwrap_or(0),
                metadata: h
                    .metadata()
                    .map(|m| m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect())
                    .unwrap_or_default(),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(examfn_runtime::s3::classify("HeadObject", e)),
        }
    }

    /// The object's bytes, or None when it is gone.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FnError> {
        match self.client.get_object().bucket(&self.name).key(key).send().await {
            Ok(o) => {
                let body = o
                    .body
                    .collect()
                    .await
                    .map_err(|e| FnError::unavailable(format!("s3 GetObject {key}: reading the body failed: {e}")))?;
                Ok(Some(body.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(examfn_runtime::s3::classify("GetObject", e)),
        }
    }

    pub async fn put_json(&self, key: &str, body: Vec<u8>) -> Result<(), FnError> {
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| examfn_runtime::s3::classify("PutObject", e))
    }
}

/// Generation state of an exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Generating,
    Ready,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Generating => "generating",
            State::Ready => "ready",
            State::Failed => "failed",
        }
    }
}

/// The parts of a status document the handler decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub etag: String,
    pub state: State,
    pub notified: bool,
    pub reason: Option<String>,
}

/// A boolean field: `true`, or `1` (the SQLite-backed test server stores a
/// `$set` boolean as an integer).
pub fn bool_of(d: &Document, key: &str) -> bool {
    use mongodb::bson::Bson;
    matches!(d.get(key), Some(Bson::Boolean(true)) | Some(Bson::Int32(1)) | Some(Bson::Int64(1)))
}

/// An integer field stored as int32, int64 or double.
pub fn int_of(d: &Document, key: &str) -> Option<i64> {
    use mongodb::bson::Bson;
    match d.get(key)? {
        Bson::Int32(v) => Some(i64::from(*v)),
        Bson::Int64(v) => Some(*v),
        Bson::Double(v) => Some(*v as i64),
        _ => None,
    }
}

/// `exams.exams`: one document per exam name.
#[derive(Clone, Debug)]
pub struct Statuses {
    pub db: mongodb::Database,
}

impl Statuses {
    fn coll(&self) -> mongodb::Collection<Document> {
        self.db.collection(names::EXAMS_COLLECTION)
    }

    pub async fn get(&self, name: &str) -> Result<Option<Status>, FnError> {
        let d = self.coll().find_one(doc! {"_id": name}).await.map_err(examfn_runtime::mongo::classify)?;
        Ok(d.and_then(|d| {
            let state = match d.get_str("state").ok()? {
                "generating" => State::Generating,
                "ready" => State::Ready,
                "failed" => State::Failed,
                _ => return None,
            };
            Some(Status {
                etag: d.get_str("etag").unwrap_or_default().to_string(),
                state,
                notified: bool_of(&d, "notified"),
                reason: d.get_str("reason").ok().map(str::to_string),
            })
        }))
    }

    /// Set fields of the exam's document (created if missing); `updated_at` is added.
    pub async fn set(&self, name: &str, mut fields: Document) -> Result<(), FnError> {
        fields.insert("updated_at", mongodb::bson::DateTime::now());
        self.coll()
            .update_one(doc! {"_id": name}, doc! {"$set": fields})
            .upsert(true)
            .await
            .map(|_| ())
            .map_err(examfn_runtime::mongo::classify)
    }

    pub async fn ping(&self) -> Result<(), String> {
        examfn_runtime::mongo::ping(&self.db).await
    }
}

/// Emits email requests on `email-topic`.
#[derive(Clone, Debug)]
pub struct Notices {
    pub emitter: Emitter,
    pub topic: String,
}

/// CloudEvent source of exam-gen's notices.
pub const EVENT_SOURCE: &str = "/examfn/exam-gen";

impl Notices {
    /// Emit a notice as a `dev.examfn.email.v1` CloudEvent keyed by its
    /// message id (the event id is the message id too).
    pub async fn send(&self, msg: &EmailMessage, subject: &str) -> Result<(), FnError> {
        let data = serde_json::to_value(msg).map_err(|e| FnError::permanent(format!("notice: {e}")))?;
        let ev = json_event(msg.message_id.clone(), names::EMAIL_EVENT_TYPE, EVENT_SOURCE, Some(subject), data);
        self.emitter.emit(&self.topic, &msg.message_id, &ev).await
    }
}
