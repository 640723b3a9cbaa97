//! Debezium MongoDB records (key and value bytes, extended JSON inside) from
//! arbitrary bytes: the first byte splits the input into key and value.
#![no_main]
use examfn_domain::debezium;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let at = (split as usize).min(rest.len());
    let (key, value) = rest.split_at(at);
    let key = if key.is_empty() { None } else { Some(key) };
    let value = if value.is_empty() { None } else { Some(value) };
    if let Ok(change) = debezium::parse_record(key, value) {
        let _ = change.is_snapshot();
        let _ = change.op.code();
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest) {
        let _ = debezium::to_plain_json(&v);
    }
});
