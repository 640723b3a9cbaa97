//! Property tests of every domain parser that reads outside bytes: bucket
//! notifications, Debezium envelopes and extended JSON, email requests, exam
//! files, PDFs. Properties: no panic on arbitrary bytes or on mutations of
//! valid inputs; valid inputs round-trip. Cases: PROPTEST_CASES (default
//! 256; the PDF properties use a quarter of it: each case parses a PDF).

use std::collections::BTreeMap;

use examfn_domain::debezium::{self, Op};
use examfn_domain::email::{self, EmailMessage, Recipients};
use examfn_domain::exam::{Exam, Question};
use examfn_domain::upload::{self, ExamParams, Target};
use proptest::prelude::*;
use serde_json::{json, Value};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn config(default: u32) -> ProptestConfig {
    ProptestConfig { cases: cases(default), failure_persistence: None, ..ProptestConfig::default() }
}

/// Any JSON value (depth ≤ 4).
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        // The keys and markers the parsers look for, so shapes get close.
        prop::sample::select(vec![
            "Records", "s3", "object", "key", "bucket", "name", "eventName", "Message", "Notification", "payload",
            "after", "before", "op", "c", "u", "d", "r", "$oid", "$date", "$numberLong", "$numberInt",
            "$numberDouble", "$numberDecimal", "$binary", "$timestamp", "id", "_id", "schema", "source",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-zA-Z_$]{1,10}",
                    prop::sample::select(vec![
                        "Records", "s3", "object", "key", "bucket", "name", "eventName", "Type", "Message",
                        "userMetadata", "size", "eTag", "payload", "after", "before", "op", "source",
                        "updateDescription", "updatedFields", "$oid", "$date", "$numberLong", "id", "_id",
                        "schema", "message_id", "subject", "text", "html", "recipients", "extra", "identity",
                        "traits", "email",
                    ])
                    .prop_map(str::to_string),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Byte-level mutations of a valid input: flip, insert, delete, truncate.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len().max(1);
    prop::collection::vec((0..4u8, 0..len, any::<u8>()), 1..8).prop_map(move |edits| {
        let mut v = base.clone();
        for (kind, at, byte) in edits {
            let at = at.min(v.len());
            match kind {
                0 if at < v.len() => v[at] ^= byte | 1,
                1 => v.insert(at, byte),
                2 if at < v.len() => {
                    v.remove(at);
                }
                _ => v.truncate(at),
            }
        }
        v
    })
}

// ---------------------------------------------------------------- uploads


fn minio(bucket: &str, key: &str, meta: &BTreeMap<String, String>) -> Value {
    let user: serde_json::Map<String, Value> =
        meta.iter().map(|(k, v)| (format!("X-Amz-Meta-{k}"), Value::String(v.clone()))).collect();
    json!({
        "EventName": "s3:ObjectCreated:Put",
        "Key": format!("{bucket}/{key}"),
        "Records": [{
            "eventVersion": "2.0", "eventSource": "minio:s3", "eventName": "s3:ObjectCreated:Put",
            "s3": {"bucket": {"name": bucket},
                   "object": {"key": upload::encode_key(key), "size": 42, "eTag": "abc", "userMetadata": user, "sequencer": "1"}}
        }]
    })
}

fn aws(bucket: &str, key: &str) -> Value {
    json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": upload::encode_key(key), "size": 7, "eTag": "\"e\""}}}]})
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn notifications_never_panic_on_any_json(v in any_json()) {
        if let Ok(events) = upload::parse_notification(&v) {
            for ev in &events {
                let _ = upload::target(ev);
                let _ = ExamParams::from_metadata(&ev.user_metadata);
            }
        }
        // An SNS envelope around anything.
        let sns = json!({"Type": "Notification", "Message": v.to_string()});
        let _ = upload::parse_notification(&sns);
    }

    #[test]
    fn notifications_never_panic_on_mutated_bytes(
        bytes in mutated(minio("exams", "exams/Week 1 é.pdf", &BTreeMap::from([("N_mcq".into(), "3".into())])).to_string().into_bytes())
    ) {
        if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
            let _ = upload::parse_notification(&v);
        }
    }

    #[test]
    fn keys_round_trip_and_decoding_never_panics(key in "\\PC{0,40}", raw in "[%+a-zA-Z0-9]{0,20}") {
        prop_assert_eq!(upload::decode_key(&upload::encode_key(&key)).unwrap(), key.clone());
        let _ = upload::decode_key(&raw);
    }

    #[test]
    fn minio_and_aws_notifications_round_trip(
        bucket in "[a-z0-9][a-z0-9.-]{2,20}",
        name in "[\\PC&&[^/]]{1,30}",
        n_mcq in 0u32..=50,
    ) {
        let key = format!("exams/{name}.pdf");
        let meta = BTreeMap::from([("N_mcq".to_string(), n_mcq.to_string())]);
        let evs = upload::parse_notification(&minio(&bucket, &key, &meta)).unwrap();
        prop_assert_eq!(evs.len(), 1);
        prop_assert_eq!(&evs[0].bucket, &bucket);
        prop_assert_eq!(&evs[0].key, &key);
        prop_assert!(evs[0].is_created());
        prop_assert_eq!(ExamParams::from_metadata(&evs[0].user_metadata).unwrap().n_mcq, n_mcq);
        match upload::target(&evs[0]) {
            Target::Lecture { name: got } => prop_assert_eq!(got, name.clone()),
            Target::Ignore(why) => prop_assert!(name.trim().is_empty() || !why.is_empty()),
        }
        let evs = upload::parse_notification(&aws(&bucket, &key)).unwrap();
        prop_assert_eq!(&evs[0].key, &key);
        let sns = json!({"Type": "Notification", "Message": aws(&bucket, &key).to_string()});
        prop_assert_eq!(&upload::parse_notification(&sns).unwrap()[0].key, &key);
    }
}

// --------------------------------------------------------------- debezium

const OID: &str = "66a279b8f98a9d0379570575";

fn envelope(op: &str, after: &Value, schemas: bool) -> Value {
    let payload = json!({"before": null, "after": after.to_string(), "updateDescription": null,
        "source": {"connector": "mongodb", "db": "exams", "collection": "score", "snapshot": "false", "ts_ms": 1},
        "op": op, "ts_ms": 2});
    if schemas {
        json!({"schema": {"type": "struct"}, "payload": payload})
    } else {
        payload
    }
}

fn key_bytes(oid: &str) -> Vec<u8> {
    json!({"id": format!("{{\"$oid\": \"{oid}\"}}")}).to_string().into_bytes()
}

/// A plain document (what score-calc reads) and its extended-JSON form.
fn plain_doc() -> impl Strategy<Value = (Value, Value)> {
    (
        "[a-z0-9.]{1,10}@[a-z]{1,8}\\.[a-z]{2,3}",
        -1000i64..1000,
        prop::collection::vec(("\\PC{0,20}", any::<bool>()), 0..4),
        prop::option::of(-1_000_000_000_000i64..4_000_000_000_000),
    )
        .prop_map(|(email, score, details, date_ms)| {
            let details_plain: Vec<Value> =
                details.iter().map(|(q, ok)| json!({"question": q, "is_correct": ok})).collect();
            let mut plain = json!({"_id": OID, "email": email, "score": score, "details": details_plain});
            let mut ext = json!({"_id": {"$oid": OID}, "email": email, "score": {"$numberLong": score.to_string()},
                                 "details": details_plain});
            if let Some(ms) = date_ms {
                plain["submitted_at"] = Value::String(debezium::format_ms(ms));
                ext["submitted_at"] = json!({"$date": {"$numberLong": ms.to_string()}});
            }
            (plain, ext)
        })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn debezium_never_panics_on_arbitrary_bytes(key in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
                                                value in prop::option::of(prop::collection::vec(any::<u8>(), 0..256))) {
        let _ = debezium::parse_record(key.as_deref(), value.as_deref());
    }

    #[test]
    fn debezium_never_panics_on_any_json(key in any_json(), value in any_json()) {
        let (k, v) = (key.to_string(), value.to_string());
        if let Ok(c) = debezium::parse_record(Some(k.as_bytes()), Some(v.as_bytes())) {
            let _ = c.is_snapshot();
        }
        let _ = debezium::to_plain_json(&value);
        // `after` as a string of anything.
        let env = json!({"payload": {"op": "c", "after": value.to_string()}});
        let _ = debezium::parse_record(None, Some(env.to_string().as_bytes()));
    }

    #[test]
    fn debezium_never_panics_on_mutated_envelopes(
        bytes in mutated(envelope("c", &json!({"_id": {"$oid": OID}, "score": {"$numberInt": "3"},
                                                 "at": {"$date": {"$numberLong": "1721924024000"}}}), true).to_string().into_bytes()),
        key in mutated(key_bytes(OID)),
    ) {
        let _ = debezium::parse_record(Some(&key), Some(&bytes));
    }

    #[test]
    fn debezium_envelopes_round_trip((plain, ext) in plain_doc(), op in prop::sample::select(vec!["c", "r", "u"]), schemas in any::<bool>()) {
        let c = debezium::parse_record(Some(&key_bytes(OID)), Some(envelope(op, &ext, schemas).to_string().as_bytes())).unwrap();
        prop_assert_eq!(c.op.code(), op);
        prop_assert_eq!(&c.id, OID);
        prop_assert_eq!(c.doc.as_ref().unwrap(), &plain);
        prop_assert_eq!(c.op == Op::Read, c.is_snapshot());
        // The flattened form (ExtractNewDocumentState) gives the same document.
        let flat = debezium::parse_record(Some(&key_bytes(OID)), Some(ext.to_string().as_bytes())).unwrap();
        prop_assert_eq!(flat.doc.as_ref().unwrap(), &plain);
    }
}

// ------------------------------------------------------------------ email

fn message() -> impl Strategy<Value = EmailMessage> {
    (
        "[a-z0-9:-]{1,40}",
        "[\\PC&&[^\\s]]{1,20}( [\\PC&&[^\\s]]{1,20}){0,3}",
        "\\PC{1,200}",
        prop::option::of("<p>\\PC{1,40}</p>"),
        any::<bool>(),
        prop::collection::vec("[a-z0-9]{1,10}@[a-z]{1,10}\\.[a-z]{2,4}", 0..3),
    )
        .prop_filter("text or html", |(_, _, text, html, _, _)| !text.trim().is_empty() || html.is_some())
        .prop_map(|(message_id, subject, text, html, subscribers, extra)| {
            let mut extra_unique: Vec<String> = Vec::new();
            for e in extra {
                if !extra_unique.contains(&e) {
                    extra_unique.push(e);
                }
            }
            EmailMessage { message_id, subject, text, html, recipients: Recipients { subscribers, extra: extra_unique } }
        })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn email_payloads_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256), v in any_json(), s in "\\PC{0,80}") {
        let _ = email::parse_payload(&bytes, "o", false);
        let _ = email::parse_payload(&bytes, "o", true);
        let j = v.to_string();
        let _ = email::parse_payload(j.as_bytes(), "o", true);
        let _ = email::parse_registration(&v);
        let _ = email::normalize_address(&s);
        let _ = email::parse_payload(s.as_bytes(), "o", false);
    }

    #[test]
    fn email_requests_round_trip(m in message()) {
        let bytes = serde_json::to_vec(&m).unwrap();
        let got = email::parse_payload(&bytes, "o", true).unwrap();
        prop_assert_eq!(&got.message_id, &m.message_id);
        prop_assert_eq!(&got.subject, &m.subject);
        prop_assert_eq!(&got.text, &m.text);
        prop_assert_eq!(&got.recipients, &m.recipients);
        // Validation is idempotent.
        prop_assert_eq!(got.clone().validated().unwrap(), got);
    }

    #[test]
    fn mutated_email_requests_never_panic(bytes in mutated(br#"{"message_id":"m-1","subject":"Exam ready","text":"Hello","recipients":{"subscribers":false,"extra":["a@b.cd"]}}"#.to_vec())) {
        if let Ok(m) = email::parse_payload(&bytes, "o", true) {
            // Whatever is accepted is a valid request.
            prop_assert!(!m.message_id.is_empty() && !m.subject.contains('\n'));
            for a in &m.recipients.extra {
                let again = email::normalize_address(a);
                prop_assert_eq!(again.as_deref(), Ok(a.as_str()));
            }
        }
    }

    #[test]
    fn normalised_addresses_are_fixed_points(s in "\\PC{0,40}") {
        if let Ok(a) = email::normalize_address(&s) {
            prop_assert_eq!(email::normalize_address(&a), Ok(a.clone()));
            prop_assert!(!a.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c)));
        }
    }
}

// ------------------------------------------------------------------- exam

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn exams_round_trip(qs in prop::collection::vec(("\\PC{0,60}", prop::collection::vec("\\PC{0,20}", 0..6)), 0..8)) {
        let exam: Exam = qs.into_iter().map(|(question, options)| Question {
            correct_answer: options.first().cloned().unwrap_or_default(), question, options,
        }).collect();
        let text = serde_json::to_vec(&exam).unwrap();
        prop_assert_eq!(serde_json::from_slice::<Exam>(&text).unwrap(), exam);
    }

    #[test]
    fn exam_files_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256), v in any_json()) {
        let _ = serde_json::from_slice::<Exam>(&bytes);
        let _ = serde_json::from_value::<Exam>(v);
    }
}
