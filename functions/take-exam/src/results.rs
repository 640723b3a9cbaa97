//! MongoDB: graded attempts (`exams.score`), generation status (`exams.exams`,
//! written by exam-gen) and the scoreboard (`exams.scoreboard` /
//! `exams.scoreboard_best`, written by score-calc; aggregated from
//! `exams.score` while those are absent).

use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use examfn_domain::grading::{histogram_bucket, percentage, ExamName, Graded, PASS_PERCENTAGE};
use examfn_domain::names::{EXAMS_COLLECTION, SCORE_COLLECTION};
use examfn_runtime::mongo::{classify, is_duplicate_key};
use examfn_runtime::FnError;

/// Collections written by score-calc.
pub const SCOREBOARD_COLLECTION: &str = "scoreboard";
pub const SCOREBOARD_BEST_COLLECTION: &str = "scoreboard_best";
/// Name of the unique index that makes submits idempotent.
pub const IDEMPOTENCY_INDEX: &str = "email_exam_idempotency_key";
/// Most attempts returned by `GET /me/attempts`.
pub const MAX_ATTEMPTS_LISTED: i64 = 200;

pub struct Results {
    db: Database,
    indexes: OnceCell<()>,
}

/// A stored attempt (the result document) for the caller to answer with.
pub struct Recorded {
    pub doc: Document,
    /// False when an earlier submit with the same idempotency key was returned.
    pub created: bool,
}

/// The fingerprint of a submit's payload (SHA-256 of its answers as JSON;
/// an unanswered question is `null`, so a complete submit fingerprints as it
/// always did), stored beside the idempotency key so that the key reused with
/// other answers is refused instead of answered with the first result.
pub fn request_fingerprint(answers: &[Option<String>]) -> String {
    let json = serde_json::to_vec(answers).unwrap_or_default();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &json);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn str_of(d: &Document, k: &str) -> Option<String> {
    d.get_str(k).ok().map(str::to_string)
}

fn int_of(d: &Document, k: &str) -> Option<i64> {
    match d.get(k)? {
        Bson::Int32(v) => Some(i64::from(*v)),
        Bson::Int64(v) => Some(*v),
        Bson::Double(v) => Some(*v as i64),
        _ => None,
    }
}

fn time_of(d: &Document, k: &str) -> Option<String> {
    match d.get(k)? {
        Bson::DateTime(t) => t.try_to_rfc3339_string().ok(),
        Bson::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn details_of(d: &Document) -> Vec<Value> {
    d.get_array("details")
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_document())
                .map(|x| {
                    json!({
                        "question": str_of(x, "question").unwrap_or_default(),
                        "user_answer": str_of(x, "user_answer").unwrap_or_default(),
                        "correct_answer": str_of(x, "correct_answer").unwrap_or_default(),
                        "is_correct": x.get_bool("is_correct").unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn replay(first: &Document, idempotency_key: &str, fingerprint: &str) -> Result<Recorded, FnError> {
    match first.get_str("request_fingerprint") {
        Ok(stored) if stored != fingerprint => Err(FnError::permanent(format!(
            "Idempotency-Key {idempotency_key:?} was already used for this exam with other answers; \
             send a new key for a new attempt"
        ))),
        _ => Ok(Recorded { doc: first.clone(), created: false }),
    }
}

/// Percentage of a stored attempt (computed when an older document lacks it).
fn percentage_of(d: &Document) -> u32 {
    if let Some(p) = int_of(d, "percentage") {
        return p.clamp(0, 100) as u32;
    }
    let n = d.get_array("details").map(|a| a.len()).unwrap_or(0) as u32;
    percentage(int_of(d, "score").unwrap_or(0).max(0) as u32, n)
}

/// Whether a stored result's correct answers may be shown to its student:
/// Some(true) for results shown with answers (and every result from before
/// settings), Some(false) for "score only", None when it depends on the
/// exam's closing time and the student's attempts left (decided by the caller).
pub fn stored_reveal(d: &Document) -> Option<bool> {
    match str_of(d, "feedback").as_deref().map(crate::review::Feedback::parse) {
        None | Some(Some(crate::review::Feedback::Answers)) | Some(None) => Some(true),
        Some(Some(crate::review::Feedback::Score)) => Some(false),
        Some(Some(_)) => None,
    }
}

/// The shown order stored with a result (`shown_order[k]` = index in
/// `details` of the k-th question shown), when it is a permutation of them.
fn shown_order(d: &Document, n: usize) -> Option<Vec<usize>> {
    let a = d.get_array("shown_order").ok()?;
    let order: Vec<usize> = a
        .iter()
        .filter_map(|x| match x {
            Bson::Int32(v) => usize::try_from(*v).ok(),
            Bson::Int64(v) => usize::try_from(*v).ok(),
            _ => None,
        })
        .collect();
    let mut seen = vec![false; n];
    if order.len() != n || !order.iter().all(|&i| i < n && !std::mem::replace(&mut seen[i], true)) {
        return None;
    }
    Some(order)
}

/// A result document as JSON for clients: the AWS fields plus ours, the
/// details in the order the student saw the questions. Without `reveal`
/// each detail keeps only the question and the answer given (the exam shows
/// the score only, or not yet). `submission` is `student` or `automatic`
/// (the time ran out: what was saved was submitted).
pub fn attempt_json(d: &Document, reveal: bool) -> Value {
    let mut details = details_of(d);
    if let Some(order) = shown_order(d, details.len()) {
        details = order.iter().map(|&i| details[i].clone()).collect();
    }
    let feedback = str_of(d, "feedback");
    if !reveal {
        for x in &mut details {
            if let Some(o) = x.as_object_mut() {
                o.remove("correct_answer");
                o.remove("is_correct");
            }
        }
    }
    let unanswered = details.iter().filter(|x| x["user_answer"] == "").count();
    let mut out = json!({
        "email": str_of(d, "email"),
        "exam": str_of(d, "exam"),
        "attempt_id": str_of(d, "attempt_id"),
        "submitted_at": time_of(d, "submitted_at"),
        "score": int_of(d, "score").unwrap_or(0),
        "total": details.len(),
        "percentage": percentage_of(d),
        "result": str_of(d, "result"),
        "details": details,
        "submission": if str_of(d, "submission").as_deref() == Some("automatic") { "automatic" } else { "student" },
        "unanswered": unanswered,
        "pass_percentage": int_of(d, "pass_percentage").unwrap_or(i64::from(PASS_PERCENTAGE)),
        "answers_shown": reveal,
    });
    if let Some(v) = int_of(d, "exam_version") {
        out["exam_version"] = json!(v);
    }
    if let Some(f) = feedback {
        out["feedback"] = json!(f);
    }
    out
}

/// Where a submit came from, stored beside the AWS fields.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The started attempt this result closes (its id becomes the result's `attempt_id`).
    pub attempt_id: Option<String>,
    /// The exam version graded against (absent: the exam file, no review yet).
    pub version: Option<i64>,
    /// When the correct answers are shown (absent: after each attempt).
    pub feedback: Option<&'static str>,
    /// Submitted at the time limit (by the student's browser or the server), not by the student.
    pub automatic: bool,
    /// The order the questions were shown in, when not the version's.
    pub shown_order: Option<Vec<usize>>,
    /// The exam's pass mark when not the default.
    pub pass_percentage: Option<u32>,
    /// The time to record as `submitted_at` (default: now).
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The result document of a graded attempt as `exams.score` stores it (also
/// built, not stored, for an educator's preview).
pub fn result_document(
    email: &str,
    exam: &ExamName,
    graded: &Graded,
    idempotency_key: &str,
    fingerprint: &str,
    from: &Provenance,
) -> Document {
    let details: Vec<Bson> = graded
        .details
        .iter()
        .map(|d| {
            Bson::Document(doc! {
                "question": &d.question,
                "user_answer": &d.user_answer,
                "correct_answer": &d.correct_answer,
                "is_correct": d.is_correct,
            })
        })
        .collect();
    let mut document = doc! {
        "email": email,
        "score": i64::from(graded.score),
        "result": graded.result.as_str(),
        "details": details,
        "exam": exam.as_str(),
        "attempt_id": from.attempt_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        "submitted_at": from.submitted_at.map(|t| mongodb::bson::DateTime::from_millis(t.timestamp_millis())).unwrap_or_else(mongodb::bson::DateTime::now),
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
        "percentage": i64::from(graded.percentage),
    };
    if let Some(v) = from.version {
        document.insert("exam_version", v);
    }
    if let Some(f) = from.feedback {
        document.insert("feedback", f);
    }
    if from.automatic {
        document.insert("submission", "automatic");
    }
    if let Some(o) = &from.shown_order {
        document.insert("shown_order", o.iter().map(|&i| Bson::Int64(i as i64)).collect::<Vec<_>>());
    }
    if let Some(p) = from.pass_percentage {
        document.insert("pass_percentage", i64::from(p));
    }
    document
}

impl Results {
    pub fn new(db: Database) -> Self {
        Self { db, indexes: OnceCell::new() }
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    fn score(&self) -> Collection<Document> {
        self.db.collection(SCORE_COLLECTION)
    }

    /// The unique index on `{email, exam, idempotency_key}` (idempotent; once per process).
    pub async fn ensure_indexes(&self) -> Result<(), FnError> {
        self.indexes
            .get_or_try_init(|| async {
                let model = IndexModel::builder()
                    .keys(doc! {"email": 1, "exam": 1, "idempotency_key": 1})
                    .options(IndexOptions::builder().unique(true).name(IDEMPOTENCY_INDEX.to_string()).build())
                    .build();
                self.score().create_index(model).await.map(|_| ()).map_err(classify)
            })
            .await
            .map(|_| ())
    }

    /// Insert the graded attempt once per idempotency key; a repeat with the
    /// same payload (`fingerprint`, see [`request_fingerprint`]) returns the
    /// first, one with another payload is refused (422, as the IETF
    /// Idempotency-Key draft asks). Attempts stored before fingerprints were
    /// kept have none and are returned to any repeat.
    pub async fn record(
        &self,
        email: &str,
        exam: &ExamName,
        graded: &Graded,
        idempotency_key: &str,
        fingerprint: &str,
        from: &Provenance,
    ) -> Result<Recorded, FnError> {
        self.ensure_indexes().await?;
        let document = result_document(email, exam, graded, idempotency_key, fingerprint, from);
        match self.score().insert_one(&document).await {
            Ok(_) => Ok(Recorded { doc: document, created: true }),
            Err(e) if is_duplicate_key(&e) => {
                let first = self
                    .score()
                    .find_one(doc! {"email": email, "exam": exam.as_str(), "idempotency_key": idempotency_key})
                    .await
                    .map_err(classify)?
                    .ok_or_else(|| FnError::unavailable("duplicate submit, but the first attempt is not readable yet"))?;
                replay(&first, idempotency_key, fingerprint)
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// The stored result of an earlier submit with this key, answered as its
    /// replay (or 422 when the answers differ); None when there is none.
    /// Checked before the exam's rules, so a retry of a submit that was in
    /// time and within the attempt limit is replayed, not refused.
    pub async fn earlier(
        &self,
        email: &str,
        exam: &ExamName,
        idempotency_key: &str,
        fingerprint: &str,
    ) -> Result<Option<Recorded>, FnError> {
        let first = self
            .score()
            .find_one(doc! {"email": email, "exam": exam.as_str(), "idempotency_key": idempotency_key})
            .await
            .map_err(classify)?;
        first.map(|d| replay(&d, idempotency_key, fingerprint)).transpose()
    }

    /// The student's own result documents, newest first.
    pub async fn for_student(&self, email: &str) -> Result<Vec<Document>, FnError> {
        self.score()
            .find(doc! {"email": email})
            .sort(doc! {"submitted_at": -1})
            .limit(MAX_ATTEMPTS_LISTED)
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)
    }

    /// The result documents of one exam, oldest first (one student's when `email` is given).
    pub async fn for_exam(&self, exam: &ExamName, email: Option<&str>) -> Result<Vec<Document>, FnError> {
        let mut filter = doc! {"exam": exam.as_str()};
        if let Some(e) = email {
            filter.insert("email", e);
        }
        self.score()
            .find(filter)
            .sort(doc! {"submitted_at": 1, "_id": 1})
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)
    }

    /// The result stored for a started attempt, if any.
    pub async fn by_attempt(&self, exam: &ExamName, attempt_id: &str) -> Result<Option<Document>, FnError> {
        self.score().find_one(doc! {"exam": exam.as_str(), "attempt_id": attempt_id}).await.map_err(classify)
    }

    /// Generation status documents (`exams.exams`), keyed by base name.
    pub async fn statuses(&self) -> Result<Vec<Document>, FnError> {
        self.db
            .collection::<Document>(EXAMS_COLLECTION)
            .find(doc! {})
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)
    }

    /// Per-exam scoreboard: score-calc's when present, else aggregated here.
    pub async fn scoreboard(&self, exam: &ExamName) -> Result<Value, FnError> {
        let board = self
            .db
            .collection::<Document>(SCOREBOARD_COLLECTION)
            .find_one(doc! {"_id": exam.as_str()})
            .await
            .map_err(classify)?;
        if let Some(b) = board {
            let attempts = int_of(&b, "attempts").unwrap_or(0).max(0);
            let passes = int_of(&b, "passes").unwrap_or(0).max(0);
            let sum = int_of(&b, "percentage_sum").unwrap_or(0).max(0);
            let mut histogram = vec![0i64; 11];
            if let Ok(h) = b.get_array("histogram") {
                for (i, v) in h.iter().take(11).enumerate() {
                    histogram[i] = match v {
                        Bson::Int32(x) => i64::from(*x),
                        Bson::Int64(x) => *x,
                        Bson::Double(x) => *x as i64,
                        _ => 0,
                    };
                }
            }
            let best: Vec<Document> = self
                .db
                .collection::<Document>(SCOREBOARD_BEST_COLLECTION)
                .find(doc! {"_id.exam": exam.as_str()})
                .sort(doc! {"best_percentage": -1})
                .limit(100)
                .await
                .map_err(classify)?
                .try_collect()
                .await
                .map_err(classify)?;
            let best: Vec<Value> = best
                .iter()
                .map(|d| {
                    json!({
                        "email": d.get_document("_id").ok().and_then(|i| str_of(i, "email")),
                        "best_percentage": int_of(d, "best_percentage"),
                        "best_score": int_of(d, "best_score"),
                    })
                })
                .collect();
            return Ok(board_json(exam, "scoreboard", attempts, passes, sum, histogram, best));
        }
        // score-calc has not run yet: aggregate the attempts themselves.
        let docs: Vec<Document> = self
            .score()
            .find(doc! {"exam": exam.as_str()})
            .projection(doc! {"email": 1, "score": 1, "percentage": 1, "details": 1, "result": 1})
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)?;
        let mut histogram = vec![0i64; 11];
        let (mut passes, mut sum) = (0i64, 0i64);
        let mut best: std::collections::BTreeMap<String, (u32, i64)> = Default::default();
        for d in &docs {
            let p = percentage_of(d);
            histogram[histogram_bucket(p)] += 1;
            sum += i64::from(p);
            // The verdict as graded (the exam's pass mark), else the default rule.
            let passed = match str_of(d, "result") {
                Some(r) => r == "passed",
                None => p >= PASS_PERCENTAGE,
            };
            if passed {
                passes += 1;
            }
            let email = str_of(d, "email").unwrap_or_default();
            let score = int_of(d, "score").unwrap_or(0);
            let e = best.entry(email).or_insert((p, score));
            if p > e.0 {
                *e = (p, score);
            }
        }
        let mut best: Vec<(String, (u32, i64))> = best.into_iter().collect();
        best.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
        let best = best
            .into_iter()
            .take(100)
            .map(|(email, (p, s))| json!({"email": email, "best_percentage": p, "best_score": s}))
            .collect();
        Ok(board_json(exam, "score", docs.len() as i64, passes, sum, histogram, best))
    }

    pub async fn ping(&self) -> Result<(), String> {
        examfn_runtime::mongo::ping(&self.db).await
    }
}

fn board_json(
    exam: &ExamName,
    source: &str,
    attempts: i64,
    passes: i64,
    sum: i64,
    histogram: Vec<i64>,
    best: Vec<Value>,
) -> Value {
    let (pass_rate, mean) = if attempts > 0 {
        (passes as f64 / attempts as f64, sum as f64 / attempts as f64)
    } else {
        (0.0, 0.0)
    };
    json!({
        "exam": exam.as_str(),
        "source": source,
        "attempts": attempts,
        "passes": passes,
        "pass_rate": (pass_rate * 1000.0).round() / 1000.0,
        "mean_percentage": (mean * 10.0).round() / 10.0,
        "histogram": histogram,
        "best": best,
    })
}
