//! Debezium 2.x MongoDB change records, as they arrive on
//! `mongo-trigger-topic.exams.score` (from Debezium in the cluster, from our
//! `cdc-relay` locally), turned into one typed [`Change`].
//!
//! Accepted record values:
//!
//! * the JsonConverter envelope **with schemas**:
//!   `{"schema": {…}, "payload": {"before", "after", "updateDescription", "source", "op", "ts_ms", "transaction"}}`;
//! * the same envelope **without schemas** (the payload is the top level);
//! * `after` (and `before`) as an **extended-JSON string** (relaxed or canonical:
//!   `$oid`, `$date` as ISO string / `{"$numberLong": ms}` / plain ms,
//!   `$numberInt`, `$numberLong`, `$numberDouble`, `$numberDecimal`, …) or as an
//!   already-parsed object;
//! * the **`ExtractNewDocumentState`**-flattened plain document (optionally with
//!   the SMT's `__op` / `__deleted` / `__source_snapshot` fields);
//! * **deletes** (`op: "d"`, `after: null`) and **tombstones** (no value, an
//!   empty value, JSON `null`, or a schema envelope with a null payload).
//!
//! The record key is `{"id": "<extended JSON of _id>"}` (e.g.
//! `{"id":"{\"$oid\": \"66a2…\"}"}`), possibly in a schema envelope
//! `{"schema": …, "payload": {"id": …}}`. It supplies the id when the value
//! does not (deletes, tombstones, updates without the full document).
//!
//! Everything extended JSON is converted to plain JSON ([`to_plain_json`]):
//! ObjectIds become their hex string, dates an RFC 3339 UTC string, numbers
//! JSON numbers. Any other shape is an [`EnvelopeError`] that says why.

use serde_json::{Map, Value};

/// What happened to the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `c`: inserted.
    Create,
    /// `r`: read by a snapshot (the document already existed).
    Read,
    /// `u`: updated or replaced.
    Update,
    /// `d`: deleted.
    Delete,
    /// A record without a value, written after a delete for log compaction.
    Tombstone,
}

impl Op {
    /// The one-letter code Debezium writes (`t` for a tombstone, which has none).
    pub fn code(self) -> &'static str {
        match self {
            Op::Create => "c",
            Op::Read => "r",
            Op::Update => "u",
            Op::Delete => "d",
            Op::Tombstone => "t",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "c" => Some(Op::Create),
            "r" => Some(Op::Read),
            "u" => Some(Op::Update),
            "d" => Some(Op::Delete),
            _ => None,
        }
    }
}

/// The envelope's `source` block (every field optional: producers differ).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Source {
    pub version: Option<String>,
    pub connector: Option<String>,
    /// The connector's `topic.prefix`.
    pub name: Option<String>,
    pub ts_ms: Option<i64>,
    /// `"true"`, `"first"`, `"last"`, `"incremental"`, `"false"`, … (a boolean in old versions).
    pub snapshot: Option<String>,
    pub db: Option<String>,
    pub rs: Option<String>,
    pub collection: Option<String>,
    pub ord: Option<i64>,
}

impl Source {
    /// Whether the source block says the record comes from a snapshot.
    pub fn is_snapshot(&self) -> bool {
        matches!(self.snapshot.as_deref(), Some(s) if s != "false")
    }
}

/// Which of the accepted forms a record had (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// JsonConverter envelope with `schema` + `payload`.
    SchemaEnvelope,
    /// JsonConverter envelope without schemas.
    Envelope,
    /// `ExtractNewDocumentState` output: the plain document.
    Flattened,
    /// No value.
    Tombstone,
}

/// One change of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub op: Op,
    /// The document's `_id`: the hex of an ObjectId, otherwise its string form.
    pub id: String,
    /// The document after the change, in plain JSON (`None` for deletes,
    /// tombstones and updates that carry only an `updateDescription`).
    pub doc: Option<Value>,
    /// The document before the change, when the connector captured it.
    pub before: Option<Value>,
    /// `updateDescription`, with `updatedFields` parsed to plain JSON.
    pub update_description: Option<Value>,
    pub source: Option<Source>,
    /// The envelope's `ts_ms` (when the connector processed the change).
    pub ts_ms: Option<i64>,
    pub form: Form,
}

impl Change {
    /// Whether this change comes from a snapshot (`op: r`, or the SMT's
    /// `__source_snapshot` / the source block saying so).
    pub fn is_snapshot(&self) -> bool {
        self.op == Op::Read || self.source.as_ref().is_some_and(Source::is_snapshot) && self.op != Op::Update
    }
}

/// Why a record is not a change we understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("record value is not JSON: {0}")]
    ValueNotJson(String),
    #[error("record key is not a Debezium key ({{\"id\": \"<extended JSON of _id>\"}}): {0}")]
    BadKey(String),
    #[error("unknown envelope shape: {0}")]
    UnknownShape(String),
    #[error("unknown op {0:?} (expected c, r, u or d)")]
    UnknownOp(String),
    #[error("`{field}` is not a document in extended JSON: {reason}")]
    BadDocument { field: &'static str, reason: String },
    #[error("extended JSON value is invalid: {0}")]
    BadExtendedJson(String),
    #[error("the change names no document id (no _id in the value and no record key)")]
    NoId,
}

/// Parse a record (key and value bytes, both optional) into a [`Change`].
pub fn parse_record(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<Change, EnvelopeError> {
    let key_id = match key {
        Some(k) if !k.iter().all(u8::is_ascii_whitespace) => Some(parse_key(k)),
        _ => None,
    };
    let value = match value {
        None => None,
        Some(v) if v.iter().all(u8::is_ascii_whitespace) => None,
        Some(v) => {
            let parsed: Value = serde_json::from_slice(v).map_err(|e| EnvelopeError::ValueNotJson(e.to_string()))?;
            if parsed.is_null() {
                None
            } else {
                Some(parsed)
            }
        }
    };
    parse_value(key_id, value)
}

/// Parse a record key into the document id.
pub fn parse_key(key: &[u8]) -> Result<String, EnvelopeError> {
    let v: Value = match serde_json::from_slice(key) {
        Ok(v) => v,
        Err(e) => return Err(EnvelopeError::BadKey(format!("not JSON: {e}"))),
    };
    key_id_from_value(&v)
}

fn key_id_from_value(v: &Value) -> Result<String, EnvelopeError> {
    let obj = match v {
        Value::Object(o) => o,
        other => return Err(EnvelopeError::BadKey(format!("expected an object, got {}", kind(other)))),
    };
    if let (Some(payload), true) = (obj.get("payload"), obj.contains_key("schema")) {
        return key_id_from_value(payload);
    }
    let id = obj.get("id").or_else(|| obj.get("_id")).ok_or_else(|| {
        EnvelopeError::BadKey(format!("no \"id\" field (fields: {})", obj.keys().cloned().collect::<Vec<_>>().join(", ")))
    })?;
    match id {
        // Debezium writes the extended JSON of _id as a string; a string _id
        // is written as a JSON string literal inside it ("\"abc\"").
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner) => id_string(&inner).map_err(|e| EnvelopeError::BadKey(e.to_string())),
            Err(_) => Ok(s.clone()),
        },
        other => id_string(other).map_err(|e| EnvelopeError::BadKey(e.to_string())),
    }
}

/// The id of an `_id` value (extended or plain JSON).
fn id_string(v: &Value) -> Result<String, EnvelopeError> {
    match to_plain_json(v)? {
        Value::String(s) => Ok(s),
        Value::Null => Err(EnvelopeError::NoId),
        other => Ok(other.to_string()),
    }
}

/// Parse an already-decoded record value (`None` = tombstone) given the id
/// from the key, if any.
pub fn parse_value(key_id: Option<Result<String, EnvelopeError>>, value: Option<Value>) -> Result<Change, EnvelopeError> {
    let Some(value) = value else {
        // A tombstone: only the key says which document it was.
        let id = match key_id {
            Some(r) => r?,
            None => return Err(EnvelopeError::UnknownShape("a tombstone (no value) without a record key".into())),
        };
        return Ok(tombstone(id));
    };
    let Value::Object(mut obj) = value else {
        return Err(EnvelopeError::UnknownShape(format!("the value is {}, not an object", kind(&value))));
    };

    let mut form = Form::Envelope;
    if obj.contains_key("schema") && obj.contains_key("payload") {
        form = Form::SchemaEnvelope;
        match obj.remove("payload") {
            Some(Value::Object(p)) => obj = p,
            Some(Value::Null) => {
                let id = match key_id {
                    Some(r) => r?,
                    None => return Err(EnvelopeError::UnknownShape("a null payload without a record key".into())),
                };
                return Ok(tombstone(id));
            }
            Some(other) => {
                return Err(EnvelopeError::UnknownShape(format!(
                    "`payload` is {}; expected the change envelope or a document",
                    kind(&other)
                )))
            }
            None => unreachable!("checked above"),
        }
    }

    if obj.contains_key("op") && (obj.contains_key("after") || obj.contains_key("before") || obj.contains_key("source")) {
        return parse_envelope(obj, key_id, form);
    }
    if obj.contains_key("_id") || (form == Form::SchemaEnvelope && key_id.is_some()) || has_smt_fields(&obj) {
        return parse_flattened(obj, key_id);
    }
    let mut fields: Vec<&str> = obj.keys().map(String::as_str).collect();
    fields.truncate(12);
    Err(EnvelopeError::UnknownShape(format!(
        "neither a Debezium envelope (op + after/before/source) nor a document with _id; fields: [{}]",
        fields.join(", ")
    )))
}

fn tombstone(id: String) -> Change {
    Change {
        op: Op::Tombstone,
        id,
        doc: None,
        before: None,
        update_description: None,
        source: None,
        ts_ms: None,
        form: Form::Tombstone,
    }
}

fn has_smt_fields(obj: &Map<String, Value>) -> bool {
    obj.contains_key("__op") || obj.contains_key("__deleted")
}

fn parse_envelope(
    mut obj: Map<String, Value>,
    key_id: Option<Result<String, EnvelopeError>>,
    form: Form,
) -> Result<Change, EnvelopeError> {
    let op = match obj.get("op") {
        Some(Value::String(s)) => Op::from_code(s).ok_or_else(|| EnvelopeError::UnknownOp(s.clone()))?,
        Some(other) => return Err(EnvelopeError::UnknownOp(other.to_string())),
        None => unreachable!("checked by the caller"),
    };
    let doc = document_field(obj.remove("after"), "after")?;
    let before = document_field(obj.remove("before"), "before")?;
    // Debezium 1.x put the _id of updates and deletes in `filter`.
    let filter = document_field(obj.remove("filter"), "filter")?;
    let update_description = match obj.remove("updateDescription") {
        None | Some(Value::Null) => None,
        Some(Value::Object(mut ud)) => {
            if let Some(Value::String(s)) = ud.get("updatedFields") {
                let parsed = parse_ext_json_string(s, "updateDescription.updatedFields")?;
                ud.insert("updatedFields".into(), parsed);
            }
            Some(Value::Object(ud))
        }
        Some(other) => {
            return Err(EnvelopeError::UnknownShape(format!("`updateDescription` is {}", kind(&other))));
        }
    };
    let source = match obj.get("source") {
        Some(Value::Object(s)) => Some(parse_source(s)),
        Some(Value::Null) | None => None,
        Some(other) => return Err(EnvelopeError::UnknownShape(format!("`source` is {}", kind(other)))),
    };
    let ts_ms = obj.get("ts_ms").and_then(as_i64);

    if matches!(op, Op::Create | Op::Read) && doc.is_none() {
        return Err(EnvelopeError::UnknownShape(format!("op {:?} without `after`", op.code())));
    }
    let id = [doc.as_ref(), before.as_ref(), filter.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|d| d.get("_id").filter(|v| !v.is_null()).cloned());
    let id = match (id, key_id) {
        (Some(v), _) => plain_id(&v),
        (None, Some(r)) => r?,
        (None, None) => return Err(EnvelopeError::NoId),
    };
    Ok(Change { op, id, doc, before, update_description, source, ts_ms, form })
}

fn parse_flattened(
    mut obj: Map<String, Value>,
    key_id: Option<Result<String, EnvelopeError>>,
) -> Result<Change, EnvelopeError> {
    let smt_op = obj.remove("__op");
    let deleted = obj.remove("__deleted");
    let snapshot = obj.remove("__source_snapshot");
    let ts_ms = obj.remove("__source_ts_ms").and_then(|v| as_i64(&v)).or_else(|| obj.remove("__ts_ms").and_then(|v| as_i64(&v)));
    let deleted = match deleted {
        Some(Value::Bool(b)) => b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let op = match smt_op {
        Some(Value::String(s)) => Op::from_code(&s).ok_or(EnvelopeError::UnknownOp(s))?,
        Some(other) => return Err(EnvelopeError::UnknownOp(other.to_string())),
        // The plain SMT output does not say what happened: an insert unless
        // it is marked deleted. Replays are harmless: consumers are idempotent.
        None if deleted => Op::Delete,
        None => Op::Create,
    };
    let doc = to_plain_json(&Value::Object(obj))?;
    let id = match (doc.get("_id").filter(|v| !v.is_null()), key_id) {
        (Some(v), _) => plain_id(v),
        (None, Some(r)) => r?,
        (None, None) => return Err(EnvelopeError::NoId),
    };
    let source = snapshot.map(|s| Source {
        snapshot: Some(match s {
            Value::String(s) => s,
            other => other.to_string(),
        }),
        ..Source::default()
    });
    let doc = if op == Op::Delete { None } else { Some(doc) };
    Ok(Change { op, id, doc, before: None, update_description: None, source, ts_ms, form: Form::Flattened })
}

fn plain_id(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `after`/`before`/`filter`: null, an extended-JSON string, or an object.
fn document_field(v: Option<Value>, field: &'static str) -> Result<Option<Value>, EnvelopeError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let doc = parse_ext_json_string(&s, field)?;
            if !doc.is_object() {
                return Err(EnvelopeError::BadDocument { field, reason: format!("it is {}", kind(&doc)) });
            }
            Ok(Some(doc))
        }
        Some(v @ Value::Object(_)) => {
            to_plain_json(&v).map(Some).map_err(|e| EnvelopeError::BadDocument { field, reason: e.to_string() })
        }
        Some(other) => Err(EnvelopeError::BadDocument { field, reason: format!("it is {}", kind(&other)) }),
    }
}

fn parse_ext_json_string(s: &str, field: &'static str) -> Result<Value, EnvelopeError> {
    let v: Value = serde_json::from_str(s).map_err(|e| EnvelopeError::BadDocument { field, reason: e.to_string() })?;
    to_plain_json(&v).map_err(|e| EnvelopeError::BadDocument { field, reason: e.to_string() })
}

fn parse_source(s: &Map<String, Value>) -> Source {
    let string = |k: &str| match s.get(k) {
        Some(Value::String(v)) => Some(v.clone()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Source {
        version: string("version"),
        connector: string("connector"),
        name: string("name"),
        ts_ms: s.get("ts_ms").and_then(as_i64),
        snapshot: string("snapshot"),
        db: string("db"),
        rs: string("rs"),
        collection: string("collection"),
        ord: s.get("ord").and_then(as_i64),
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Convert MongoDB extended JSON (relaxed or canonical) into plain JSON:
/// `{"$oid": h}` → `h`; `{"$date": …}` → RFC 3339 UTC string with
/// milliseconds; `$numberInt`/`$numberLong` → integers; `$numberDouble` →
/// a number (`NaN`/`±Infinity` stay strings); `$numberDecimal` → a number
/// when it fits an f64, else its string; `$binary` → base64 string;
/// `$uuid`/`$symbol` → string; `$timestamp` → `{t, i}`; `$regularExpression`
/// → `/pattern/options`. Plain values pass through.
pub fn to_plain_json(v: &Value) -> Result<Value, EnvelopeError> {
    match v {
        Value::Array(items) => items.iter().map(to_plain_json).collect::<Result<Vec<_>, _>>().map(Value::Array),
        Value::Object(obj) => {
            if let Some(w) = wrapper(obj)? {
                return Ok(w);
            }
            let mut out = Map::with_capacity(obj.len());
            for (k, v) in obj {
                out.insert(k.clone(), to_plain_json(v)?);
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

fn bad(what: &str, v: &Value) -> EnvelopeError {
    EnvelopeError::BadExtendedJson(format!("{what}: {v}"))
}

fn wrapper(obj: &Map<String, Value>) -> Result<Option<Value>, EnvelopeError> {
    let Some((k, v)) = obj.iter().next() else { return Ok(None) };
    if !k.starts_with('$') {
        return Ok(None);
    }
    if obj.len() == 2 && obj.contains_key("$regex") {
        let p = obj.get("$regex").and_then(Value::as_str).unwrap_or_default();
        let o = obj.get("$options").and_then(Value::as_str).unwrap_or_default();
        return Ok(Some(Value::String(format!("/{p}/{o}"))));
    }
    if obj.len() != 1 {
        return Ok(None);
    }
    let out = match (k.as_str(), v) {
        ("$oid", Value::String(h)) => {
            if h.len() != 24 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("$oid is not 24 hex digits", v));
            }
            Value::String(h.to_ascii_lowercase())
        }
        ("$date", Value::String(s)) => Value::String(s.clone()),
        ("$date", Value::Number(n)) => {
            Value::String(format_ms(n.as_i64().ok_or_else(|| bad("$date milliseconds", v))?))
        }
        ("$date", Value::Object(inner)) => match inner.get("$numberLong") {
            Some(Value::String(s)) if inner.len() == 1 => {
                Value::String(format_ms(s.parse().map_err(|_| bad("$date.$numberLong", v))?))
            }
            _ => return Err(bad("$date", v)),
        },
        ("$numberInt" | "$numberLong", Value::String(s)) => {
            Value::from(s.trim().parse::<i64>().map_err(|_| bad(k, v))?)
        }
        ("$numberInt" | "$numberLong", Value::Number(n)) => Value::Number(n.clone()),
        ("$numberDouble", Value::String(s)) => match s.as_str() {
            "NaN" | "Infinity" | "-Infinity" => Value::String(s.clone()),
            _ => {
                let f: f64 = s.parse().map_err(|_| bad(k, v))?;
                serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(|| bad(k, v))?
            }
        },
        ("$numberDecimal", Value::String(s)) => match s.parse::<f64>() {
            Ok(f) if f.is_finite() => {
                // Integral decimals stay integers ("3" → 3, not 3.0).
                if f.fract() == 0.0 && f.abs() < 9.0e15 && !s.contains(['.', 'e', 'E']) {
                    Value::from(f as i64)
                } else {
                    serde_json::Number::from_f64(f).map(Value::Number).unwrap_or_else(|| Value::String(s.clone()))
                }
            }
            _ => Value::String(s.clone()),
        },
        ("$binary", Value::Object(b)) => b.get("base64").cloned().ok_or_else(|| bad("$binary", v))?,
        ("$binary", Value::String(s)) => Value::String(s.clone()),
        ("$uuid" | "$symbol" | "$code", Value::String(s)) => Value::String(s.clone()),
        ("$timestamp", Value::Object(t)) => Value::Object(t.clone()),
        ("$regularExpression", Value::Object(r)) => {
            let p = r.get("pattern").and_then(Value::as_str).unwrap_or_default();
            let o = r.get("options").and_then(Value::as_str).unwrap_or_default();
            Value::String(format!("/{p}/{o}"))
        }
        ("$undefined", _) => Value::Null,
        ("$minKey" | "$maxKey", _) => Value::String(k.clone()),
        // An ordinary field whose name starts with `$`: not ours to interpret.
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (proleptic Gregorian, UTC).
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z", sod / 3600, sod % 3600 / 60, sod % 60)
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OID: &str = "66a279b8f98a9d0379570575";

    /// The `after` string exactly as the seed shows Debezium 2.7 writing it.
    fn after_relaxed() -> String {
        format!(
            "{{\"_id\": {{\"$oid\": \"{OID}\"}},\"email\": \"tunisia@gmail.com\",\"score\": 0,\"result\": \"failed\",\
             \"details\": [{{\"question\": \"Which country of those countries located in balkans ?\",\
             \"user_answer\": \"Germany\",\"correct_answer\": \"Romania\",\"is_correct\": false}}]}}"
        )
    }

    fn source() -> Value {
        json!({"version":"2.7.0.Final","connector":"mongodb","name":"mongo-trigger-topic","ts_ms":1721924024000_i64,
               "snapshot":"false","db":"exams","sequence":null,"ts_us":1721924024000000_i64,"ts_ns":1721924024000000000_i64,
               "collection":"score","ord":1,"lsid":null,"txnNumber":null,"wallTime":null,"rs":"rs0"})
    }

    fn payload(op: &str, after: Value) -> Value {
        json!({"before":null,"after":after,"updateDescription":null,"source":source(),"op":op,"ts_ms":1721924024568_i64,"transaction":null})
    }

    fn value_schema() -> Value {
        json!({"type":"struct","optional":false,"name":"mongo-trigger-topic.exams.score.Envelope","version":1,"fields":[
            {"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"before"},
            {"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"after"},
            {"type":"string","optional":false,"field":"op"},
            {"type":"int64","optional":true,"field":"ts_ms"}]})
    }

    fn key_bytes() -> Vec<u8> {
        json!({"id": format!("{{\"$oid\": \"{OID}\"}}")}).to_string().into_bytes()
    }

    fn parse(key: Option<&[u8]>, value: &Value) -> Result<Change, EnvelopeError> {
        parse_record(key, Some(value.to_string().as_bytes()))
    }

    fn expected_doc() -> Value {
        json!({"_id":OID,"email":"tunisia@gmail.com","score":0,"result":"failed","details":[
            {"question":"Which country of those countries located in balkans ?","user_answer":"Germany",
             "correct_answer":"Romania","is_correct":false}]})
    }

    #[test]
    fn schemas_on_with_after_as_relaxed_string() {
        let v = json!({"schema": value_schema(), "payload": payload("c", Value::String(after_relaxed()))});
        let c = parse(Some(&key_bytes()), &v).unwrap();
        assert_eq!(c.op, Op::Create);
        assert_eq!(c.id, OID);
        assert_eq!(c.form, Form::SchemaEnvelope);
        assert_eq!(c.doc.as_ref().unwrap(), &expected_doc());
        let s = c.source.as_ref().unwrap();
        assert_eq!(s.connector.as_deref(), Some("mongodb"));
        assert_eq!(s.db.as_deref(), Some("exams"));
        assert_eq!(s.collection.as_deref(), Some("score"));
        assert_eq!(s.rs.as_deref(), Some("rs0"));
        assert_eq!(s.ord, Some(1));
        assert_eq!(s.ts_ms, Some(1721924024000));
        assert!(!c.is_snapshot());
        assert_eq!(c.ts_ms, Some(1721924024568));
    }

    #[test]
    fn schemas_off_payload_at_top_level_and_no_key() {
        let v = payload("c", Value::String(after_relaxed()));
        let c = parse(None, &v).unwrap();
        assert_eq!(c.form, Form::Envelope);
        assert_eq!(c.id, OID);
        assert_eq!(c.doc.unwrap(), expected_doc());
    }

    #[test]
    fn canonical_extended_json_after() {
        let after = json!({
            "_id": {"$oid": OID},
            "email": "a@b.c",
            "score": {"$numberInt": "3"},
            "percentage": {"$numberLong": "75"},
            "ratio": {"$numberDouble": "0.75"},
            "weird": {"$numberDouble": "NaN"},
            "exact": {"$numberDecimal": "12.50"},
            "whole": {"$numberDecimal": "7"},
            "submitted_at": {"$date": {"$numberLong": "1721924024568"}},
            "details": [{"question": "q", "is_correct": true, "n": {"$numberInt": "-2"}}]
        })
        .to_string();
        let v = json!({"schema": value_schema(), "payload": payload("c", Value::String(after))});
        let d = parse(Some(&key_bytes()), &v).unwrap().doc.unwrap();
        assert_eq!(d["_id"], OID);
        assert_eq!(d["score"], 3);
        assert_eq!(d["percentage"], 75);
        assert_eq!(d["ratio"], 0.75);
        assert_eq!(d["weird"], "NaN");
        assert_eq!(d["exact"], 12.5);
        assert_eq!(d["whole"], 7);
        assert_eq!(d["submitted_at"], "2024-07-25T16:13:44.568Z");
        assert_eq!(d["details"][0]["n"], -2);
    }

    #[test]
    fn date_forms_all_become_the_same_kind_of_string() {
        let iso = to_plain_json(&json!({"$date": "2024-07-25T16:13:44.568Z"})).unwrap();
        let long = to_plain_json(&json!({"$date": {"$numberLong": "1721924024568"}})).unwrap();
        let num = to_plain_json(&json!({"$date": 1721924024568_i64})).unwrap();
        assert_eq!(iso, "2024-07-25T16:13:44.568Z");
        assert_eq!(long, iso);
        assert_eq!(num, iso);
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert!(to_plain_json(&json!({"$date": {"$numberLong": "soon"}})).is_err());
        assert!(to_plain_json(&json!({"$oid": "xyz"})).is_err());
    }

    #[test]
    fn after_as_an_object() {
        let after = json!({"_id": {"$oid": OID}, "email": "x@y.z", "score": {"$numberInt": "1"}, "details": []});
        let c = parse(Some(&key_bytes()), &payload("c", after)).unwrap();
        assert_eq!(c.doc.unwrap(), json!({"_id": OID, "email": "x@y.z", "score": 1, "details": []}));
    }

    #[test]
    fn snapshot_read() {
        let mut p = payload("r", Value::String(after_relaxed()));
        p["source"]["snapshot"] = json!("true");
        let c = parse(Some(&key_bytes()), &p).unwrap();
        assert_eq!(c.op, Op::Read);
        assert!(c.is_snapshot());
        assert!(c.source.unwrap().is_snapshot());
    }

    #[test]
    fn update_with_only_an_update_description_takes_the_id_from_the_key() {
        let mut p = payload("u", Value::Null);
        p["updateDescription"] = json!({"removedFields": null, "updatedFields": "{\"score\": {\"$numberInt\": \"4\"}}", "truncatedArrays": null});
        let c = parse(Some(&key_bytes()), &json!({"schema": value_schema(), "payload": p})).unwrap();
        assert_eq!(c.op, Op::Update);
        assert_eq!(c.id, OID);
        assert!(c.doc.is_none());
        assert_eq!(c.update_description.unwrap()["updatedFields"], json!({"score": 4}));
    }

    #[test]
    fn delete_then_tombstone() {
        let v = json!({"schema": value_schema(), "payload": payload("d", Value::Null)});
        let c = parse(Some(&key_bytes()), &v).unwrap();
        assert_eq!((c.op, c.id.as_str(), c.doc.is_none()), (Op::Delete, OID, true));

        for value in [None, Some(&b""[..]), Some(&b"null"[..]), Some(&b"  \n"[..])] {
            let t = parse_record(Some(&key_bytes()), value).unwrap();
            assert_eq!((t.op, t.id.as_str(), t.form), (Op::Tombstone, OID, Form::Tombstone));
        }
        let t = parse_record(Some(&key_bytes()), Some(br#"{"schema":null,"payload":null}"#)).unwrap();
        assert_eq!(t.op, Op::Tombstone);
        // A tombstone with no key names nothing.
        assert!(parse_record(None, None).is_err());
    }

    #[test]
    fn debezium_1x_delete_with_filter() {
        let mut p = payload("d", Value::Null);
        p["filter"] = json!(format!("{{\"_id\": {{\"$oid\": \"{OID}\"}}}}"));
        assert_eq!(parse(None, &p).unwrap().id, OID);
    }

    #[test]
    fn flattened_document_from_extract_new_document_state() {
        let doc = json!({"_id": {"$oid": OID}, "email": "s@x.y", "score": 2, "result": "passed", "details": []});
        let c = parse(Some(&key_bytes()), &doc).unwrap();
        assert_eq!((c.op, c.form), (Op::Create, Form::Flattened));
        assert_eq!(c.doc.unwrap()["_id"], OID);

        // With add.fields=op,source.snapshot and delete.handling.mode=rewrite.
        let r = json!({"_id": OID, "email": "s@x.y", "__op": "r", "__source_snapshot": "true"});
        let c = parse(None, &r).unwrap();
        assert_eq!(c.op, Op::Read);
        assert!(c.is_snapshot());
        assert!(c.doc.as_ref().unwrap().get("__op").is_none());
        let d = json!({"_id": OID, "__deleted": "true"});
        let c = parse(None, &d).unwrap();
        assert_eq!((c.op, c.doc), (Op::Delete, None));

        // Flattened, with a schema envelope, _id only in the key.
        let v = json!({"schema": {"type":"struct"}, "payload": {"email": "s@x.y"}});
        let c = parse(Some(&key_bytes()), &v).unwrap();
        assert_eq!((c.op, c.id.as_str()), (Op::Create, OID));
    }

    #[test]
    fn key_forms() {
        assert_eq!(parse_key(&key_bytes()).unwrap(), OID);
        let with_schema = json!({"schema": {"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],
                                 "optional":false,"name":"mongo-trigger-topic.exams.score.Key"},
                                 "payload": {"id": format!("{{\"$oid\": \"{OID}\"}}")}});
        assert_eq!(parse_key(with_schema.to_string().as_bytes()).unwrap(), OID);
        // String, integer and long ids.
        assert_eq!(parse_key(br#"{"id":"\"attempt-7\""}"#).unwrap(), "attempt-7");
        assert_eq!(parse_key(br#"{"id":"42"}"#).unwrap(), "42");
        assert_eq!(parse_key(br#"{"id":"{\"$numberLong\": \"9007199254740993\"}"}"#).unwrap(), "9007199254740993");
        // A raw (non-JSON) id string is taken as it is.
        assert_eq!(parse_key(br#"{"id":"plain-id"}"#).unwrap(), "plain-id");
        assert!(matches!(parse_key(b"not json"), Err(EnvelopeError::BadKey(_))));
        assert!(matches!(parse_key(br#"{"key": 1}"#), Err(EnvelopeError::BadKey(_))));
        assert!(matches!(parse_key(br#"[1]"#), Err(EnvelopeError::BadKey(_))));
    }

    #[test]
    fn unknown_shapes_say_why() {
        let e = parse_record(None, Some(b"{not json")).unwrap_err();
        assert!(matches!(e, EnvelopeError::ValueNotJson(_)), "{e}");
        let e = parse(None, &json!({"hello": "world"})).unwrap_err();
        assert!(e.to_string().contains("neither a Debezium envelope"), "{e}");
        assert!(e.to_string().contains("hello"), "{e}");
        let e = parse(None, &json!([1, 2])).unwrap_err();
        assert!(e.to_string().contains("an array"), "{e}");
        let e = parse(None, &payload("x", Value::Null)).unwrap_err();
        assert_eq!(e, EnvelopeError::UnknownOp("x".into()));
        let e = parse(None, &payload("c", Value::Null)).unwrap_err();
        assert!(e.to_string().contains("without `after`"), "{e}");
        let e = parse(None, &payload("c", json!("{broken"))).unwrap_err();
        assert!(matches!(e, EnvelopeError::BadDocument { field: "after", .. }), "{e}");
        let e = parse(None, &payload("c", json!("[1]"))).unwrap_err();
        assert!(matches!(e, EnvelopeError::BadDocument { field: "after", .. }), "{e}");
        let e = parse(None, &payload("d", Value::Null)).unwrap_err();
        assert_eq!(e, EnvelopeError::NoId);
        let e = parse(None, &json!({"schema": {}, "payload": 5})).unwrap_err();
        assert!(e.to_string().contains("`payload` is a number"), "{e}");
    }

    #[test]
    fn plain_json_passes_through_and_dollar_fields_are_kept() {
        let v = json!({"a": [1, "x", null, {"b": true}], "$set": {"x": 1}, "$comment": "c"});
        assert_eq!(to_plain_json(&v).unwrap(), v);
        assert_eq!(to_plain_json(&json!({"$regularExpression": {"pattern": "a+", "options": "i"}})).unwrap(), "/a+/i");
        assert_eq!(to_plain_json(&json!({"$binary": {"base64": "AAE=", "subType": "00"}})).unwrap(), "AAE=");
    }
}
