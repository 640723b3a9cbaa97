//! Started attempts (`exams.attempts`): when a student started, against which
//! version, in which order the questions and options were shown, and until
//! when a submit is accepted.
//!
//! Document: `{_id: attempt_id, email, exam, version, order: [i], option_orders:
//! [[j]], started_at, deadline (RFC 3339 or null), submitted_key: "", answers:
//! {"<k>": "<option>"|null}, flagged: {"<k>": bool}, extra_seconds}` (answers and
//! flags keyed by the 0-based position shown, saved as the student goes), and
//! when the server closed it at its deadline: `auto_pending` (claimed, result
//! not yet stored) and `result_stored`.
//! `order[k]` is the index in the version of the k-th question shown;
//! `option_orders[i]` the order of question i's options as shown. Answers are
//! graded by option text, so the option order only matters for display.
//! `submitted_key` is the Idempotency-Key of the submit that claimed the
//! attempt ("" until then; `auto:<attempt_id>` when the server closed it at
//! its deadline): one attempt, one result.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Collection;
use serde_json::{json, Value};

use examfn_domain::exam::Question;
use examfn_domain::grading::{percentage, Detail, ExamName, Graded, GradingError, Verdict};
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
    /// Saved answers in the order shown (None: not answered).
    pub answers: Vec<Option<String>>,
    /// Questions the student flagged to come back to, in the order shown.
    pub flagged: Vec<bool>,
    /// Extra time the educator gave this student (already in the deadline).
    pub extra_seconds: i64,
    /// The server claimed it at its deadline and has not stored the result yet.
    pub auto_pending: bool,
}

/// The key with which the server closes an attempt at its deadline.
pub fn auto_key(attempt_id: &str) -> String {
    format!("auto:{attempt_id}")
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
            answers: Vec::new(),
            flagged: Vec::new(),
            extra_seconds: int_of(d, "extra_seconds").unwrap_or(0),
            auto_pending: crate::review::bool_of(d, "auto_pending"),
        }
        .with_saved(d)
    }

    /// The saved answers and flags of the document (keyed by shown position).
    fn with_saved(mut self, d: &Document) -> Self {
        let n = self.order.len();
        self.answers = vec![None; n];
        self.flagged = vec![false; n];
        if let Ok(a) = d.get_document("answers") {
            for (k, v) in a {
                if let (Ok(i), Bson::String(s)) = (k.parse::<usize>(), v) {
                    if i < n {
                        self.answers[i] = Some(s.clone());
                    }
                }
            }
        }
        if let Ok(f) = d.get_document("flagged") {
            for (k, v) in f {
                if let Ok(i) = k.parse::<usize>() {
                    if i < n {
                        self.flagged[i] = matches!(v, Bson::Boolean(true) | Bson::Int32(1) | Bson::Int64(1));
                    }
                }
            }
        }
        self
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
            "answers": Document::new(),
            "flagged": Document::new(),
            "extra_seconds": self.extra_seconds,
        }
    }

    /// How many questions have a saved answer.
    pub fn answered(&self) -> usize {
        self.answers.iter().filter(|a| a.is_some()).count()
    }

    /// The saved answers put back in the version's order.
    pub fn saved_canonical(&self) -> Vec<Option<String>> {
        let mut out = vec![None; self.order.len()];
        for (k, &i) in self.order.iter().enumerate() {
            if let Some(slot) = out.get_mut(i) {
                *slot = self.answers.get(k).cloned().flatten();
            }
        }
        out
    }

    /// The shown order when it differs from the version's (stored with the result).
    pub fn shown_order(&self) -> Option<Vec<usize>> {
        (!self.order.iter().enumerate().all(|(k, &i)| k == i)).then(|| self.order.clone())
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

    /// Answers given in the attempt's order, put back in the version's order
    /// (None: not answered). None when the count does not match (the grader
    /// then reports it).
    pub fn canonical_answers(&self, answers: &[Option<String>]) -> Option<Vec<Option<String>>> {
        if answers.len() != self.order.len() {
            return None;
        }
        let mut out = vec![None; answers.len()];
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
            "pass_percentage": settings.pass_mark(),
            "extra_seconds": self.extra_seconds,
            "questions": self.student_view(questions),
            "answers": self.answers,
            "flagged": self.flagged,
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
    extra_seconds: i64,
) -> Attempt {
    let n = questions.len();
    let order = if settings.shuffle_questions { permutation(n) } else { (0..n).collect() };
    let option_orders = questions
        .iter()
        .map(|q| {
            if settings.shuffle_options && !keeps_option_order(&q.options) {
                permutation(q.options.len())
            } else {
                (0..q.options.len()).collect()
            }
        })
        .collect();
    let extra = chrono::Duration::seconds(extra_seconds.max(0));
    let by_limit = settings.time_limit_seconds.map(|s| now + chrono::Duration::seconds(i64::from(s)) + extra);
    // Extra time moves the close for this student too, so it is not cut short.
    let deadline = match (by_limit, settings.closes_at.map(|c| c + extra)) {
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
        answers: vec![None; n],
        flagged: vec![false; n],
        extra_seconds: extra_seconds.max(0),
        auto_pending: false,
    }
}

/// Whether a question's options are an ordered set that shuffling would
/// scramble, and so keep their order when options are shuffled: True/False,
/// sets that refer to each other ("I only", "II only", "Both I and II",
/// "Neither", "All of the above", "None of these", "A and B"), and options
/// that are all numbers (kept as written, usually ascending).
pub fn keeps_option_order(options: &[String]) -> bool {
    let norm: Vec<String> = options
        .iter()
        .map(|o| o.trim().trim_end_matches(['.', '!']).to_lowercase().split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if norm.len() == 2 && norm.iter().all(|o| o == "true" || o == "false") {
        return true;
    }
    let refers = |o: &str| {
        const WHOLE: [&str; 8] = ["both", "neither", "all", "none", "both of them", "neither of them", "all of them", "none of them"];
        if WHOLE.contains(&o) {
            return true;
        }
        let words: Vec<&str> = o.split(' ').collect();
        let first = words.first().copied().unwrap_or("");
        if ["all", "none", "both", "neither"].contains(&first)
            && (o.contains("of the above") || o.contains("of these") || o.contains("of the following") || o.contains(" and ") || o.contains(" nor "))
        {
            return true;
        }
        // Roman numerals and letters combined: "I only", "I and II", "II and III only", "A and B".
        let roman = |w: &str| !w.is_empty() && w.chars().all(|c| "ivx".contains(c)) && w.len() <= 4;
        let letter = |w: &str| w.len() == 1 && w.chars().all(|c| c.is_ascii_alphabetic());
        let tokens: Vec<&str> =
            words.iter().map(|w| w.trim_matches([',', '(', ')'])).filter(|w| !["and", "only", "or", "&", "both", "neither", "nor"].contains(w)).collect();
        !tokens.is_empty()
            && tokens.iter().all(|w| roman(w) || letter(w))
            && (words.contains(&"only") || words.contains(&"and") || words.contains(&"&") || tokens.iter().all(|w| roman(w)))
    };
    if norm.iter().any(|o| refers(o)) {
        return true;
    }
    norm.len() > 1 && norm.iter().all(|o| o.replace([',', ' ', '%'], "").parse::<f64>().is_ok())
}

/// Grade answers in the version's order where some may be missing (None:
/// not answered, which scores zero and is stored as the answer ""), passed
/// at `pass_percentage`. An answer that is not an option is refused as the
/// domain grader refuses it.
pub fn grade_partial(questions: &[Question], answers: &[Option<String>], pass_percentage: u32) -> Result<Graded, GradingError> {
    if questions.is_empty() {
        return Err(GradingError::EmptyExam);
    }
    if answers.len() != questions.len() {
        return Err(GradingError::WrongCount { expected: questions.len(), got: answers.len() });
    }
    let mut details = Vec::with_capacity(questions.len());
    let mut score = 0u32;
    for (i, (q, a)) in questions.iter().zip(answers).enumerate() {
        let user_answer = match a {
            Some(a) if !q.options.iter().any(|o| o == a) => {
                return Err(GradingError::NotAnOption { number: i + 1, answer: a.clone() })
            }
            Some(a) => a.clone(),
            None => String::new(),
        };
        let is_correct = a.is_some() && user_answer == q.correct_answer;
        score += u32::from(is_correct);
        details.push(Detail { question: q.question.clone(), user_answer, correct_answer: q.correct_answer.clone(), is_correct });
    }
    let total = questions.len() as u32;
    let percentage = percentage(score, total);
    let result = if percentage >= pass_percentage { Verdict::Passed } else { Verdict::Failed };
    Ok(Graded { score, total, percentage, result, details })
}

/// Which of the unsubmitted attempts to look at when closing overdue ones.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Student(String),
    Exam(String),
    StudentExam(String, String),
}

impl Scope {
    fn filter(&self) -> Document {
        match self {
            Scope::All => doc! {},
            Scope::Student(e) => doc! {"email": e},
            Scope::Exam(x) => doc! {"exam": x},
            Scope::StudentExam(e, x) => doc! {"email": e, "exam": x},
        }
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
        self.find(doc! {"email": email, "exam": exam.as_str(), "submitted_key": ""}).await
    }

    /// Every unsubmitted attempt at this exam (all students).
    pub async fn unsubmitted_for_exam(&self, exam: &ExamName) -> Result<Vec<Attempt>, FnError> {
        self.find(doc! {"exam": exam.as_str(), "submitted_key": ""}).await
    }

    /// The attempts that match `filter`.
    async fn find(&self, filter: Document) -> Result<Vec<Attempt>, FnError> {
        let docs: Vec<Document> = self.coll().find(filter).await.map_err(classify)?.try_collect().await.map_err(classify)?;
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

    /// Save one answer (and/or its flag) at shown position `k` while the
    /// attempt is not submitted. Ok(false) when it was submitted meanwhile.
    pub async fn save_answer(&self, id: &str, k: usize, answer: Option<Option<&str>>, flagged: Option<bool>) -> Result<bool, FnError> {
        let mut set = Document::new();
        if let Some(a) = answer {
            set.insert(format!("answers.{k}"), a.map(|s| Bson::String(s.to_string())).unwrap_or(Bson::Null));
        }
        if let Some(f) = flagged {
            set.insert(format!("flagged.{k}"), f);
        }
        if set.is_empty() {
            return Ok(true);
        }
        let r = self.coll().update_one(doc! {"_id": id, "submitted_key": ""}, doc! {"$set": set}).await.map_err(classify)?;
        Ok(r.matched_count == 1)
    }

    /// Unsubmitted attempts with a deadline, and attempts the server claimed
    /// at their deadline without storing the result yet, in `scope`.
    pub async fn closable(&self, scope: &Scope) -> Result<Vec<Attempt>, FnError> {
        let mut open = scope.filter();
        open.insert("submitted_key", "");
        open.insert("deadline", doc! {"$ne": Bson::Null});
        let mut pending = scope.filter();
        pending.insert("auto_pending", true);
        let mut out = self.find(open).await?;
        out.extend(self.find(pending).await?);
        Ok(out)
    }

    /// Claim an overdue attempt for the server's automatic submit. Ok(true)
    /// when the server holds it (now or from an earlier claim whose result
    /// was not stored); Ok(false) when a student's submit holds it.
    pub async fn claim_auto(&self, id: &str) -> Result<bool, FnError> {
        let key = auto_key(id);
        let r = self
            .coll()
            .update_one(doc! {"_id": id, "submitted_key": ""}, doc! {"$set": {"submitted_key": &key, "auto_pending": true}})
            .await
            .map_err(classify)?;
        if r.matched_count == 1 {
            return Ok(true);
        }
        Ok(self.get(id).await?.is_some_and(|a| a.submitted_key == key))
    }

    /// The attempt's result is stored (by a submit or by the server).
    pub async fn mark_stored(&self, id: &str) -> Result<(), FnError> {
        self.coll()
            .update_one(doc! {"_id": id}, doc! {"$set": {"auto_pending": false, "result_stored": true}})
            .await
            .map(|_| ())
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
        let mut a = new_attempt("s@x", &ExamName::parse("e.json").unwrap(), 1, &qs, &Settings::default(), Utc::now(), 0);
        a.order = vec![2, 0, 1];
        a.option_orders = vec![vec![1, 0], vec![0, 1], vec![1, 0]];
        let view = a.student_view(&qs);
        assert_eq!(view[0], json!({"question": "c", "options": ["6", "5"]}));
        assert_eq!(view[1], json!({"question": "a", "options": ["2", "1"]}));
        let some = |s: &str| Some(s.to_string());
        let back = a.canonical_answers(&[some("6"), some("1"), None]).unwrap();
        assert_eq!(back, vec![some("1"), None, some("6")]);
        assert!(a.canonical_answers(&[some("6")]).is_none());
        a.answers = vec![some("6"), None, some("4")];
        assert_eq!(a.saved_canonical(), vec![None, some("4"), some("6")]);
        assert_eq!(a.shown_order(), Some(vec![2, 0, 1]));
        a.order = vec![0, 1, 2];
        assert_eq!(a.shown_order(), None);
    }

    #[test]
    fn the_deadline_is_the_time_limit_or_the_close_whichever_is_first() {
        let qs = vec![q("a", &["1", "2"])];
        let now = Utc::now();
        let name = ExamName::parse("e.json").unwrap();
        let s = Settings { time_limit_seconds: Some(600), ..Default::default() };
        assert_eq!(new_attempt("s", &name, 1, &qs, &s, now, 0).deadline, Some(now + chrono::Duration::seconds(600)));
        // Extra time for one student: later deadline.
        assert_eq!(new_attempt("s", &name, 1, &qs, &s, now, 300).deadline, Some(now + chrono::Duration::seconds(900)));
        let close = now + chrono::Duration::seconds(60);
        let s = Settings { time_limit_seconds: Some(600), closes_at: Some(close), ..Default::default() };
        assert_eq!(new_attempt("s", &name, 1, &qs, &s, now, 0).deadline, Some(close));
        assert_eq!(new_attempt("s", &name, 1, &qs, &s, now, 30).deadline, Some(close + chrono::Duration::seconds(30)));
        assert_eq!(new_attempt("s", &name, 1, &qs, &Settings::default(), now, 0).deadline, None);
    }

    #[test]
    fn ordered_option_sets_keep_their_order_when_options_are_shuffled() {
        let v = |o: &[&str]| o.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for kept in [
            v(&["True", "False"]),
            v(&["false", "true"]),
            v(&["I only", "II only", "Both I and II", "Neither I nor II"]),
            v(&["I only", "II only", "Both", "Neither"]),
            v(&["I and II", "II and III", "I, II and III", "III only"]),
            v(&["Paris", "Rome", "All of the above", "None of the above"]),
            v(&["A and B", "B only", "C", "D"]),
            v(&["1", "2", "4", "8"]),
            v(&["0.5", "1,000", "25%", "3"]),
        ] {
            assert!(keeps_option_order(&kept), "{kept:?} keeps its order");
        }
        for free in [v(&["Paris", "Rome", "Oslo"]), v(&["Yes", "No", "Maybe"]), v(&["Alligator", "Bee", "Cat"]), v(&["A cat", "A dog"])] {
            assert!(!keeps_option_order(&free), "{free:?} may be shuffled");
        }
        let qs = vec![q("tf", &["True", "False"]), q("set", &["I only", "II only", "Both", "Neither"]), q("c", &["a1", "b2", "c3", "d4", "e5", "f6"])];
        let s = Settings { shuffle_options: true, ..Default::default() };
        let name = ExamName::parse("e.json").unwrap();
        let mut moved = false;
        for _ in 0..30 {
            let a = new_attempt("s", &name, 1, &qs, &s, Utc::now(), 0);
            assert_eq!(a.option_orders[0], vec![0, 1]);
            assert_eq!(a.option_orders[1], vec![0, 1, 2, 3]);
            moved |= a.option_orders[2] != vec![0, 1, 2, 3, 4, 5];
        }
        assert!(moved, "other options are still shuffled");
    }

    #[test]
    fn partial_answers_score_zero_and_the_pass_mark_decides() {
        let qs = vec![q("a", &["1", "2"]), q("b", &["3", "4"]), q("c", &["5", "6"]), q("d", &["7", "8"])];
        let some = |s: &str| Some(s.to_string());
        let g = grade_partial(&qs, &[some("1"), None, some("5"), None], 50).unwrap();
        assert_eq!((g.score, g.total, g.percentage, g.result), (2, 4, 50, Verdict::Passed));
        assert_eq!((g.details[1].user_answer.as_str(), g.details[1].is_correct), ("", false));
        assert_eq!(grade_partial(&qs, &[some("1"), None, some("5"), None], 60).unwrap().result, Verdict::Failed);
        assert_eq!(grade_partial(&qs, &[None, None, None, None], 50).unwrap().score, 0);
        assert!(matches!(grade_partial(&qs, &[some("9"), None, None, None], 50), Err(GradingError::NotAnOption { number: 1, .. })));
        assert!(matches!(grade_partial(&qs, &[None], 50), Err(GradingError::WrongCount { .. })));
    }
}
