//! Debezium 2.x MongoDB connector records, written the way Debezium writes
//! them through the JsonConverter: the key `{"id": "<extended JSON of _id>"}`
//! and the value envelope `{before, after, updateDescription, source, op,
//! ts_ms, transaction}` (wrapped in `{"schema", "payload"}` when schemas are
//! on), with `after` as a relaxed extended-JSON **string** formatted like the
//! MongoDB Java driver formats it (`{"_id": {"$oid": "…"}, "email": "…"}`).

use mongodb::bson::{Bson, Document};
use serde_json::{json, Value};

/// Version string put in `source.version` (what this relay imitates).
pub const IMITATED_VERSION: &str = "2.7.0.Final";
/// Replica set name put in `source.rs`.
pub const REPLICA_SET: &str = "rs0";

/// Naming and format settings of the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// `topic.prefix` (`source.name`).
    pub prefix: String,
    pub db: String,
    pub collection: String,
    /// JsonConverter `schemas.enable` (key and value).
    pub schemas: bool,
}

/// Where a change came from (the `source` block's variable part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// When the change happened in MongoDB (cluster time), in ms.
    pub ts_ms: i64,
    /// Order within the same second (cluster time increment).
    pub ord: i64,
    /// `"false"`, `"true"` or `"last"`.
    pub snapshot: &'static str,
    pub wall_time_ms: Option<i64>,
}

/// Which change.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'a> {
    /// `c` (insert) or `r` (snapshot read) with the document.
    Create(&'a Document),
    Read(&'a Document),
    /// `u`: the full document when known, and the update description.
    Update { after: Option<&'a Document>, updated: Option<&'a Document>, removed: &'a [String] },
    /// `d`.
    Delete,
}

/// One Kafka record: key and value bytes (`None` value = tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

impl Format {
    /// The topic Debezium would write to: `<prefix>.<db>.<collection>`.
    pub fn topic(&self) -> String {
        format!("{}.{}.{}", self.prefix, self.db, self.collection)
    }

    /// The record key of a document id.
    pub fn key(&self, id: &Bson) -> Vec<u8> {
        let payload = json!({"id": ext_json(id)});
        let v = if self.schemas {
            json!({
                "schema": {"type": "struct", "fields": [{"type": "string", "optional": false, "field": "id"}],
                           "optional": false, "name": format!("{}.Key", self.topic())},
                "payload": payload,
            })
        } else {
            payload
        };
        serde_json::to_vec(&v).expect("JSON serialises")
    }

    /// The records of one change: one, or two for a delete (the delete, then
    /// the tombstone).
    pub fn records(&self, id: &Bson, kind: &Kind<'_>, origin: &Origin, now_ms: i64) -> Vec<Record> {
        let key = self.key(id);
        let (op, after, update_description) = match kind {
            Kind::Create(d) => ("c", Some(ext_json_doc(d)), Value::Null),
            Kind::Read(d) => ("r", Some(ext_json_doc(d)), Value::Null),
            Kind::Update { after, updated, removed } => {
                let ud = match updated {
                    Some(u) => json!({"removedFields": removed, "updatedFields": ext_json_doc(u), "truncatedArrays": null}),
                    None => Value::Null,
                };
                ("u", after.map(ext_json_doc), ud)
            }
            Kind::Delete => ("d", None, Value::Null),
        };
        let source = json!({
            "version": IMITATED_VERSION,
            "connector": "mongodb",
            "name": self.prefix,
            "ts_ms": origin.ts_ms,
            "snapshot": origin.snapshot,
            "db": self.db,
            "sequence": null,
            "ts_us": origin.ts_ms.saturating_mul(1000),
            "ts_ns": origin.ts_ms.saturating_mul(1_000_000),
            "rs": REPLICA_SET,
            "collection": self.collection,
            "ord": origin.ord,
            "lsid": null,
            "txnNumber": null,
            "wallTime": origin.wall_time_ms,
        });
        let payload = json!({
            "before": null,
            "after": after,
            "updateDescription": update_description,
            "source": source,
            "op": op,
            "ts_ms": now_ms,
            "transaction": null,
        });
        let value = if self.schemas { json!({"schema": self.value_schema(), "payload": payload}) } else { payload };
        let mut out = vec![Record { key: key.clone(), value: Some(serde_json::to_vec(&value).expect("JSON serialises")) }];
        if op == "d" {
            out.push(Record { key, value: None });
        }
        out
    }

    /// The Connect schema of the value envelope, as the connector declares it.
    fn value_schema(&self) -> Value {
        let json_string = |field: &str| {
            json!({"type": "string", "optional": true, "name": "io.debezium.data.Json", "version": 1, "field": field})
        };
        let field = |ty: &str, optional: bool, name: &str| json!({"type": ty, "optional": optional, "field": name});
        json!({
            "type": "struct",
            "fields": [
                json_string("before"),
                json_string("after"),
                {"type": "struct", "optional": true, "name": "io.debezium.connector.mongodb.changestream.updatedescription",
                 "version": 1, "field": "updateDescription", "fields": [
                    {"type": "array", "items": {"type": "string", "optional": false}, "optional": true, "field": "removedFields"},
                    json_string("updatedFields"),
                    {"type": "array", "optional": true, "field": "truncatedArrays", "items": {
                        "type": "struct", "optional": false, "name": "io.debezium.connector.mongodb.changestream.truncatedarray",
                        "version": 1, "fields": [field("string", false, "field"), field("int32", false, "size")]}}
                ]},
                {"type": "struct", "optional": false, "name": "io.debezium.connector.mongo.Source", "field": "source", "fields": [
                    field("string", false, "version"), field("string", false, "connector"), field("string", false, "name"),
                    field("int64", false, "ts_ms"),
                    {"type": "string", "optional": true, "name": "io.debezium.data.Enum", "version": 1,
                     "parameters": {"allowed": "true,last,false,incremental"}, "default": "false", "field": "snapshot"},
                    field("string", false, "db"), field("string", true, "sequence"), field("int64", true, "ts_us"),
                    field("int64", true, "ts_ns"), field("string", true, "rs"), field("string", false, "collection"),
                    field("int32", false, "ord"), field("string", true, "lsid"), field("int64", true, "txnNumber"),
                    field("int64", true, "wallTime")
                ]},
                field("string", true, "op"),
                field("int64", true, "ts_ms"),
                {"type": "struct", "optional": true, "name": "event.block", "version": 1, "field": "transaction", "fields": [
                    field("string", false, "id"), field("int64", false, "total_order"), field("int64", false, "data_collection_order")
                ]}
            ],
            "optional": false,
            "name": format!("{}.Envelope", self.topic()),
            "version": 1
        })
    }
}

/// Relaxed extended JSON of a document, Java-driver style.
pub fn ext_json_doc(d: &Document) -> String {
    let mut out = String::with_capacity(256);
    write_doc(d, &mut out);
    out
}

/// Relaxed extended JSON of any value, Java-driver style.
pub fn ext_json(v: &Bson) -> String {
    let mut out = String::with_capacity(64);
    write(v, &mut out);
    out
}

fn write_doc(d: &Document, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in d.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&serde_json::to_string(k).expect("a string serialises"));
        out.push_str(": ");
        write(v, out);
    }
    out.push('}');
}

fn write(v: &Bson, out: &mut String) {
    match v {
        Bson::Document(d) => write_doc(d, out),
        Bson::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(item, out);
            }
            out.push(']');
        }
        Bson::String(s) => out.push_str(&serde_json::to_string(s).expect("a string serialises")),
        Bson::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Bson::Null => out.push_str("null"),
        Bson::Int32(n) => out.push_str(&n.to_string()),
        Bson::Int64(n) => out.push_str(&n.to_string()),
        Bson::Double(f) if f.is_finite() => {
            if f.fract() == 0.0 && f.abs() < 1e16 {
                out.push_str(&format!("{f:.1}"));
            } else {
                out.push_str(&f.to_string());
            }
        }
        Bson::Double(f) => {
            let s = if f.is_nan() { "NaN" } else if *f > 0.0 { "Infinity" } else { "-Infinity" };
            out.push_str(&format!("{{\"$numberDouble\": \"{s}\"}}"));
        }
        Bson::ObjectId(oid) => out.push_str(&format!("{{\"$oid\": \"{}\"}}", oid.to_hex())),
        Bson::DateTime(dt) => {
            let ms = dt.timestamp_millis();
            // Relaxed mode: ISO-8601 for years 1970..=9999, else the long.
            if (0..253_402_300_800_000).contains(&ms) {
                out.push_str(&format!("{{\"$date\": \"{}\"}}", examfn_domain::debezium::format_ms(ms)));
            } else {
                out.push_str(&format!("{{\"$date\": {{\"$numberLong\": \"{ms}\"}}}}"));
            }
        }
        Bson::Decimal128(d) => out.push_str(&format!("{{\"$numberDecimal\": \"{d}\"}}")),
        other => {
            // Binary, timestamps, regexes, …: the bson crate's relaxed form.
            let v: Value = other.clone().into_relaxed_extjson();
            out.push_str(&v.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use examfn_domain::debezium::{self, Form, Op};
    use mongodb::bson::{doc, oid::ObjectId, DateTime};

    fn fmt(schemas: bool) -> Format {
        Format { prefix: "mongo-trigger-topic".into(), db: "exams".into(), collection: "score".into(), schemas }
    }

    fn origin() -> Origin {
        Origin { ts_ms: 1_721_924_024_000, ord: 3, snapshot: "false", wall_time_ms: None }
    }

    #[test]
    fn key_is_debeziums() {
        let oid = ObjectId::parse_str("66a279b8f98a9d0379570575").unwrap();
        let k = fmt(false).key(&Bson::ObjectId(oid));
        assert_eq!(String::from_utf8(k).unwrap(), r#"{"id":"{\"$oid\": \"66a279b8f98a9d0379570575\"}"}"#);
        let k = fmt(true).key(&Bson::ObjectId(oid));
        let v: Value = serde_json::from_slice(&k).unwrap();
        assert_eq!(v["schema"]["name"], "mongo-trigger-topic.exams.score.Key");
        assert_eq!(debezium::parse_key(&k).unwrap(), "66a279b8f98a9d0379570575");
        assert_eq!(debezium::parse_key(&fmt(false).key(&Bson::String("a-1".into()))).unwrap(), "a-1");
    }

    #[test]
    fn after_is_java_style_relaxed_extended_json() {
        let oid = ObjectId::parse_str("66a279b8f98a9d0379570575").unwrap();
        let d = doc! {"_id": oid, "email": "t@x", "score": 0, "big": 5_000_000_000_i64, "f": 1.0, "g": 0.5,
                      "at": DateTime::from_millis(1_721_924_024_568), "ok": false, "n": Bson::Null, "l": [1, "a"]};
        assert_eq!(
            ext_json_doc(&d),
            "{\"_id\": {\"$oid\": \"66a279b8f98a9d0379570575\"}, \"email\": \"t@x\", \"score\": 0, \"big\": 5000000000, \
             \"f\": 1.0, \"g\": 0.5, \"at\": {\"$date\": \"2024-07-25T16:13:44.568Z\"}, \"ok\": false, \"n\": null, \"l\": [1, \"a\"]}"
        );
    }

    #[test]
    fn every_record_parses_back_with_the_domain_parser() {
        let oid = ObjectId::new();
        let d = doc! {"_id": oid, "email": "s@x", "score": 2, "result": "passed", "details": [{"question": "q", "is_correct": true}]};
        let id = Bson::ObjectId(oid);
        for schemas in [true, false] {
            let f = fmt(schemas);
            let recs = f.records(&id, &Kind::Create(&d), &origin(), 1_721_924_024_568);
            assert_eq!(recs.len(), 1);
            let c = debezium::parse_record(Some(&recs[0].key), recs[0].value.as_deref()).unwrap();
            assert_eq!((c.op, c.id.as_str()), (Op::Create, oid.to_hex().as_str()));
            assert_eq!(c.form, if schemas { Form::SchemaEnvelope } else { Form::Envelope });
            let doc = c.doc.unwrap();
            assert_eq!(doc["email"], "s@x");
            assert_eq!(doc["details"][0]["is_correct"], true);
            let s = c.source.unwrap();
            assert_eq!(
                (s.connector.as_deref(), s.name.as_deref(), s.db.as_deref(), s.collection.as_deref(), s.rs.as_deref(), s.ord),
                (Some("mongodb"), Some("mongo-trigger-topic"), Some("exams"), Some("score"), Some("rs0"), Some(3))
            );

            let mut o = origin();
            o.snapshot = "last";
            let r = &f.records(&id, &Kind::Read(&d), &o, 0)[0];
            let c = debezium::parse_record(Some(&r.key), r.value.as_deref()).unwrap();
            assert!(c.op == Op::Read && c.is_snapshot());

            let upd = doc! {"score": 3};
            let u = &f.records(&id, &Kind::Update { after: Some(&d), updated: Some(&upd), removed: &[] }, &origin(), 0)[0];
            let c = debezium::parse_record(Some(&u.key), u.value.as_deref()).unwrap();
            assert_eq!(c.op, Op::Update);
            assert_eq!(c.update_description.unwrap()["updatedFields"]["score"], 3);

            let del = f.records(&id, &Kind::Delete, &origin(), 0);
            assert_eq!(del.len(), 2, "a delete is followed by a tombstone");
            let c = debezium::parse_record(Some(&del[0].key), del[0].value.as_deref()).unwrap();
            assert_eq!((c.op, c.id.as_str(), c.doc.is_none()), (Op::Delete, oid.to_hex().as_str(), true));
            assert!(del[1].value.is_none());
            let t = debezium::parse_record(Some(&del[1].key), None).unwrap();
            assert_eq!(t.op, Op::Tombstone);
        }
    }

    #[test]
    fn schema_envelope_names_the_topic() {
        let d = doc! {"_id": 1};
        let r = &fmt(true).records(&Bson::Int32(1), &Kind::Create(&d), &origin(), 5)[0];
        let v: Value = serde_json::from_slice(r.value.as_ref().unwrap()).unwrap();
        assert_eq!(v["schema"]["name"], "mongo-trigger-topic.exams.score.Envelope");
        assert_eq!(v["payload"]["after"], "{\"_id\": 1}");
        assert_eq!(v["payload"]["ts_ms"], 5);
        assert_eq!(fmt(true).topic(), "mongo-trigger-topic.exams.score");
    }
}
