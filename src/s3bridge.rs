//! The local S3 endpoint: a reverse proxy in front of the s3s-fs server that
//! emits MinIO-format bucket notifications to Kafka.
//!
//! In the cluster MinIO publishes an `s3:ObjectCreated:*` record to
//! `exam-generator-topic` for every `exams/*.pdf` upload (and every other
//! lecture format's: `.pptx`, `.docx`, `.odp`, `.odt`, `.md`, `.html`, …). s3s-fs stores objects
//! on disk with real SigV4 checks but has no notifications, so the local
//! platform puts this bridge in front of it: every request is forwarded
//! unchanged (the `Host` header included, so signatures stay valid); when an
//! object-creating request succeeds and its key matches the filter, the bridge
//! reads the object's metadata back and produces the record MinIO would
//! produce — key `<bucket>/<key>`, value `{EventName, Key, Records:[…]}` —
//! before it answers the client. A failed produce is retried in the
//! background, so an accepted upload is never left without its event.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use examfn_runtime::kafka::Emitter;
use serde_json::json;

/// What the bridge needs.
#[derive(Clone)]
pub struct Bridge {
    pub backend: String,
    pub http: reqwest::Client,
    pub s3: aws_sdk_s3::Client,
    pub emitter: Emitter,
    pub topic: String,
    pub prefix: String,
    /// Lower-case suffixes (`.pdf`, `.pptx`, …): a key ending in any of them is published.
    pub suffixes: Vec<String>,
    pub public_endpoint: String,
}

/// The router: every method, every path, forwarded.
pub fn router(bridge: Arc<Bridge>) -> Router {
    Router::new().fallback(forward).with_state(bridge)
}

/// `(bucket, key)` of a path-style object URL path (percent-decoded).
pub fn split_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix('/')?;
    let (bucket, key) = rest.split_once('/')?;
    if bucket.is_empty() || key.is_empty() {
        return None;
    }
    let key = percent_decode(key)?;
    Some((bucket.to_string(), key))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Go's `url.QueryEscape`, which MinIO applies to `s3.object.key`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Which event an object-creating request is, if it is one.
pub fn created_event(method: &Method, query: &str, headers: &HeaderMap) -> Option<&'static str> {
    let params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).map(|p| p.split('=').next().unwrap_or("")).collect();
    let has = |name: &str| params.contains(&name);
    if *method == Method::PUT {
        // Sub-resource writes (parts, tags, ACLs, ...) create no object.
        if params.iter().any(|p| matches!(*p, "partNumber" | "uploadId" | "tagging" | "acl" | "retention" | "legal-hold")) {
            return None;
        }
        return Some(if headers.contains_key("x-amz-copy-source") { "s3:ObjectCreated:Copy" } else { "s3:ObjectCreated:Put" });
    }
    if *method == Method::POST && has("uploadId") {
        return Some("s3:ObjectCreated:CompleteMultipartUpload");
    }
    None
}

async fn forward(State(b): State<Arc<Bridge>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let url = if query.is_empty() { format!("{}{path}", b.backend) } else { format!("{}{path}?{query}", b.backend) };
    let mut out = b.http.request(parts.method.clone(), &url);
    for (name, value) in parts.headers.iter() {
        if name == "connection" || name == "transfer-encoding" {
            continue;
        }
        out = out.header(name, value);
    }
    // A body with a declared length is streamed through. Otherwise it is read
    // whole and sent with its length: a streamed body without one would go
    // out chunked, which S3 servers refuse (411 on DELETE, 500 on an empty PUT).
    if parts.headers.contains_key("content-length") {
        out = out.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    } else {
        match axum::body::to_bytes(body, 256 * 1024 * 1024).await {
            Ok(b) => out = out.body(b),
            Err(e) => return (StatusCode::PAYLOAD_TOO_LARGE, format!("request body: {e}")).into_response(),
        }
    }
    let resp = match out.send().await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "s3 backend unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "s3 backend unavailable").into_response();
        }
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    // Object-creating requests answer small bodies: read them whole so the
    // notification goes out before the client hears success.
    if status.is_success() {
        if let Some(event_name) = created_event(&parts.method, &query, &parts.headers) {
            if let Some((bucket, key)) = split_path(&path) {
                let body = resp.bytes().await.unwrap_or_default();
                if key.starts_with(&b.prefix) && b.suffixes.iter().any(|s| key.to_ascii_lowercase().ends_with(s.as_str())) {
                    let source_ip = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1").to_string();
                    let user_agent = parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    notify(b.clone(), event_name, bucket, key, source_ip, user_agent).await;
                }
                return respond(status, &headers, Body::from(body));
            }
        }
    }
    respond(status, &headers, Body::from_stream(resp.bytes_stream()))
}

fn respond(status: StatusCode, headers: &HeaderMap, body: Body) -> Response {
    let mut r = Response::builder().status(status);
    for (name, value) in headers.iter() {
        if name == "connection" || name == "transfer-encoding" {
            continue;
        }
        r = r.header(name, value);
    }
    r.body(body).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

/// Build the record and produce it; on failure keep retrying in the background.
async fn notify(b: Arc<Bridge>, event_name: &'static str, bucket: String, key: String, source_ip: String, user_agent: String) {
    let head = b.s3.head_object().bucket(&bucket).key(&key).send().await;
    let (size, etag, content_type, meta) = match head {
        Ok(h) => (
            h.content_length().unwrap_or(0),
            h.e_tag().unwrap_or("").trim_matches('"').to_string(),
            h.content_type().unwrap_or("application/octet-stream").to_string(),
            h.metadata().cloned().unwrap_or_default(),
        ),
        Err(e) => {
            tracing::warn!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), %key, "cannot read object metadata for the notification");
            (0, String::new(), "application/octet-stream".into(), Default::default())
        }
    };
    let value = minio_record(event_name, &bucket, &key, size, &etag, &content_type, &meta, &b.public_endpoint, &source_ip, &user_agent);
    let record_key = format!("{bucket}/{key}");
    let payload = serde_json::to_vec(&value).expect("json");
    let mut attempt = 0u32;
    loop {
        match b.emitter.send(&b.topic, Some(record_key.as_bytes()), Some(&payload), &[]).await {
            Ok(()) => {
                tracing::info!(key = %record_key, event = event_name, topic = %b.topic, "bucket notification sent");
                return;
            }
            Err(e) => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "bucket notification not delivered yet; retrying");
                if attempt == 1 {
                    // Answer the client now; keep trying in the background.
                    let b2 = b.clone();
                    let (k, p) = (record_key.clone(), payload.clone());
                    tokio::spawn(async move {
                        let mut n = 1u32;
                        loop {
                            tokio::time::sleep(examfn_runtime::kafka::backoff(Duration::from_millis(500), Duration::from_secs(30), n)).await;
                            if b2.emitter.send(&b2.topic, Some(k.as_bytes()), Some(&p), &[]).await.is_ok() {
                                tracing::info!(key = %k, "bucket notification delivered after retries");
                                return;
                            }
                            n += 1;
                        }
                    });
                    return;
                }
            }
        }
    }
}

/// The value MinIO writes to its Kafka target for one object event.
#[allow(clippy::too_many_arguments)]
pub fn minio_record(
    event_name: &str,
    bucket: &str,
    key: &str,
    size: i64,
    etag: &str,
    content_type: &str,
    meta: &std::collections::HashMap<String, String>,
    endpoint: &str,
    source_ip: &str,
    user_agent: &str,
) -> serde_json::Value {
    let now = chrono::Utc::now();
    let mut user_metadata = serde_json::Map::new();
    for (k, v) in meta {
        // MinIO reports user metadata with its canonical header name, e.g. X-Amz-Meta-N_mcq.
        let mut name: Vec<char> = k.chars().collect();
        if let Some(c) = name.first_mut() {
            *c = c.to_ascii_uppercase();
        }
        let name: String = name.into_iter().collect();
        user_metadata.insert(format!("X-Amz-Meta-{name}"), json!(v));
    }
    user_metadata.insert("content-type".into(), json!(content_type));
    let sequencer = format!("{:016X}", now.timestamp_nanos_opt().unwrap_or(0));
    json!({
        "EventName": event_name,
        "Key": format!("{bucket}/{key}"),
        "Records": [{
            "eventVersion": "2.0",
            "eventSource": "minio:s3",
            "awsRegion": "",
            "eventTime": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "eventName": event_name,
            "userIdentity": {"principalId": "examfn-local"},
            "requestParameters": {"principalId": "examfn-local", "region": "", "sourceIPAddress": source_ip},
            "responseElements": {
                "x-amz-id-2": "examfn-local",
                "x-amz-request-id": sequencer,
                "x-minio-deployment-id": "examfn-local",
                "x-minio-origin-endpoint": endpoint
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "Config",
                "bucket": {"name": bucket, "ownerIdentity": {"principalId": "examfn-local"}, "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {
                    "key": query_escape(key),
                    "size": size,
                    "eTag": etag,
                    "contentType": content_type,
                    "userMetadata": user_metadata,
                    "sequencer": sequencer
                }
            },
            "source": {"host": source_ip, "port": "", "userAgent": user_agent}
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_escaping() {
        assert_eq!(split_path("/exams/exams/lecture%201.pdf"), Some(("exams".into(), "exams/lecture 1.pdf".into())));
        assert_eq!(split_path("/exams"), None);
        assert_eq!(split_path("/exams/"), None);
        assert_eq!(query_escape("exams/lecture 1+é.pdf"), "exams%2Flecture+1%2B%C3%A9.pdf");
    }

    #[test]
    fn only_object_creations_notify() {
        let h = HeaderMap::new();
        assert_eq!(created_event(&Method::PUT, "", &h), Some("s3:ObjectCreated:Put"));
        assert_eq!(created_event(&Method::PUT, "partNumber=1&uploadId=x", &h), None);
        assert_eq!(created_event(&Method::PUT, "tagging", &h), None);
        assert_eq!(created_event(&Method::POST, "uploadId=x", &h), Some("s3:ObjectCreated:CompleteMultipartUpload"));
        assert_eq!(created_event(&Method::POST, "uploads", &h), None);
        assert_eq!(created_event(&Method::GET, "", &h), None);
        let mut c = HeaderMap::new();
        c.insert("x-amz-copy-source", "/exams/a.pdf".parse().unwrap());
        assert_eq!(created_event(&Method::PUT, "", &c), Some("s3:ObjectCreated:Copy"));
    }

    #[test]
    fn record_has_minio_shape() {
        let mut meta = std::collections::HashMap::new();
        meta.insert("n_mcq".to_string(), "7".to_string());
        let v = minio_record("s3:ObjectCreated:Put", "exams", "exams/a b.pdf", 10, "abc", "application/pdf", &meta, "http://x", "127.0.0.1", "ua");
        assert_eq!(v["Key"], "exams/exams/a b.pdf");
        let r = &v["Records"][0];
        assert_eq!(r["eventSource"], "minio:s3");
        assert_eq!(r["s3"]["object"]["key"], "exams%2Fa+b.pdf");
        assert_eq!(r["s3"]["object"]["userMetadata"]["X-Amz-Meta-N_mcq"], "7");
        assert_eq!(r["s3"]["bucket"]["name"], "exams");
    }
}
