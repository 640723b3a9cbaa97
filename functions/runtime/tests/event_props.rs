//! Property tests of CloudEvent extraction from outside bytes: HTTP (binary,
//! structured, plain JSON) and Kafka records (ce_ headers, structured,
//! anything else wrapped as KafkaSource does). Never a panic; every refusal
//! is BadInput (400, straight to the DLQ), never a 5xx class; valid events
//! round-trip. Cases: PROPTEST_CASES (default 256).

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use examfn_runtime::cloudevents::{AttributesReader, Event};
use examfn_runtime::event::{data_bytes, from_http, from_kafka, json_event, to_kafka, KafkaRecord};
use examfn_runtime::FnError;
use proptest::prelude::*;
use serde_json::{json, Value};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

const CE: &[&str] = &[
    "specversion", "id", "type", "source", "subject", "time", "dataschema", "datacontenttype", "key", "partitionkey",
];

/// A header name: a CloudEvents one, content-type, or anything.
fn header_name(prefix: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(CE).prop_map(move |n| format!("{prefix}{n}")),
        Just("content-type".to_string()),
        "[a-zA-Z0-9_-]{1,12}",
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "1.0", "0.3", "2.0", "", "application/json", "application/cloudevents+json", "text/plain",
            "2026-01-01T00:00:00Z", "not-a-time", "/s", "t", "http://x/y",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..128),
        "\\PC{0,64}".prop_map(String::into_bytes),
        Just(br#"{"specversion":"1.0","id":"1","type":"t","source":"/s","data":{"a":1}}"#.to_vec()),
        Just(br#"{"specversion":"1.0","id":"","type":"t","source":"/s","data_base64":"!!"}"#.to_vec()),
        Just(br#"{"Records":[]}"#.to_vec()),
    ]
}

fn is_bad_input<T: std::fmt::Debug>(r: &Result<T, FnError>) -> bool {
    matches!(r, Ok(_) | Err(FnError::BadInput(_)))
}

/// Some JSON data for events.
fn data() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        ("\\PC{0,30}", any::<i64>(), any::<bool>()).prop_map(|(s, n, b)| json!({"s": s, "n": n, "b": b, "list": [s, n]})),
        prop::collection::vec("\\PC{0,10}", 0..5).prop_map(|v| json!(v)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn http_extraction_never_panics_and_refuses_with_400(
        headers in prop::collection::vec((header_name("ce-"), header_value()), 0..8),
        body in body(),
        path in "/[a-z]{0,8}",
    ) {
        let mut map = HeaderMap::new();
        for (k, v) in &headers {
            if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_bytes(v)) {
                map.append(k, v);
            }
        }
        let r = from_http(&map, &body, &path);
        prop_assert!(is_bad_input(&r), "{:?}", r);
        if let Ok(ev) = r {
            let _ = data_bytes(&ev);
        }
    }

    #[test]
    fn kafka_extraction_never_panics_and_refuses_with_400(
        headers in prop::collection::vec((header_name("ce_"), prop::option::of(header_value())), 0..8),
        key in prop::option::of(prop::collection::vec(any::<u8>(), 0..32)),
        value in prop::option::of(body()),
        partition in any::<i32>(),
        offset in any::<i64>(),
        ts in prop::option::of(any::<i64>()),
        topic in "\\PC{0,20}",
    ) {
        let rec = KafkaRecord { topic, partition, offset, key, value, headers, timestamp_ms: ts };
        let r = from_kafka(&rec, "ns", "src");
        prop_assert!(is_bad_input(&r), "{:?}", r);
        if let Ok(ev) = r {
            let _ = data_bytes(&ev);
        }
    }

    #[test]
    fn plain_records_are_wrapped_as_kafkasource_does(
        value in prop::collection::vec(any::<u8>(), 1..64),
        partition in 0i32..1000,
        offset in 0i64..i64::MAX,
        key in "[a-z0-9/]{0,16}",
    ) {
        let rec = KafkaRecord { topic: "t".into(), partition, offset, key: Some(key.clone().into_bytes()),
                                value: Some(value.clone()), headers: vec![], timestamp_ms: Some(1_767_225_600_000) };
        let ev = from_kafka(&rec, "ns", "src").unwrap();
        prop_assert_eq!(ev.id(), format!("partition:{partition}/offset:{offset}"));
        prop_assert_eq!(ev.ty(), "dev.knative.kafka.event");
        prop_assert_eq!(data_bytes(&ev), Some(value));
    }

    #[test]
    fn events_round_trip_through_kafka_and_http(id in "[a-zA-Z0-9:-]{1,20}", ty in "[a-z.]{1,20}", src in "/[a-z/]{0,20}",
                                                subject in prop::option::of("[a-z0-9 ]{1,10}"), data in data()) {
        let ev = json_event(id.clone(), &ty, &src, subject.as_deref(), data.clone());
        // Kafka binary mode.
        let (headers, value) = to_kafka(&ev);
        let rec = KafkaRecord { topic: "t".into(), value, headers: headers.into_iter().map(|(k, v)| (k, Some(v))).collect(), ..Default::default() };
        let back = from_kafka(&rec, "ns", "src").unwrap();
        same(&ev, &back)?;
        // HTTP structured mode.
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/cloudevents+json"));
        let back = from_http(&h, &serde_json::to_vec(&ev).unwrap(), "/").unwrap();
        same(&ev, &back)?;
        // HTTP binary mode, from the Kafka headers.
        let mut h = HeaderMap::new();
        for (k, v) in &rec.headers {
            let name = k.strip_prefix("ce_").map(|n| format!("ce-{n}")).unwrap_or_else(|| k.clone());
            h.insert(HeaderName::try_from(name).unwrap(), HeaderValue::from_bytes(v.as_ref().unwrap()).unwrap());
        }
        let back = from_http(&h, rec.value.as_deref().unwrap_or_default(), "/").unwrap();
        same(&ev, &back)?;
        // A plain JSON body without ce- headers: the same data, wrapped.
        let back = from_http(&HeaderMap::new(), &serde_json::to_vec(&data).unwrap(), "/hook").unwrap();
        prop_assert_eq!(serde_json::from_slice::<Value>(&data_bytes(&back).unwrap()).unwrap(), data);
    }
}

fn same(a: &Event, b: &Event) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.id(), b.id());
    prop_assert_eq!(a.ty(), b.ty());
    prop_assert_eq!(a.source(), b.source());
    prop_assert_eq!(a.subject(), b.subject());
    let (da, db) = (data_bytes(a).unwrap(), data_bytes(b).unwrap());
    prop_assert_eq!(serde_json::from_slice::<Value>(&da).unwrap(), serde_json::from_slice::<Value>(&db).unwrap());
    Ok(())
}
