//! CloudEvent extraction from an HTTP request (binary `ce-*` headers,
//! structured, plain JSON) from arbitrary bytes: a header block and a body.
//! Every refusal must be BadInput (400).
#![no_main]
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use examfn_runtime::event::{data_bytes, from_http};
use examfn_runtime::FnError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // "name: value\n" lines, then "\n\n", then the body.
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (&data[..0], data),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(c) = line.iter().position(|b| *b == b':') else { continue };
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(&line[..c]), HeaderValue::from_bytes(line[c + 1..].trim_ascii())) {
            headers.append(k, v);
        }
    }
    match from_http(&headers, body, "/") {
        Ok(ev) => {
            let _ = data_bytes(&ev);
        }
        Err(FnError::BadInput(_)) => {}
        Err(e) => panic!("not a 400: {e:?}"),
    }
});
