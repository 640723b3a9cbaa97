//! The web UI: a small static app (HTML, JS, CSS) embedded in the binary, and
//! the OpenAPI document. No build step: the files in `ui/` are served as they are.

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub const INDEX_HTML: &str = include_str!("../ui/index.html");
pub const APP_JS: &str = include_str!("../ui/app.js");
pub const APP_CSS: &str = include_str!("../ui/app.css");
pub const OPENAPI_JSON: &str = include_str!("../ui/openapi.json");

fn asset(body: &'static str, ctype: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(ctype))], body)
}

pub fn routes() -> Router {
    Router::new()
        .route("/", get(|| async { asset(INDEX_HTML, "text/html; charset=utf-8") }))
        .route("/app.js", get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/app.css", get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }))
        .route("/openapi.json", get(|| async { asset(OPENAPI_JSON, "application/json") }))
}
