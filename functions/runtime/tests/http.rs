//! The HTTP transport, driven through `Service::app` without a socket:
//! binary and structured CloudEvents, plain JSON, and the 400/413/422/503 paths.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use examfn_runtime::cloudevents::{AttributesReader, Event};
use examfn_runtime::{event, FnError, Handler, Outcome, Service};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// Echoes the event's type and data; `{"fail": "..."}` selects an error class.
struct Echo;

impl Handler for Echo {
    async fn handle(&self, ev: Event) -> Result<Outcome, FnError> {
        let v: Value = event::data_json(&ev)?;
        match v["fail"].as_str() {
            Some("permanent") => Err(FnError::permanent("the lecture has no text")),
            Some("unavailable") => Err(FnError::unavailable("mongodb is down")),
            Some("skip") => Ok(Outcome::skipped("not ours")),
            _ => Ok(Outcome::done(json!({"type": ev.ty(), "data": v}))),
        }
    }
    async fn ready(&self) -> Result<(), String> {
        Err("mongodb: connection refused".into())
    }
}

fn app(limit: usize) -> axum::Router {
    Service::new("echo", Arc::new(Echo)).app(limit)
}

async fn call(app: axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn binary_mode_event_is_handled() {
    let req = Request::post("/")
        .header("ce-specversion", "1.0")
        .header("ce-id", "1")
        .header("ce-type", "dev.knative.kafka.event")
        .header("ce-source", "/apis/v1/namespaces/exam/kafkasources/exam-gen#exam-generator-topic")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"Key":"exams/exams/a.pdf"}"#))
        .unwrap();
    let (status, body) = call(app(1024), req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "done");
    assert_eq!(body["result"]["type"], "dev.knative.kafka.event");
    assert_eq!(body["result"]["data"]["Key"], "exams/exams/a.pdf");
}

#[tokio::test]
async fn structured_mode_event_is_handled() {
    let ce = json!({"specversion": "1.0", "id": "2", "type": "t.structured", "source": "/s",
                    "datacontenttype": "application/json", "data": {"n": 1}});
    let req = Request::post("/").header("content-type", "application/cloudevents+json").body(Body::from(ce.to_string())).unwrap();
    let (status, body) = call(app(1024), req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"]["type"], "t.structured");
    assert_eq!(body["result"]["data"]["n"], 1);
}

#[tokio::test]
async fn plain_json_from_a_webhook_is_wrapped() {
    let req = Request::post("/").header("content-type", "application/json").body(Body::from(r#"{"EventName":"s3:ObjectCreated:Put"}"#)).unwrap();
    let (status, body) = call(app(1024), req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"]["type"], event::PLAIN_HTTP_EVENT_TYPE);
    assert_eq!(body["result"]["data"]["EventName"], "s3:ObjectCreated:Put");
}

#[tokio::test]
async fn malformed_input_is_400_with_a_message() {
    let (status, body) = call(app(1024), Request::post("/").body(Body::from("{not json")).unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("nor valid JSON"), "{body}");
    let bad_ce = Request::post("/").header("ce-specversion", "1.0").header("ce-id", "x").body(Body::from("{}")).unwrap();
    let (status, body) = call(app(1024), bad_ce).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("CloudEvent"), "{body}");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(4096));
    let (status, body) = call(app(1024), Request::post("/").header("content-type", "application/json").body(Body::from(big)).unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].as_str().unwrap().contains("MAX_BODY_BYTES"), "{body}");
}

#[tokio::test]
async fn error_classes_map_to_422_503_and_skips_to_200() {
    for (fail, want) in [("permanent", StatusCode::UNPROCESSABLE_ENTITY), ("unavailable", StatusCode::SERVICE_UNAVAILABLE), ("skip", StatusCode::OK)] {
        let req = Request::post("/").body(Body::from(json!({"fail": fail}).to_string())).unwrap();
        let (status, body) = call(app(1024), req).await;
        assert_eq!(status, want, "{fail}: {body}");
    }
}

#[tokio::test]
async fn health_liveness_readiness_and_metrics() {
    let a = app(1024);
    let (s, _) = call(a.clone(), Request::get("/health/liveness").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = call(a.clone(), Request::get("/health/readiness").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["reason"].as_str().unwrap().contains("mongodb"));
    let (s, _) = call(a.clone(), Request::post("/").body(Body::from("{}")).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    let resp = a.clone().oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    let text = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(text.contains("examfn_events_total{function=\"echo\",outcome=\"ok\"} 1"), "{text}");
    let (s, body) = call(a, Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("/nope"));
}
