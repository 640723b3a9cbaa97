//! Turning transport messages into CloudEvents and back.
//!
//! * HTTP: binary mode (`ce-*` headers), structured mode
//!   (`application/cloudevents+json`), or a plain JSON body without `ce-*`
//!   headers (MinIO's webhook target), which is wrapped into an event.
//! * Kafka: records with `ce_*` headers are the CloudEvents they are (binary
//!   mode), `content-type: application/cloudevents+json` records are structured
//!   events, and any other record is wrapped exactly as a Knative KafkaSource
//!   wraps it (`dev.knative.kafka.event`, `id partition:P/offset:O`, ...).

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use cloudevents::event::{Data, ExtensionValue};
use cloudevents::{AttributesReader, Event, EventBuilder, EventBuilderV10};
use serde::de::DeserializeOwned;

use crate::FnError;

/// Type of a Kafka record that was not a CloudEvent, as KafkaSource names it.
pub const KAFKA_EVENT_TYPE: &str = "dev.knative.kafka.event";
/// Type given to a plain JSON body POSTed without CloudEvents headers.
pub const PLAIN_HTTP_EVENT_TYPE: &str = "dev.examfn.http.json";
const STRUCTURED: &str = "application/cloudevents+json";

/// The data of an event as bytes (JSON data serialised).
pub fn data_bytes(event: &Event) -> Option<Vec<u8>> {
    match event.data()? {
        Data::Binary(b) => Some(b.clone()),
        Data::String(s) => Some(s.clone().into_bytes()),
        Data::Json(v) => Some(serde_json::to_vec(v).expect("a JSON value serialises")),
    }
}

/// The data of an event parsed as JSON into `T`; a missing or malformed
/// payload is [`FnError::BadInput`] with the parser's reason.
pub fn data_json<T: DeserializeOwned>(event: &Event) -> Result<T, FnError> {
    match event.data() {
        None => Err(FnError::bad_input("the event has no data")),
        Some(Data::Json(v)) => serde_json::from_value(v.clone())
            .map_err(|e| FnError::bad_input(format!("event data does not have the expected shape: {e}"))),
        Some(Data::String(s)) => serde_json::from_str(s)
            .map_err(|e| FnError::bad_input(format!("event data is not the expected JSON: {e}"))),
        Some(Data::Binary(b)) => serde_json::from_slice(b)
            .map_err(|e| FnError::bad_input(format!("event data is not the expected JSON: {e}"))),
    }
}

/// A string extension attribute, if present.
pub fn extension_str<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    match event.extension(name)? {
        ExtensionValue::String(s) => Some(s),
        _ => None,
    }
}

/// Extract an event from an HTTP request.
pub fn from_http(headers: &HeaderMap, body: &[u8], path: &str) -> Result<Event, FnError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if headers.contains_key("ce-specversion") || content_type.starts_with(STRUCTURED) {
        return cloudevents::binding::http::to_event(headers, body.to_vec())
            .map_err(|e| FnError::bad_input(format!("not a valid CloudEvent: {e}")));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(FnError::bad_input(
            "empty body without CloudEvents headers: send a CloudEvent or a JSON document",
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        FnError::bad_input(format!("body is neither a CloudEvent (no ce-* headers) nor valid JSON: {e}"))
    })?;
    EventBuilderV10::new()
        .id(uuid::Uuid::new_v4().to_string())
        .ty(PLAIN_HTTP_EVENT_TYPE)
        .source(format!("/http{path}"))
        .time(chrono::Utc::now())
        .data("application/json", value)
        .build()
        .map_err(|e| FnError::bad_input(format!("cannot wrap body into an event: {e}")))
}

/// A Kafka record, independent of the client library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KafkaRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp_ms: Option<i64>,
}

impl KafkaRecord {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Where a KafkaSource says a wrapped record came from.
pub fn kafka_source(namespace: &str, source_name: &str, topic: &str) -> String {
    format!("/apis/v1/namespaces/{namespace}/kafkasources/{source_name}#{topic}")
}

/// Turn a record into the event a KafkaSource would deliver.
pub fn from_kafka(record: &KafkaRecord, namespace: &str, source_name: &str) -> Result<Event, FnError> {
    let content_type = record
        .header("content-type")
        .map(|v| String::from_utf8_lossy(v).to_ascii_lowercase())
        .unwrap_or_default();
    if record.header("ce_specversion").is_some() {
        // Binary mode: reuse the SDK's HTTP deserializer on `ce-` headers.
        let mut headers = HeaderMap::new();
        for (k, v) in &record.headers {
            let Some(v) = v else { continue };
            let lower = k.to_ascii_lowercase();
            let name = if let Some(rest) = lower.strip_prefix("ce_") {
                format!("ce-{rest}")
            } else if lower == "content-type" {
                lower
            } else {
                continue;
            };
            let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_bytes(v)) else {
                return Err(FnError::bad_input(format!("record header {k:?} is not a valid CloudEvents attribute")));
            };
            headers.insert(name, value);
        }
        return cloudevents::binding::http::to_event(&headers, record.value.clone().unwrap_or_default())
            .map_err(|e| FnError::bad_input(format!("record has ce_ headers but is not a valid CloudEvent: {e}")));
    }
    if content_type.starts_with(STRUCTURED) {
        let value = record.value.as_deref().unwrap_or_default();
        return serde_json::from_slice(value)
            .map_err(|e| FnError::bad_input(format!("structured CloudEvent record is invalid: {e}")));
    }
    let mut b = EventBuilderV10::new()
        .id(format!("partition:{}/offset:{}", record.partition, record.offset))
        .ty(KAFKA_EVENT_TYPE)
        .source(kafka_source(namespace, source_name, &record.topic))
        .subject(format!("partition:{}#{}", record.partition, record.offset));
    if let Some(ms) = record.timestamp_ms {
        if let Some(t) = chrono::DateTime::from_timestamp_millis(ms) {
            b = b.time(t);
        }
    }
    if let Some(key) = &record.key {
        b = b.extension("key", String::from_utf8_lossy(key).into_owned());
    }
    for (k, v) in &record.headers {
        let name: String = k.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        if let Some(v) = v {
            b = b.extension(&format!("kafkaheader{name}"), String::from_utf8_lossy(v).into_owned());
        }
    }
    if let Some(value) = &record.value {
        b = b.data(
            if content_type.is_empty() { "application/octet-stream".to_string() } else { content_type },
            value.clone(),
        );
    }
    b.build().map_err(|e| FnError::bad_input(format!("cannot wrap record into an event: {e}")))
}

/// Kafka record headers: (name, value) pairs.
pub type KafkaHeaders = Vec<(String, Vec<u8>)>;

/// Binary-mode Kafka headers (`ce_*`, `content-type`) and value for an event.
pub fn to_kafka(event: &Event) -> (KafkaHeaders, Option<Vec<u8>>) {
    let mut headers = Vec::new();
    for (name, value) in event.iter() {
        if name == "datacontenttype" {
            headers.push(("content-type".to_string(), value.to_string().into_bytes()));
        } else {
            headers.push((format!("ce_{name}"), value.to_string().into_bytes()));
        }
    }
    (headers, data_bytes(event))
}

/// Build an event with JSON data: the way functions create what they emit.
pub fn json_event(id: impl Into<String>, ty: &str, source: &str, subject: Option<&str>, data: serde_json::Value) -> Event {
    let mut b = EventBuilderV10::new().id(id).ty(ty).source(source).time(chrono::Utc::now());
    if let Some(s) = subject {
        b = b.subject(s);
    }
    b.data("application/json", data).build().expect("id, type and source are set")
}

/// `id`, `type` and `source` for log spans.
pub fn describe(event: &Event) -> (String, String, String) {
    (event.id().to_string(), event.ty().to_string(), event.source().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn binary_mode_http() {
        let mut h = HeaderMap::new();
        h.insert("ce-specversion", HeaderValue::from_static("1.0"));
        h.insert("ce-id", HeaderValue::from_static("abc"));
        h.insert("ce-type", HeaderValue::from_static("t.x"));
        h.insert("ce-source", HeaderValue::from_static("/s"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let ev = from_http(&h, br#"{"a":1}"#, "/").unwrap();
        assert_eq!(ev.id(), "abc");
        assert_eq!(data_json::<serde_json::Value>(&ev).unwrap(), json!({"a":1}));
    }

    #[test]
    fn structured_mode_http() {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/cloudevents+json; charset=utf-8"));
        let body = json!({"specversion":"1.0","id":"9","type":"t","source":"/s","datacontenttype":"application/json","data":{"k":"v"}});
        let ev = from_http(&h, body.to_string().as_bytes(), "/").unwrap();
        assert_eq!(ev.id(), "9");
        assert_eq!(data_json::<serde_json::Value>(&ev).unwrap()["k"], "v");
    }

    #[test]
    fn plain_json_is_wrapped_and_garbage_is_refused() {
        let ev = from_http(&HeaderMap::new(), br#"{"EventName":"s3:ObjectCreated:Put"}"#, "/").unwrap();
        assert_eq!(ev.ty(), PLAIN_HTTP_EVENT_TYPE);
        assert_eq!(data_json::<serde_json::Value>(&ev).unwrap()["EventName"], "s3:ObjectCreated:Put");
        let err = from_http(&HeaderMap::new(), b"not json", "/").unwrap_err();
        assert!(matches!(err, FnError::BadInput(_)));
        assert!(err.message().contains("nor valid JSON"));
        assert!(from_http(&HeaderMap::new(), b"  ", "/").is_err());
        let mut h = HeaderMap::new();
        h.insert("ce-specversion", HeaderValue::from_static("0.1"));
        assert!(matches!(from_http(&h, b"{}", "/"), Err(FnError::BadInput(_))));
    }

    #[test]
    fn plain_record_is_wrapped_like_a_kafkasource() {
        let rec = KafkaRecord {
            topic: "exam-generator-topic".into(),
            partition: 2,
            offset: 41,
            key: Some(b"exams/exams/a.pdf".to_vec()),
            value: Some(br#"{"EventName":"s3:ObjectCreated:Put"}"#.to_vec()),
            headers: vec![("X-Trace".into(), Some(b"t1".to_vec()))],
            timestamp_ms: Some(1_700_000_000_000),
        };
        let ev = from_kafka(&rec, "exam", "exam-gen").unwrap();
        assert_eq!(ev.id(), "partition:2/offset:41");
        assert_eq!(ev.ty(), KAFKA_EVENT_TYPE);
        assert_eq!(ev.source().to_string(), "/apis/v1/namespaces/exam/kafkasources/exam-gen#exam-generator-topic");
        assert_eq!(ev.subject(), Some("partition:2#41"));
        assert_eq!(extension_str(&ev, "key"), Some("exams/exams/a.pdf"));
        assert_eq!(extension_str(&ev, "kafkaheaderxtrace"), Some("t1"));
        assert_eq!(ev.time().unwrap().timestamp_millis(), 1_700_000_000_000);
        assert_eq!(data_json::<serde_json::Value>(&ev).unwrap()["EventName"], "s3:ObjectCreated:Put");
    }

    #[test]
    fn tombstone_has_no_data() {
        let rec = KafkaRecord { topic: "t".into(), key: Some(b"k".to_vec()), ..Default::default() };
        let ev = from_kafka(&rec, "ns", "src").unwrap();
        assert!(ev.data().is_none());
        assert!(data_json::<serde_json::Value>(&ev).is_err());
    }

    #[test]
    fn emitted_event_round_trips_through_kafka_headers() {
        let ev = json_event("m-1", "dev.examfn.email.v1", "/examfn/score-calc", Some("s"), json!({"subject":"x"}));
        let (headers, value) = to_kafka(&ev);
        let rec = KafkaRecord {
            topic: "email-topic".into(),
            headers: headers.into_iter().map(|(k, v)| (k, Some(v))).collect(),
            value,
            ..Default::default()
        };
        let back = from_kafka(&rec, "ns", "src").unwrap();
        assert_eq!(back.id(), "m-1");
        assert_eq!(back.ty(), "dev.examfn.email.v1");
        assert_eq!(back.subject(), Some("s"));
        assert_eq!(data_json::<serde_json::Value>(&back).unwrap(), json!({"subject":"x"}));
        assert_eq!(back.time(), ev.time());
    }
}
