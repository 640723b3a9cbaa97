//! Email requests (JSON EmailMessage, a JSON string, plain text) and Kratos
//! registration webhooks from arbitrary bytes.
#![no_main]
use examfn_domain::email;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = email::parse_payload(data, "fuzz", false);
    let _ = email::parse_payload(data, "fuzz", true);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = email::normalize_address(s);
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = email::parse_registration(&v);
    }
});
