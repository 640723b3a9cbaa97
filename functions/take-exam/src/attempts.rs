//! Started attempts (`exams.attempts`): when a student started, against which
//! version, in which order the questions and options were shown, and until
//! when a submit is accepted.
//!
//! Document: `{_id: attempt_id, email, exam, version, order: [i], option_orders:
//! [[j]], started_at, deadline (RFC 3339 or null), submitted_key: ""}`.
//! `order[k]` is the index in the version of the k-th question shown;
//! `option_orders[i]` the order of question i's options as shown. Answers are
//! graded by option text, so the option order only matters for display.
//! `submitted_key` is the Idempotency-Key of the submit that claimed the
//! attempt ("" until then): one attempt, one result.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Collection;
use serde_json::{json, Value};

use examfn_domain::exam::Question;
use examfn_domain::grading::ExamName;
use examfn_domain::names::SCORE_COLLECTION;
use examfn_runtime::mongo::classify;
use examfn_runtime::FnError;

use crate::review::{int_of, Settings};

pub const ATTEMPTS_COLLECTION: &str = "attempts";

/// A started attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: String,
    pub email: String,
    pub exam: String,
    /// 0: the exam file itself (an exam without a review document).
    pub version: i64,
    pub order: Vec<usize>,
    pub option_orders: Vec<Vec<usize>>,
    pub started_at: DateTime<Utc>,
    pub deadline: Option<DateTime<Utc>>,
    pub submitted_key: String,
}

fn usizes(b: &Bson) -> Vec<usize> {
    b.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Bson::Int32(v) => Some(*v as usize),
                    Bson::Int64(v) => Some(*v as usize),
                    Bson::Double(v) => Some(*v as usize),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn time_of(d: &Document, k: &str) -> Option<DateTime<Utc>> {
    d.get_str(k).ok().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc))
}

impl Attempt {
    fn from_doc(d: &Document) -> Self {
        Self {
            id: d.get_str("_id").unwrap_or_default().to_string(),
            email: d.get_str("email").unwrap_or_default().to_string(),
            exam: d.get_str("exam").unwrap_or_default().to_string(),
            version: int_of(d, "version").unwrap_or(0),
            order: d.get("order").map(usizes).unwrap_or_default(),
            option_orders: d
                .get_array("option_orders")
                .map(|a| a.iter().map(usizes).collect())
                .unwrap_or_default(),
            started_at: time_of(d, "started_at").unwrap_or_else(Utc::now),
            deadline: time_of(d, "deadline"),
            submitted_key: d.get_str("submitted_key").unwrap_or_default().to_string(),
        }
    }

    fn to_doc(&self) -> Document {
        let arr = |v: &[usize]| v.iter().map(|i| Bson::Int64(*i as i64)).collect::<Vec<_>>();
        doc! {
            "_id": &self.id,
            "email": &self.email,
            "exam": &self.exam,
            "version": self.version,
            "order": arr(&self.order),
            "option_orders": self.option_orders.iter().map(|o| Bson::Array(arr(o))).collect::<Vec<_>>(),
            "started_at": self.started_at.to_rfc3339(),
            "deadline": self.deadline.map(|d| Bson::String(d.to_rfc3339())).unwrap_or(Bson::Null),
            "submitted_key": &self.submitted_key,
        }
    }

    /// True while a submit is still accepted (`grace` after the deadline).
    pub fn open_at(&self, now: DateTime<Utc>, grace: chrono::Duration) -> bool {
        self.deadline.is_none_or(|d| now <= d + grace)
    }

    /// The questions as this attempt shows them (student view).
    pub fn student_view(&self, questions: &[Question]) -> Vec<Value> {
        self.order
            .iter()
            .filter_map(|&i| {
                let q = questions.get(i)?;
                let opts: Vec<&String> = match self.option_orders.get(i) {
                    Some(o) if o.len() == q.options.len() => o.iter().filter_map(|&j| q.options.get(j)).collect(),
                    _ => q.options.iter().collect(),
                };
                Some(json!({"question": q.question, "options": opts}))
            })
            .collect()
    }

    /// Answers given in the attempt's order, put back in the version's order.
    /// None when the count does not match (the grader then reports it).
    pub fn canonical_answers(&self, answers: &[String]) -> Option<Vec<String>> {
        if answers.len() != self.order.len() {
            return None;
        }
        let mut out = vec![String::new(); answers.len()];
        for (k, &i) in self.order.iter().enumerate() {
            *out.get_mut(i)? = answers[k].clone();
        }
        Some(out)
    }

    pub fn to_json(&self, questions: &[Question], settings: &Settings, grace: chrono::Duration, used: u64) -> Value {
        json!({
            "attempt_id": self.id,
            "exam": self.exam,
            "version": self.version,
            "started_at": self.started_at.to_rfc3339(),
            "deadline": self.deadline.map(|d| d.to_rfc3339()),
            "grace_seconds": grace.num_seconds(),
            "time_limit_seconds": settings.time_limit_seconds,
            "max_attempts": settings.max_attempts,
            "attempts_used": used,
            "feedback": settings.feedback,
            "questions": self.student_view(questions),
        })
    }
}

/// A random permutation of `0..n` (Fisher–Yates over a SplitMix64 stream seeded
/// from a random UUID; for display order, not for secrets).
pub fn permutation(n: usize) -> Vec<usize> {
    let mut state = uuid::Uuid::new_v4().as_u128() as u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        p.swap(i, j);
    }
    p
}

/// A new attempt's order and deadline from the settings.
pub fn new_attempt(
    email: &str,
    exam: &ExamName,
    version: i64,
    questions: &[Question],
    settings: &Settings,
    now: DateTime<Utc>,
) -> Attempt {
    let n = questions.len();
    let order = if settings.shuffle_questions { permutation(n) } else { (0..n).collect() };
    let option_orders = questions
        .iter()
        .map(|q| if settings.shuffle_options { permutation(q.options.len()) } else { (0..q.options.len()).collect() })
        .collect();
    let by_limit = settings.time_limit_seconds.map(|s| now + chrono::Duration::seconds(i64::from(s)));
    let deadline = match (by_limit, settings.closes_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Attempt {
        id: uuid::Uuid::new_v4().to_string(),
        email: email.to_string(),
        exam: exam.as_str().to_string(),
        version,
        order,
        option_orders,
        started_at: now,
        deadline,
        submitted_key: String::new(),
    }
}

/// The attempts collection and the counts the rules need.
pub struct Attempts {
    db: mongodb::Database,
}

impl Attempts {
    pub fn new(db: mongodb::Database) -> Self {
        Self { db }
    }

    fn coll(&self) -> Collection<Document> {
        self.db.collection(ATTEMPTS_COLLECTION)
    }

    pub async fn insert(&self, a: &Attempt) -> Result<(), FnError> {
        self.coll().insert_one(a.to_doc()).await.map(|_| ()).map_err(classify)
    }

    pub async fn get(&self, id: &str) -> Result<Option<Attempt>, FnError> {
        Ok(self.coll().find_one(doc! {"_id": id}).await.map_err(classify)?.as_ref().map(Attempt::from_doc))
    }

    /// The student's attempts of this exam not submitted yet.
    pub async fn unsubmitted(&self, email: &str, exam: &ExamName) -> Result<Vec<Attempt>, FnError> {
        let docs: Vec<Document> = self
            .coll()
            .find(doc! {"email": email, "exam": exam.as_str(), "submitted_key": ""})
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(docs.iter().map(Attempt::from_doc).collect())
    }

    /// Results the student has stored for this exam.
    pub async fn results(&self, email: &str, exam: &ExamName) -> Result<u64, FnError> {
        self.db
            .collection::<Document>(SCORE_COLLECTION)
            .count_documents(doc! {"email": email, "exam": exam.as_str()})
            .await
            .map_err(classify)
    }

    /// Claim the attempt for a submit with `key`; Ok(true) when this key holds it.
    pub async fn claim(&self, id: &str, key: &str) -> Result<bool, FnError> {
        let r = self
            .coll()
            .update_one(doc! {"_id": id, "submitted_key": ""}, doc! {"$set": {"submitted_key": key}})
            .await
            .map_err(classify)?;
        if r.matched_count == 1 {
            return Ok(true);
        }
        Ok(self.get(id).await?.is_some_and(|a| a.submitted_key == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str, opts: &[&str]) -> Question {
        Question { question: text.into(), options: opts.iter().map(|s| s.to_string()).collect(), correct_answer: opts[0].into() }
    }

    #[test]
    fn permutations_are_permutations_and_vary() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let mut p = permutation(6);
            seen.insert(p.clone());
            p.sort();
            assert_eq!(p, (0..6).collect::<Vec<_>>());
        }
        assert!(seen.len() > 10, "50 shuffles of 6 gave only {} orders", seen.len());
    }

    #[test]
    fn answers_in_shown_order_go_back_to_the_version_order() {
        let qs = vec![q("a", &["1", "2"]), q("b", &["3", "4"]), q("c", &["5", "6"])];
        let mut a = new_attempt("s@x", &ExamName::parse("e.json").unwrap(), 1, &qs, &Settings::default(), Utc::now());
        a.order = vec![2, 0, 1];
        a.option_orders = vec![vec![1, 0], vec![0, 1], vec![1, 0]];
        let view = a.student_view(&qs);
        assert_eq!(view[0], json!({"question": "c", "options": ["6", "5"]}));
        assert_eq!(view[1], json!({"question": "a", "options": ["2", "1"]}));
        let back = a.canonical_answers(&["6".into(), "1".into(), "4".into()]).unwrap();
        assert_eq!(back, vec!["1", "4", "6"]);
        assert!(a.canonical_answers(&["6".into()]).is_none());
    }

    #[test]
    fn the_deadline_is_the_time_limit_or_the_close_whichever_is_first() {
        let qs = vec![q("a", &["1", "2"])];
        let now = Utc::now();
        let name = ExamName::parse("e.json").unwrap();
        let s = Settings { time_limit_seconds: Some(600), ..Default::default() };
        assert_eq!(new_attempt("s", &name, 1, &qs, &s, now).deadline, Some(now + chrono::Duration::seconds(600)));
        let close = now + chrono::Duration::seconds(60);
        let s = Settings { time_limit_seconds: Some(600), closes_at: Some(close), ..Default::default() };
        assert_eq!(new_attempt("s", &name, 1, &qs, &s, now).deadline, Some(close));
        assert_eq!(new_attempt("s", &name, 1, &qs, &Settings::default(), now).deadline, None);
    }
}
