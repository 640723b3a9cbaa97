//! The HTTP transport, driven through `Service::app` without a socket:
//! binary and structured CloudEvents, plain JSON, and the 400/413/422/503 paths;
//! then over a real socket: slow clients, and bodies over the limit.

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
async fn a_declared_length_over_the_limit_is_413_without_a_body() {
    // The length alone decides: the body here is empty, as if not sent yet.
    let req = Request::post("/").header("content-type", "application/json").header("content-length", "67108864").body(Body::empty()).unwrap();
    let resp = app(1024).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.headers()["connection"], "close");
    let v: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("67108864") && msg.contains("1024") && msg.contains("MAX_BODY_BYTES"), "{v}");
    assert_eq!(v["status"], 413, "{v}");
    // At the limit it is served.
    let body = format!(r#"{{"pad":"{}"}}"#, "x".repeat(1024 - 10));
    assert_eq!(body.len(), 1024);
    let req = Request::post("/").header("content-length", "1024").body(Body::from(body)).unwrap();
    assert_eq!(call(app(1024), req).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_route_with_its_own_limit_is_held_to_it() {
    use axum::routing::post;
    use examfn_runtime::http::route_body_limit;
    async fn size(body: Result<bytes::Bytes, axum::extract::rejection::BytesRejection>) -> axum::response::Response {
        use axum::response::IntoResponse;
        match body {
            Ok(b) => axum::Json(json!({"bytes": b.len()})).into_response(),
            Err(r) => examfn_runtime::http::body_rejection(r),
        }
    }
    let routes = axum::Router::new()
        .route("/upload", route_body_limit(post(size), 8192, "UPLOAD_MAX_BYTES"))
        .route("/small", route_body_limit(post(size), 100, "SMALL_MAX_BYTES"));
    let a = Service::new("echo", Arc::new(Echo)).routes(routes).app(1024);
    let post = |path: &str, n: usize, declared: Option<usize>| {
        let mut b = Request::post(path);
        if let Some(d) = declared {
            b = b.header("content-length", d.to_string());
        }
        b.body(Body::from("x".repeat(n))).unwrap()
    };
    // Larger than the service's limit, within the route's.
    let (s, v) = call(a.clone(), post("/upload", 4096, Some(4096))).await;
    assert_eq!((s, v["bytes"].as_u64()), (StatusCode::OK, Some(4096)), "{v}");
    // Over the route's limit: declared, and found while reading (no length).
    for declared in [Some(16384), None] {
        let (s, v) = call(a.clone(), post("/upload", 16384, declared)).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{declared:?}: {v}");
        if declared.is_some() {
            assert!(v["error"].as_str().unwrap().contains("UPLOAD_MAX_BYTES"), "{v}");
        }
    }
    // A lower limit than the service's holds too; other routes keep the service's.
    let (s, v) = call(a.clone(), post("/small", 200, Some(200))).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].as_str().unwrap().contains("limit of 100 bytes (SMALL_MAX_BYTES)"), "{v}");
    let (s, v) = call(a, post("/", 4096, Some(4096))).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].as_str().unwrap().contains("MAX_BODY_BYTES"), "{v}");
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

// ---- Over a real socket: the server as `serve_until` runs it, with short timeouts.

mod socket {
    use std::time::{Duration, Instant};

    use examfn_runtime::config::{CommonConfig, Env};
    use examfn_runtime::server::serve_http;
    use examfn_runtime::Service;
    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::sync::watch;

    use super::Echo;

    struct Running {
        addr: std::net::SocketAddr,
        stop: watch::Sender<bool>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Running {
        async fn shutdown(self) {
            let _ = self.stop.send(true);
            tokio::time::timeout(Duration::from_secs(5), self.task).await.expect("the server stops").unwrap();
        }
    }

    async fn start(header_ms: &str, body_ms: &str) -> Running {
        let env = Env::from_pairs([("HTTP_HEADER_TIMEOUT_MS", header_ms), ("HTTP_BODY_TIMEOUT_MS", body_ms), ("MAX_BODY_BYTES", "1024")]);
        let common = CommonConfig::from_env(&env, None, "echo").unwrap();
        let app = Service::new("echo", std::sync::Arc::new(Echo)).app_with(&common);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, rx) = watch::channel(false);
        let timeout = common.http_header_timeout;
        let task = tokio::spawn(async move { serve_http(listener, app, timeout, rx).await.unwrap() });
        Running { addr, stop, task }
    }

    /// Read until the peer closes (or 5 s pass): what the server sent.
    async fn read_to_close(s: &mut TcpStream) -> (String, bool) {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline.into(), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
                Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
                Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
            }
        }
    }

    fn body_json(resp: &str) -> Value {
        serde_json::from_str(resp.split("\r\n\r\n").nth(1).unwrap_or("")).unwrap_or(Value::Null)
    }

    #[tokio::test]
    async fn a_complete_request_is_served() {
        let srv = start("300", "300").await;
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        s.write_all(b"GET /health/liveness HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let (resp, closed) = read_to_close(&mut s).await;
        assert!(closed && resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert_eq!(body_json(&resp)["status"], "alive");
        srv.shutdown().await;
    }

    #[tokio::test]
    async fn slowloris_headers_are_cut_off_after_the_header_timeout() {
        let srv = start("300", "5000").await;
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let started = Instant::now();
        // One header byte every 50 ms: the headers would take ≈ 3 s to arrive.
        let request = b"GET /health/liveness HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        let mut cut_off = false;
        for b in request.iter() {
            if s.write_all(&[*b]).await.is_err() {
                cut_off = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            if started.elapsed() > Duration::from_secs(2) {
                break;
            }
        }
        let (resp, closed) = read_to_close(&mut s).await;
        let took = started.elapsed();
        assert!(cut_off || closed, "the server kept the slow connection open for {took:?}");
        assert!(!resp.contains("alive"), "the slow request was served: {resp}");
        // Closed well before the headers could have been complete (≈ 3 s).
        assert!(took < Duration::from_millis(2500), "{took:?}");
        // The server still serves others.
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        s.write_all(b"GET /health/liveness HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        assert!(read_to_close(&mut s).await.0.starts_with("HTTP/1.1 200"));
        srv.shutdown().await;
    }

    #[tokio::test]
    async fn an_idle_connection_without_a_request_is_closed() {
        let srv = start("300", "5000").await;
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let started = Instant::now();
        let (resp, closed) = read_to_close(&mut s).await;
        assert!(closed, "an idle connection stayed open");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert!(!resp.contains("200"), "{resp}");
        srv.shutdown().await;
    }

    #[tokio::test]
    async fn a_body_sent_too_slowly_gets_408_and_the_connection_closes() {
        let srv = start("5000", "400").await;
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let body = br#"{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#;
        let head = format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
        s.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        // Read while writing, so the early 408 is seen even if the server resets the connection.
        let (mut rd, mut wr) = s.into_split();
        let reader = tokio::spawn(async move {
            let mut out = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match tokio::time::timeout(Duration::from_secs(5), rd.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
                    Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
                    Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
                }
            }
        });
        // One body byte every 40 ms (each well inside any idle timeout): ≈ 2.7 s in all.
        for b in body.iter() {
            if wr.write_all(&[*b]).await.is_err() || reader.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
            if started.elapsed() > Duration::from_secs(2) {
                break;
            }
        }
        let (resp, closed) = reader.await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(2500), "{:?}", started.elapsed());
        assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
        let v = body_json(&resp);
        assert_eq!(v["status"], 408, "{resp}");
        assert!(v["error"].as_str().unwrap().contains("HTTP_BODY_TIMEOUT_MS"), "{resp}");
        assert!(closed, "the connection stayed open after the 408");
        srv.shutdown().await;
    }

    /// Send `head` (request line and headers only) and read the answer:
    /// the response, whether the server closed, and how long it took.
    async fn headers_only(addr: std::net::SocketAddr, head: &str) -> (String, bool, Duration) {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let (resp, closed) = read_to_close(&mut s).await;
        (resp, closed, started.elapsed())
    }

    #[tokio::test]
    async fn a_declared_body_over_the_limit_is_413_at_once_and_closes() {
        // The body deadline is the default 30 s: waiting for the body would show.
        let srv = start("5000", "30000").await;
        let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 67108864\r\n\r\n";
        let (resp, closed, took) = headers_only(srv.addr, head).await;
        eprintln!("runtime: 413 for a declared 64 MiB body after {:.1} ms", took.as_secs_f64() * 1e3);
        assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
        assert!(took < Duration::from_secs(2), "{took:?}");
        assert!(resp.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "{resp}");
        assert!(closed, "the connection stayed open after the 413");
        let v = body_json(&resp);
        assert_eq!(v["status"], 413, "{resp}");
        let msg = v["error"].as_str().unwrap();
        assert!(msg.contains("67108864") && msg.contains("limit of 1024 bytes (MAX_BODY_BYTES)"), "{msg}");
        // With `Expect: 100-continue` the client is told before it sends anything.
        let head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n";
        let (resp, closed, took) = headers_only(srv.addr, head).await;
        assert!(resp.starts_with("HTTP/1.1 413") && closed && took < Duration::from_secs(2), "{took:?} {resp}");
        srv.shutdown().await;
    }

    #[tokio::test]
    async fn a_chunked_body_growing_over_the_limit_is_413_and_closes() {
        let srv = start("5000", "30000").await;
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let chunk = "x".repeat(600);
        let req = format!("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n");
        let started = Instant::now();
        s.write_all(req.as_bytes()).await.unwrap();
        // No final chunk: the limit, not the end of the body, ends the request.
        let (resp, closed) = read_to_close(&mut s).await;
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
        assert!(resp.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "{resp}");
        assert!(body_json(&resp)["error"].as_str().unwrap().contains("MAX_BODY_BYTES"), "{resp}");
        assert!(closed, "the connection stayed open after the 413");
        srv.shutdown().await;
    }

    #[tokio::test]
    async fn a_body_in_time_is_handled_and_oversize_is_413_json() {
        let srv = start("5000", "2000").await;
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let body = r#"{"n":1}"#;
        let req = format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        s.write_all(req.as_bytes()).await.unwrap();
        let (resp, _) = read_to_close(&mut s).await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert_eq!(body_json(&resp)["result"]["data"]["n"], 1, "{resp}");

        let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(4096));
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        let req = format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{big}", big.len());
        let _ = s.write_all(req.as_bytes()).await;
        let (resp, _) = read_to_close(&mut s).await;
        assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
        assert!(body_json(&resp)["error"].as_str().unwrap().contains("MAX_BODY_BYTES"), "{resp}");
        srv.shutdown().await;
    }
}
