//! CloudEvent extraction from a Kafka record from arbitrary bytes: header
//! lines, a key and a value. Every refusal must be BadInput (400).
#![no_main]
use examfn_runtime::event::{data_bytes, from_kafka, KafkaRecord};
use examfn_runtime::FnError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let head = parts.next().unwrap_or_default();
    let key = parts.next();
    let value = parts.next();
    let headers = head
        .split(|b| *b == b'\n')
        .filter_map(|l| {
            let c = l.iter().position(|b| *b == b'=')?;
            Some((String::from_utf8_lossy(&l[..c]).into_owned(), Some(l[c + 1..].to_vec())))
        })
        .collect();
    let rec = KafkaRecord {
        topic: "t".into(),
        partition: data.len() as i32,
        offset: data.first().copied().unwrap_or(0) as i64,
        key: key.map(<[u8]>::to_vec),
        value: value.map(<[u8]>::to_vec),
        headers,
        timestamp_ms: Some(i64::from_le_bytes(data.iter().copied().chain(std::iter::repeat(0)).take(8).collect::<Vec<_>>().try_into().unwrap())),
    };
    match from_kafka(&rec, "ns", "src") {
        Ok(ev) => {
            let _ = data_bytes(&ev);
        }
        Err(FnError::BadInput(_)) => {}
        Err(e) => panic!("not a 400: {e:?}"),
    }
});
