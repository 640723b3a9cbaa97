//! Where each question of an exam comes from: exam-gen's sidecar
//! (`questions_bank/<name>.meta.json`) joined to the questions an educator
//! reviews.
//!
//! The sidecar describes every question exam-gen wrote: `questions[]` (the
//! exam file's questions, in its order) and `spare_details[]` (the `spares`,
//! in their order). Each entry has the AWS fields plus `type`, `page`,
//! `source` (the lecture sentence) and, from exam-gen's language-model
//! source and verifier on, `origin` (`llm` | `rules`), `model`, `passage`
//! and `needs_review` (why the verifier could not confirm it). Older sidecars
//! lack the new fields, exams put straight into the bucket have no sidecar:
//! both simply carry less.
//!
//! A question is joined to its entry by identity, not position: its
//! `source_id` ([`source_id`] of the text exam-gen wrote) is kept with the
//! question in every stored version (`exams.exam_versions`, field `source_id`
//! of the question), so a question keeps its origin through edits, moves and
//! deletions of others; a question without a stored id is identified by its
//! own text (the exam file as exam-gen wrote it). A replacement from the
//! spares is joined to its `spare_details` entry.

use std::collections::HashMap;

use examfn_domain::exam::{Exam, Question};
use serde_json::{json, Map, Value};

/// Longest `source_id` a client may send back.
pub const MAX_SOURCE_ID: usize = 64;

/// The identity of a question exam-gen wrote: `q` and the first 16 hex
/// digits of the SHA-256 of its (trimmed) text.
pub fn source_id(text: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.trim().as_bytes());
    let hex: String = digest.as_ref().iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("q{hex}")
}

/// Whether a client-sent `source_id` has the shape [`source_id`] gives.
pub fn valid_source_id(s: &str) -> bool {
    s.len() <= MAX_SOURCE_ID && s.len() > 1 && s.starts_with('q') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// One sidecar entry: a question as exam-gen wrote it and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// The question as written (text, options, correct answer; options and
    /// correct answer may be missing from an odd entry).
    pub original: Question,
    /// From `spare_details` (a replacement), not `questions`.
    pub spare: bool,
    pub page: Option<u64>,
    /// `multiple_choice` | `true_false`.
    pub kind: Option<String>,
    pub source: Option<String>,
    /// `llm` | `rules`; anything else is dropped.
    pub origin: Option<String>,
    pub model: Option<String>,
    pub passage: Option<String>,
    pub needs_review: Option<String>,
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl Detail {
    /// An entry read leniently: a field of the wrong type counts as absent.
    fn from_value(v: &Value, spare: bool) -> Option<Self> {
        let question = text(v, "question")?;
        let options = v
            .get("options")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let origin = text(v, "origin").filter(|o| o == "llm" || o == "rules");
        Some(Self {
            original: Question { question, options, correct_answer: text(v, "correct_answer").unwrap_or_default() },
            spare,
            page: v.get("page").and_then(Value::as_u64).filter(|p| *p > 0),
            kind: text(v, "type"),
            source: text(v, "source"),
            model: if origin.as_deref() == Some("llm") { text(v, "model") } else { None },
            origin,
            passage: text(v, "passage"),
            needs_review: text(v, "needs_review"),
        })
    }

    /// Whether `q` differs from the question as exam-gen wrote it (texts
    /// compared trimmed; options and correct answer only when the entry has them).
    pub fn edited(&self, q: &Question) -> bool {
        let o = &self.original;
        if o.question.trim() != q.question.trim() {
            return true;
        }
        if !o.options.is_empty() {
            let a: Vec<&str> = o.options.iter().map(|s| s.trim()).collect();
            let b: Vec<&str> = q.options.iter().map(|s| s.trim()).collect();
            if a != b {
                return true;
            }
        }
        !o.correct_answer.is_empty() && o.correct_answer.trim() != q.correct_answer.trim()
    }

    /// The API's `provenance` of a question joined to this entry.
    pub fn to_json(&self, q: &Question) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put("page", self.page.map(Value::from));
        put("type", self.kind.clone().map(Value::from));
        put("origin", self.origin.clone().map(Value::from));
        put("model", self.model.clone().map(Value::from));
        put("source", self.source.clone().map(Value::from));
        put("passage", self.passage.clone().map(Value::from));
        put("needs_review", self.needs_review.clone().map(Value::from));
        m.insert("edited".into(), json!(self.edited(q)));
        m.insert("spare".into(), json!(self.spare));
        Value::Object(m)
    }
}

/// exam-gen's sidecar as take-exam uses it.
#[derive(Debug, Clone, Default)]
pub struct Sidecar {
    /// `spares` (AWS questions) for replacements; None when absent.
    pub spares: Option<Exam>,
    /// Why `spares` could not be read, when it is malformed.
    pub spares_error: Option<String>,
    /// `questions[]` and `spare_details[]` by [`source_id`] (the first entry wins).
    details: HashMap<String, Detail>,
    /// Some entry has `needs_review`.
    pub any_needs_review: bool,
}

impl Sidecar {
    /// Read a sidecar's bytes. Only a body that is not a JSON object is an
    /// error; odd entries are skipped, odd fields count as absent.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        if !v.is_object() {
            return Err("not a JSON object".into());
        }
        let (spares, spares_error) = match v.get("spares") {
            None | Some(Value::Null) => (None, None),
            Some(s) => match serde_json::from_value::<Exam>(s.clone()) {
                Ok(e) => (Some(e), None),
                Err(e) => (None, Some(format!("its spares are not AWS questions: {e}"))),
            },
        };
        let mut details: HashMap<String, Detail> = HashMap::new();
        let mut add = |d: Detail| {
            details.entry(source_id(&d.original.question)).or_insert(d);
        };
        for e in v.get("questions").and_then(Value::as_array).into_iter().flatten() {
            if let Some(d) = Detail::from_value(e, false) {
                add(d);
            }
        }
        // spare_details[j] describes spares[j]: the replacement take-exam puts in is spares[j].
        let spare_details = v.get("spare_details").and_then(Value::as_array);
        if let Some(list) = spare_details {
            for (j, e) in list.iter().enumerate() {
                let Some(mut d) = Detail::from_value(e, true) else { continue };
                if let Some(s) = spares.as_ref().and_then(|s| s.get(j)) {
                    d.original = s.clone();
                }
                add(d);
            }
        }
        let any_needs_review = details.values().any(|d| d.needs_review.is_some());
        Ok(Self { spares, spares_error, details, any_needs_review })
    }

    /// The entry of a question with this identity.
    pub fn detail(&self, id: &str) -> Option<&Detail> {
        self.details.get(id)
    }
}

/// The identity of question `i`: its stored `source_id`, else its own text's.
pub fn effective_id(q: &Question, stored: Option<&Option<String>>) -> String {
    stored.and_then(|s| s.clone()).unwrap_or_else(|| source_id(&q.question))
}

/// The review API's questions: each question as stored, plus `source_id` and
/// `provenance` when the sidecar describes it; and the number of questions
/// that still need the educator's review (flagged by the verifier and not
/// edited since).
pub fn annotate(questions: &[Question], stored: &[Option<String>], sidecar: Option<&Sidecar>) -> (Vec<Value>, usize) {
    let mut flagged = 0;
    let out = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut v = json!(q);
            let id = effective_id(q, stored.get(i));
            if let Some(d) = sidecar.and_then(|s| s.detail(&id)) {
                if d.needs_review.is_some() && !d.edited(q) {
                    flagged += 1;
                }
                v["source_id"] = json!(id);
                v["provenance"] = d.to_json(q);
            }
            v
        })
        .collect();
    (out, flagged)
}

/// How many questions still need review (as [`annotate`] counts them).
pub fn needs_review(questions: &[Question], stored: &[Option<String>], sidecar: &Sidecar) -> usize {
    if !sidecar.any_needs_review {
        return 0;
    }
    questions
        .iter()
        .enumerate()
        .filter(|(i, q)| {
            sidecar.detail(&effective_id(q, stored.get(*i))).is_some_and(|d| d.needs_review.is_some() && !d.edited(q))
        })
        .count()
}

/// The identities to store with an edited question list. For each new
/// question: the `source_id` the client sent back, else the identity of the
/// previous question with the same text, else of the previous question with
/// the same options and correct answer (a client from before identities that
/// edited only the text); each previous question is matched at most once.
/// None where nothing matches (a question the educator wrote: its own text
/// is its identity).
pub fn carry_ids(new: &[Question], sent: &[Option<String>], old: &[Question], old_ids: &[Option<String>]) -> Vec<Option<String>> {
    let mut used = vec![false; old.len()];
    let mut out: Vec<Option<String>> = vec![None; new.len()];
    let mut open: Vec<usize> = Vec::new();
    for (i, q) in new.iter().enumerate() {
        if let Some(Some(id)) = sent.get(i) {
            out[i] = Some(id.clone());
            // The previous question it came from is taken.
            if let Some(j) = (0..old.len()).find(|&j| !used[j] && effective_id(&old[j], old_ids.get(j)) == *id) {
                used[j] = true;
            }
            continue;
        }
        match (0..old.len()).find(|&j| !used[j] && old[j].question.trim() == q.question.trim()) {
            Some(j) => {
                used[j] = true;
                out[i] = old_ids.get(j).cloned().flatten();
            }
            None => open.push(i),
        }
    }
    for i in open {
        let q = &new[i];
        let same = |o: &Question| {
            o.correct_answer.trim() == q.correct_answer.trim()
                && o.options.len() == q.options.len()
                && o.options.iter().zip(&q.options).all(|(a, b)| a.trim() == b.trim())
        };
        if let Some(j) = (0..old.len()).find(|&j| !used[j] && same(&old[j])) {
            used[j] = true;
            out[i] = Some(effective_id(&old[j], old_ids.get(j)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(t: &str, o: &[&str], c: &str) -> Question {
        Question { question: t.into(), options: o.iter().map(|s| s.to_string()).collect(), correct_answer: c.into() }
    }

    fn sidecar() -> Sidecar {
        let v = json!({
            "generator": "llm:m+rules",
            "questions": [
                {"question": "A?", "options": ["1", "2"], "correct_answer": "1", "type": "multiple_choice", "page": 3,
                 "source": "One is A.", "origin": "llm", "model": "m", "passage": "Intro. One is A. Outro.",
                 "needs_review": "the key is not found in its passage"},
                {"question": "B is true.", "options": ["True", "False"], "correct_answer": "True", "type": "true_false",
                 "page": 4, "source": "B is true.", "origin": "rules", "model": "ignored"},
                {"question": "Old?", "options": ["x", "y"], "correct_answer": "x", "page": "seven", "origin": "martian"},
                {"options": ["no text"]}
            ],
            "spares": [{"question": "S?", "options": ["s", "t"], "correct_answer": "s"}],
            "spare_details": [{"question": "S?", "options": ["s", "t"], "correct_answer": "s", "page": 9, "origin": "rules"}]
        });
        Sidecar::parse(v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn ids_are_short_stable_and_ignore_surrounding_space() {
        assert_eq!(source_id("A?"), source_id("  A?\n"));
        assert_ne!(source_id("A?"), source_id("B?"));
        assert_eq!(source_id("A?").len(), 17);
        assert!(valid_source_id(&source_id("A?")));
        for bad in ["", "q", "x0123", "q01g3", &format!("q{}", "0".repeat(70))] {
            assert!(!valid_source_id(bad), "{bad}");
        }
    }

    #[test]
    fn entries_are_read_leniently_and_joined_by_text() {
        let s = sidecar();
        assert!(s.any_needs_review);
        let a = s.detail(&source_id("A?")).unwrap();
        assert_eq!((a.page, a.origin.as_deref(), a.model.as_deref()), (Some(3), Some("llm"), Some("m")));
        let b = s.detail(&source_id("B is true.")).unwrap();
        assert_eq!((b.origin.as_deref(), b.model.as_deref()), (Some("rules"), None), "a model only with origin llm");
        let old = s.detail(&source_id("Old?")).unwrap();
        assert_eq!((old.page, old.origin.as_deref()), (None, None), "odd values count as absent");
        let spare = s.detail(&source_id("S?")).unwrap();
        assert!(spare.spare);
        assert_eq!(spare.page, Some(9));
        assert!(Sidecar::parse(b"[1]").is_err());
        let broken = Sidecar::parse(br#"{"spares": [{"question": 1}]}"#).unwrap();
        assert!(broken.spares.is_none() && broken.spares_error.is_some());
    }

    #[test]
    fn annotations_follow_identity_and_count_unedited_flags() {
        let s = sidecar();
        let exam = vec![q("B is true.", &["True", "False"], "True"), q("A?", &["1", "2"], "1"), q("Mine?", &["a", "b"], "a")];
        let (out, n) = annotate(&exam, &[], Some(&s));
        assert_eq!(n, 1);
        assert_eq!(out[0]["provenance"]["origin"], "rules");
        assert_eq!(out[1]["provenance"]["needs_review"], "the key is not found in its passage");
        assert_eq!(out[1]["provenance"]["edited"], false);
        assert_eq!(out[2], json!(exam[2]), "a question of the educator's own stays as it is");
        // Edited, with its identity kept: same origin and passage, marked edited, no longer counted.
        let edited = vec![q("What is A?", &["1", "2"], "1")];
        let (out, n) = annotate(&edited, &[Some(source_id("A?"))], Some(&s));
        assert_eq!(n, 0);
        assert_eq!(out[0]["provenance"]["passage"], "Intro. One is A. Outro.");
        assert_eq!(out[0]["provenance"]["edited"], true);
        assert_eq!(needs_review(&exam, &[], &s), 1);
        assert_eq!(needs_review(&edited, &[Some(source_id("A?"))], &s), 0);
        // Without a sidecar: the AWS objects only.
        let (out, n) = annotate(&exam, &[], None);
        assert_eq!((out[1].clone(), n), (json!(exam[1]), 0));
    }

    #[test]
    fn identities_are_carried_through_edits_moves_and_deletions() {
        let old = vec![q("A?", &["1", "2"], "1"), q("B?", &["3", "4"], "3"), q("C?", &["5", "6"], "5")];
        let ids = vec![None, Some("qbbbb".to_string()), None];
        // C moved first, A's text edited by an old client, B deleted, one new question.
        let new = vec![q("C?", &["5", "6"], "5"), q("A, edited?", &["1", "2"], "1"), q("New?", &["7", "8"], "7")];
        assert_eq!(carry_ids(&new, &[], &old, &ids), vec![None, Some(source_id("A?")), None]);
        // A client that sends the ids back keeps them whatever it changed.
        let new = vec![q("B, edited?", &["3", "x"], "x")];
        assert_eq!(carry_ids(&new, &[Some("qbbbb".into())], &old, &ids), vec![Some("qbbbb".to_string())]);
    }
}
