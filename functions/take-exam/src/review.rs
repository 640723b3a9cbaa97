//! Draft → review → publish, versions and per-exam settings (MongoDB).
//!
//! - `exams.reviews`, one document per exam (`_id` = `lecture1.json`):
//!   `{state: "draft"|"published"|"unpublished", published_version, draft_version,
//!   latest_version, settings: {…}, file_etag, updated_at}`. Written by
//!   take-exam only; exam-gen's status document (`exams.exams`) is untouched.
//! - `exams.exam_versions`, one document per version (`_id` =
//!   `lecture1.json@2`): `{exam, version, questions: [AWS questions], created_at,
//!   created_by, note}`; a question may carry `source_id`, the identity of the
//!   question exam-gen wrote that it comes from ([`crate::provenance`]). A version that was ever published is never changed
//!   again (attempts may have been taken against it); edits go to the draft
//!   version, created from the latest version when there is none.
//!
//! An exam without a review document is as exam-gen or a client left it:
//! the exam file `questions_bank/<name>.json` is "version 0". Exams generated
//! by exam-gen (a status document exists) are drafts until published (or
//! published at once with `EXAM_PUBLISH_ON_GENERATION=true`); exam files put
//! straight into the bucket (no status document, as the AWS original's
//! clients do) count as published. The first educator action (edit, settings,
//! publish, unpublish) imports the file as version 1 with that visibility.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use examfn_domain::exam::{Exam, Question};
use examfn_domain::grading::ExamName;
use examfn_domain::names::EXAMS_COLLECTION;
use examfn_runtime::mongo::{classify, is_duplicate_key};
use examfn_runtime::FnError;

pub const REVIEWS_COLLECTION: &str = "reviews";
pub const VERSIONS_COLLECTION: &str = "exam_versions";

/// Most questions an edited exam may have.
pub const MAX_QUESTIONS: usize = 200;
/// Most options a question may have.
pub const MAX_OPTIONS: usize = 12;
/// Longest question or option text (bytes).
pub const MAX_TEXT: usize = 2000;

/// When a student sees the correct answers of an attempt (the score and
/// their own answers are always shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Feedback {
    /// After each attempt: per question whether it was right and the correct answer (as before settings existed).
    #[default]
    Answers,
    /// Once the student has used every attempt allowed (or the exam has closed).
    AfterLastAttempt,
    /// Once the exam has closed (its closing time has passed).
    AfterClose,
    /// Never: score only, per question the answer given, nothing about what was right.
    Score,
}

impl Feedback {
    pub fn as_str(self) -> &'static str {
        match self {
            Feedback::Answers => "answers",
            Feedback::AfterLastAttempt => "after_last_attempt",
            Feedback::AfterClose => "after_close",
            Feedback::Score => "score",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "answers" => Some(Self::Answers),
            "after_last_attempt" => Some(Self::AfterLastAttempt),
            "after_close" => Some(Self::AfterClose),
            "score" => Some(Self::Score),
            _ => None,
        }
    }
    /// Whether the correct answers are shown now, given the exam's closing
    /// time and whether the student has attempts left.
    pub fn reveals(self, closes_at: Option<DateTime<Utc>>, no_attempts_left: bool, now: DateTime<Utc>) -> bool {
        let closed = closes_at.is_some_and(|c| now > c);
        match self {
            Feedback::Answers => true,
            Feedback::Score => false,
            Feedback::AfterClose => closed,
            Feedback::AfterLastAttempt => closed || no_attempts_left,
        }
    }
}

/// The pass mark when an exam sets none (the AWS original's rule).
pub const DEFAULT_PASS_PERCENTAGE: u32 = examfn_domain::grading::PASS_PERCENTAGE;
/// Most entries of a roster.
pub const MAX_ROSTER: usize = 5000;

/// Per-exam settings. The default is the behaviour before settings existed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Time to submit after starting an attempt (a grace period is added on the server).
    #[serde(default)]
    pub time_limit_seconds: Option<u32>,
    /// Attempts cannot start before this.
    #[serde(default)]
    pub opens_at: Option<DateTime<Utc>>,
    /// Attempts cannot start, nor be submitted (grace added), after this.
    #[serde(default)]
    pub closes_at: Option<DateTime<Utc>>,
    /// Attempts a student may take.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    #[serde(default)]
    pub shuffle_questions: bool,
    #[serde(default)]
    pub shuffle_options: bool,
    /// When the correct answers are shown to students.
    #[serde(default)]
    pub feedback: Feedback,
    /// The percentage needed to pass (default 50).
    #[serde(default)]
    pub pass_percentage: Option<u32>,
    /// Who may take the exam: None (or empty) every signed-in student; else
    /// these emails and email domains (`@school.edu`).
    #[serde(default)]
    pub students: Option<Vec<String>>,
}

impl Settings {
    /// Refuse settings that make no sense (400 with the reason, in the
    /// educator's words), and normalise the roster (trimmed, lower case,
    /// `school.edu` as `@school.edu`, duplicates and blanks dropped).
    pub fn validate(&mut self) -> Result<(), FnError> {
        if let Some(t) = self.time_limit_seconds {
            if !(10..=7 * 24 * 3600).contains(&t) {
                return Err(FnError::bad_input(
                    "The time limit must be between 10 seconds and 7 days (time_limit_seconds 10 to 604800).",
                ));
            }
        }
        if let (Some(o), Some(c)) = (self.opens_at, self.closes_at) {
            if c <= o {
                return Err(FnError::bad_input("The closing time must be after the opening time (closes_at after opens_at)."));
            }
        }
        if let Some(m) = self.max_attempts {
            if !(1..=1000).contains(&m) {
                return Err(FnError::bad_input("Attempts allowed must be between 1 and 1000 (max_attempts)."));
            }
        }
        if let Some(p) = self.pass_percentage {
            if !(1..=100).contains(&p) {
                return Err(FnError::bad_input("The pass mark must be between 1 % and 100 % (pass_percentage)."));
            }
        }
        if self.feedback == Feedback::AfterClose && self.closes_at.is_none() {
            return Err(FnError::bad_input(
                "To show the correct answers after the exam closes, set a closing time (closes_at).",
            ));
        }
        if let Some(list) = self.students.take() {
            let mut out: Vec<String> = Vec::new();
            for raw in list.iter().flat_map(|e| e.split([',', ';', '\n', ' '])) {
                let e = raw.trim().trim_matches(['<', '>']).to_lowercase();
                if e.is_empty() {
                    continue;
                }
                let entry = if e.contains('@') { e } else { format!("@{e}") };
                let (local, domain) = entry.split_once('@').unwrap_or(("", ""));
                if domain.is_empty() || !domain.contains('.') || domain.contains('@') || local.contains(char::is_whitespace) {
                    return Err(FnError::bad_input(format!(
                        "{raw:?} is neither an email address nor an email domain such as @school.edu (students)"
                    )));
                }
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
            if out.len() > MAX_ROSTER {
                return Err(FnError::bad_input(format!("A list of students holds at most {MAX_ROSTER} entries.")));
            }
            self.students = (!out.is_empty()).then_some(out);
        }
        Ok(())
    }

    /// True when a submit must belong to a started attempt (the server needs
    /// its start time or its order).
    pub fn needs_start(&self) -> bool {
        self.time_limit_seconds.is_some() || self.shuffle_questions || self.shuffle_options
    }

    /// The pass mark in percent.
    pub fn pass_mark(&self) -> u32 {
        self.pass_percentage.unwrap_or(DEFAULT_PASS_PERCENTAGE)
    }

    /// Whether this student may take the exam (the roster, when there is one).
    pub fn admits(&self, email: &str) -> bool {
        let Some(list) = self.students.as_ref().filter(|l| !l.is_empty()) else { return true };
        let email = email.trim().to_lowercase();
        let domain = email.rsplit_once('@').map(|(_, d)| format!("@{d}")).unwrap_or_default();
        list.iter().any(|e| *e == email || (e.starts_with('@') && *e == domain))
    }

    fn to_bson(&self) -> Document {
        let t = |d: Option<DateTime<Utc>>| d.map(|d| Bson::String(d.to_rfc3339())).unwrap_or(Bson::Null);
        doc! {
            "time_limit_seconds": self.time_limit_seconds.map(|v| Bson::Int64(v.into())).unwrap_or(Bson::Null),
            "opens_at": t(self.opens_at),
            "closes_at": t(self.closes_at),
            "max_attempts": self.max_attempts.map(|v| Bson::Int64(v.into())).unwrap_or(Bson::Null),
            "shuffle_questions": self.shuffle_questions,
            "shuffle_options": self.shuffle_options,
            "feedback": self.feedback.as_str(),
            "pass_percentage": self.pass_percentage.map(|v| Bson::Int64(v.into())).unwrap_or(Bson::Null),
            "students": self.students.as_ref().map(|l| Bson::Array(l.iter().cloned().map(Bson::String).collect())).unwrap_or(Bson::Null),
        }
    }

    fn from_bson(d: &Document) -> Self {
        let time = |k: &str| d.get_str(k).ok().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc));
        Self {
            time_limit_seconds: int_of(d, "time_limit_seconds").map(|v| v.clamp(0, u32::MAX as i64) as u32),
            opens_at: time("opens_at"),
            closes_at: time("closes_at"),
            max_attempts: int_of(d, "max_attempts").map(|v| v.clamp(0, u32::MAX as i64) as u32),
            shuffle_questions: bool_of(d, "shuffle_questions"),
            shuffle_options: bool_of(d, "shuffle_options"),
            feedback: d.get_str("feedback").ok().and_then(Feedback::parse).unwrap_or_default(),
            pass_percentage: int_of(d, "pass_percentage").map(|v| v.clamp(0, 100) as u32),
            students: d
                .get_array("students")
                .ok()
                .map(|a| a.iter().filter_map(Bson::as_str).map(str::to_string).collect::<Vec<_>>())
                .filter(|l| !l.is_empty()),
        }
    }
}

/// An integer stored as int32, int64 or double.
pub fn int_of(d: &Document, k: &str) -> Option<i64> {
    match d.get(k)? {
        Bson::Int32(v) => Some(i64::from(*v)),
        Bson::Int64(v) => Some(*v),
        Bson::Double(v) => Some(*v as i64),
        _ => None,
    }
}

/// A boolean; the SQLite-backed test server may hand one back as an integer.
pub fn bool_of(d: &Document, k: &str) -> bool {
    matches!(d.get(k), Some(Bson::Boolean(true)) | Some(Bson::Int32(1)) | Some(Bson::Int64(1)))
}

/// Publication state of a reviewed exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PubState {
    Draft,
    Published,
    Unpublished,
}

impl PubState {
    pub fn as_str(self) -> &'static str {
        match self {
            PubState::Draft => "draft",
            PubState::Published => "published",
            PubState::Unpublished => "unpublished",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "published" => Self::Published,
            "unpublished" => Self::Unpublished,
            _ => Self::Draft,
        }
    }
}

/// The review document of one exam.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub exam: String,
    pub state: PubState,
    pub published_version: Option<i64>,
    pub draft_version: Option<i64>,
    pub latest_version: i64,
    pub settings: Settings,
    /// ETag of `questions_bank/<name>.json` as take-exam last read or wrote it.
    pub file_etag: String,
    /// Question texts an educator replaced: never proposed again.
    pub rejected: Vec<String>,
}

impl Review {
    fn from_doc(d: &Document) -> Self {
        Self {
            exam: d.get_str("_id").unwrap_or_default().to_string(),
            state: PubState::parse(d.get_str("state").unwrap_or("draft")),
            published_version: int_of(d, "published_version"),
            draft_version: int_of(d, "draft_version"),
            latest_version: int_of(d, "latest_version").unwrap_or(1),
            settings: d.get_document("settings").map(Settings::from_bson).unwrap_or_default(),
            file_etag: d.get_str("file_etag").unwrap_or_default().to_string(),
            rejected: d
                .get_array("rejected")
                .map(|a| a.iter().filter_map(Bson::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
        }
    }

    /// The version students take, when they may.
    pub fn student_version(&self) -> Option<i64> {
        (self.state == PubState::Published).then_some(self.published_version).flatten()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "exam": self.exam,
            "state": self.state.as_str(),
            "published_version": self.published_version,
            "draft_version": self.draft_version,
            "latest_version": self.latest_version,
            "settings": self.settings,
        })
    }
}

/// One stored version.
#[derive(Debug)]
pub struct Version {
    pub exam: ExamName,
    pub version: i64,
    pub questions: Exam,
    /// Per question, the stored `source_id` (see [`crate::provenance`]); None
    /// where none was stored (the question's own text identifies it).
    pub sources: Vec<Option<String>>,
    /// Questions and options only (students).
    pub student_json: Bytes,
}

impl Version {
    pub fn new(exam: ExamName, version: i64, questions: Exam) -> Self {
        let student: Vec<Value> =
            questions.iter().map(|q| json!({"question": q.question, "options": q.options})).collect();
        let student_json = Bytes::from(serde_json::to_vec(&student).expect("json"));
        let sources = vec![None; questions.len()];
        Self { exam, version, questions, sources, student_json }
    }
}

/// Where a student's view of an exam comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Visibility {
    /// Not for students (a draft, unpublished, or generated and not yet published).
    Hidden,
    /// The exam file itself (version 0): no review document.
    File,
    /// A published version, with the exam's settings.
    Version(i64, Settings),
}

/// Check and normalise an edited exam: 1..=MAX_QUESTIONS questions, each with
/// text, 2..=MAX_OPTIONS distinct non-empty options and the correct answer
/// one of them. Texts are trimmed.
pub fn validate_questions(questions: Vec<Question>) -> Result<Exam, FnError> {
    if questions.is_empty() {
        return Err(FnError::bad_input("an exam needs at least one question"));
    }
    if questions.len() > MAX_QUESTIONS {
        return Err(FnError::bad_input(format!("an exam has at most {MAX_QUESTIONS} questions")));
    }
    let mut out = Vec::with_capacity(questions.len());
    for (i, q) in questions.into_iter().enumerate() {
        let n = i + 1;
        let question = q.question.trim().to_string();
        if question.is_empty() {
            return Err(FnError::bad_input(format!("question {n} has no text")));
        }
        let options: Vec<String> = q.options.iter().map(|o| o.trim().to_string()).collect();
        if options.len() < 2 || options.len() > MAX_OPTIONS {
            return Err(FnError::bad_input(format!("question {n} needs 2 to {MAX_OPTIONS} options")));
        }
        if options.iter().any(String::is_empty) {
            return Err(FnError::bad_input(format!("question {n} has an empty option")));
        }
        for (j, o) in options.iter().enumerate() {
            if options[..j].contains(o) {
                return Err(FnError::bad_input(format!("question {n} has the option {o:?} twice")));
            }
        }
        if question.len() > MAX_TEXT || options.iter().any(|o| o.len() > MAX_TEXT) {
            return Err(FnError::bad_input(format!("question {n}: texts are limited to {MAX_TEXT} bytes")));
        }
        let correct_answer = q.correct_answer.trim().to_string();
        if !options.contains(&correct_answer) {
            return Err(FnError::bad_input(format!(
                "question {n}: the correct answer {correct_answer:?} is not one of its options"
            )));
        }
        out.push(Question { question, options, correct_answer });
    }
    Ok(out)
}

/// Questions as stored in a version, each with its `source_id` when
/// `sources` has one for it.
fn questions_bson(questions: &[Question], sources: &[Option<String>]) -> Vec<Bson> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut d = doc! {
                "question": &q.question,
                "options": q.options.iter().map(|o| Bson::String(o.clone())).collect::<Vec<_>>(),
                "correct_answer": &q.correct_answer,
            };
            if let Some(Some(id)) = sources.get(i) {
                d.insert("source_id", id);
            }
            Bson::Document(d)
        })
        .collect()
}

/// The stored `source_id` of each question of a version document.
fn sources_of(d: &Document) -> Vec<Option<String>> {
    d.get_array("questions")
        .map(|a| {
            a.iter()
                .filter_map(Bson::as_document)
                .map(|q| q.get_str("source_id").ok().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn questions_of(d: &Document) -> Exam {
    d.get_array("questions")
        .map(|a| {
            a.iter()
                .filter_map(Bson::as_document)
                .map(|q| Question {
                    question: q.get_str("question").unwrap_or_default().to_string(),
                    options: q
                        .get_array("options")
                        .map(|o| o.iter().filter_map(Bson::as_str).map(str::to_string).collect())
                        .unwrap_or_default(),
                    correct_answer: q.get_str("correct_answer").unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn version_id(exam: &ExamName, v: i64) -> String {
    format!("{}@{v}", exam.as_str())
}

struct Cached<T> {
    value: T,
    at: Instant,
}

/// Reviews, versions and visibility.
pub struct Reviews {
    db: Database,
    /// `EXAM_PUBLISH_ON_GENERATION`: a generated exam counts as published.
    pub publish_on_generation: bool,
    ttl: Duration,
    /// Versions read for students: published versions never change.
    versions: RwLock<HashMap<(ExamName, i64), Arc<Version>>>,
    visibility: RwLock<HashMap<ExamName, Cached<Visibility>>>,
}

impl Reviews {
    pub fn new(db: Database, publish_on_generation: bool, ttl: Duration) -> Self {
        Self {
            db,
            publish_on_generation,
            ttl,
            versions: RwLock::new(HashMap::new()),
            visibility: RwLock::new(HashMap::new()),
        }
    }

    fn reviews(&self) -> Collection<Document> {
        self.db.collection(REVIEWS_COLLECTION)
    }
    fn versions_coll(&self) -> Collection<Document> {
        self.db.collection(VERSIONS_COLLECTION)
    }

    pub async fn get(&self, exam: &ExamName) -> Result<Option<Review>, FnError> {
        let d = self.reviews().find_one(doc! {"_id": exam.as_str()}).await.map_err(classify)?;
        Ok(d.as_ref().map(Review::from_doc))
    }

    /// Every review document, keyed by exam name.
    pub async fn all(&self) -> Result<HashMap<String, Review>, FnError> {
        let docs: Vec<Document> =
            self.reviews().find(doc! {}).await.map_err(classify)?.try_collect().await.map_err(classify)?;
        Ok(docs.iter().map(Review::from_doc).map(|r| (r.exam.clone(), r)).collect())
    }

    /// Whether exam-gen wrote a status document for this exam.
    pub async fn generated(&self, exam: &ExamName) -> Result<bool, FnError> {
        let d = self
            .db
            .collection::<Document>(EXAMS_COLLECTION)
            .find_one(doc! {"_id": exam.base()})
            .projection(doc! {"_id": 1})
            .await
            .map_err(classify)?;
        Ok(d.is_some())
    }

    /// Visibility of an exam without a review document.
    pub fn unreviewed_visible(&self, generated: bool) -> bool {
        !generated || self.publish_on_generation
    }

    /// What students may see of an exam (cached for the exam cache's TTL;
    /// this process's own publish/unpublish clears it at once).
    pub async fn visibility(&self, exam: &ExamName) -> Result<Visibility, FnError> {
        if let Some(c) = self.visibility.read().expect("visibility lock").get(exam) {
            if c.at.elapsed() < self.ttl {
                return Ok(c.value.clone());
            }
        }
        let v = match self.get(exam).await? {
            Some(r) => match r.student_version() {
                Some(v) => Visibility::Version(v, r.settings),
                None => Visibility::Hidden,
            },
            None => {
                if self.unreviewed_visible(self.generated(exam).await?) {
                    Visibility::File
                } else {
                    Visibility::Hidden
                }
            }
        };
        self.visibility
            .write()
            .expect("visibility lock")
            .insert(exam.clone(), Cached { value: v.clone(), at: Instant::now() });
        Ok(v)
    }

    fn forget(&self, exam: &ExamName) {
        self.visibility.write().expect("visibility lock").remove(exam);
    }

    /// A version as stored (uncached: educators, drafts).
    pub async fn version(&self, exam: &ExamName, v: i64) -> Result<Option<Version>, FnError> {
        let d = self.versions_coll().find_one(doc! {"_id": version_id(exam, v)}).await.map_err(classify)?;
        Ok(d.map(|d| {
            let mut ver = Version::new(exam.clone(), v, questions_of(&d));
            ver.sources = sources_of(&d);
            ver
        }))
    }

    /// A version that was published (never changes again): cached.
    pub async fn published(&self, exam: &ExamName, v: i64) -> Result<Arc<Version>, FnError> {
        if let Some(x) = self.versions.read().expect("version cache lock").get(&(exam.clone(), v)) {
            return Ok(x.clone());
        }
        let ver = self
            .version(exam, v)
            .await?
            .ok_or_else(|| FnError::unavailable(format!("version {v} of {exam} is not readable")))?;
        let ver = Arc::new(ver);
        let mut c = self.versions.write().expect("version cache lock");
        if c.len() > 1000 {
            c.clear();
        }
        c.insert((exam.clone(), v), ver.clone());
        Ok(ver)
    }

    /// Every version's number and metadata, oldest first.
    pub async fn history(&self, exam: &ExamName) -> Result<Vec<Value>, FnError> {
        let docs: Vec<Document> = self
            .versions_coll()
            .find(doc! {"exam": exam.as_str()})
            .projection(doc! {"questions": 0})
            .sort(doc! {"version": 1})
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(docs
            .iter()
            .map(|d| {
                json!({
                    "version": int_of(d, "version"),
                    "created_at": d.get_str("created_at").ok(),
                    "created_by": d.get_str("created_by").ok(),
                    "note": d.get_str("note").ok(),
                    "published_at": d.get_str("published_at").ok(),
                })
            })
            .collect())
    }

    /// Every question text any version of the exam had.
    pub async fn question_texts(&self, exam: &ExamName) -> Result<std::collections::HashSet<String>, FnError> {
        let docs: Vec<Document> = self
            .versions_coll()
            .find(doc! {"exam": exam.as_str()})
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(docs.iter().flat_map(questions_of).map(|q| q.question).collect())
    }

    /// Remember the texts of a question the educator replaced, so it is not proposed again.
    pub async fn reject(&self, review: &Review, texts: &[String]) -> Result<(), FnError> {
        let exam = ExamName::parse(&review.exam).map_err(|e| FnError::permanent(e.to_string()))?;
        let mut all = review.rejected.clone();
        for text in texts {
            if !all.contains(text) {
                all.push(text.clone());
            }
        }
        let all: Vec<Bson> = all.into_iter().map(Bson::String).collect();
        self.set(&exam, doc! {"rejected": all}).await
    }

    async fn insert_version(
        &self,
        exam: &ExamName,
        v: i64,
        questions: &[Question],
        sources: &[Option<String>],
        by: &str,
        note: &str,
    ) -> Result<(), FnError> {
        let d = doc! {
            "_id": version_id(exam, v),
            "exam": exam.as_str(),
            "version": v,
            "questions": questions_bson(questions, sources),
            "created_at": Utc::now().to_rfc3339(),
            "created_by": by,
            "note": note,
        };
        match self.versions_coll().insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => {
                Err(FnError::unavailable(format!("version {v} of {exam} was just created by another request; try again")))
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// The review document, creating it (the exam file as version 1) at the
    /// first educator action. `file` is the current exam file and its ETag.
    pub async fn ensure(&self, exam: &ExamName, file: (&[Question], &str), by: &str) -> Result<Review, FnError> {
        if let Some(r) = self.get(exam).await? {
            return Ok(r);
        }
        let visible = self.unreviewed_visible(self.generated(exam).await?);
        // The version first: a crash before the review document leaves an orphan version 1 that the retry overwrites.
        self.versions_coll()
            .replace_one(
                doc! {"_id": version_id(exam, 1)},
                doc! {
                    "_id": version_id(exam, 1), "exam": exam.as_str(), "version": 1i64,
                    "questions": questions_bson(file.0, &[]), "created_at": Utc::now().to_rfc3339(),
                    "created_by": by, "note": "generated",
                    "published_at": if visible { Bson::String(Utc::now().to_rfc3339()) } else { Bson::Null },
                },
            )
            .upsert(true)
            .await
            .map_err(classify)?;
        let d = doc! {
            "_id": exam.as_str(),
            "state": if visible { "published" } else { "draft" },
            "published_version": if visible { Bson::Int64(1) } else { Bson::Null },
            "draft_version": if visible { Bson::Null } else { Bson::Int64(1) },
            "latest_version": 1i64,
            "settings": Settings::default().to_bson(),
            "file_etag": file.1,
            "updated_at": Utc::now().to_rfc3339(),
        };
        match self.reviews().insert_one(&d).await {
            Ok(_) => {}
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(classify(e)),
        }
        self.forget(exam);
        self.get(exam).await?.ok_or_else(|| FnError::unavailable(format!("the review of {exam} is not readable yet")))
    }

    async fn set(&self, exam: &ExamName, mut fields: Document) -> Result<(), FnError> {
        fields.insert("updated_at", Utc::now().to_rfc3339());
        self.reviews().update_one(doc! {"_id": exam.as_str()}, doc! {"$set": fields}).await.map_err(classify)?;
        self.forget(exam);
        Ok(())
    }

    /// Replace the draft's questions (with each one's `source_id`, where
    /// `sources` has one): in place when there is a draft, else as a new draft
    /// version after the latest. Returns the draft's version.
    pub async fn save_draft(
        &self,
        review: &Review,
        questions: &[Question],
        sources: &[Option<String>],
        by: &str,
        note: &str,
    ) -> Result<i64, FnError> {
        let exam = ExamName::parse(&review.exam).map_err(|e| FnError::permanent(e.to_string()))?;
        match review.draft_version {
            Some(v) => {
                self.versions_coll()
                    .update_one(
                        doc! {"_id": version_id(&exam, v)},
                        doc! {"$set": {"questions": questions_bson(questions, sources), "edited_at": Utc::now().to_rfc3339(), "edited_by": by}},
                    )
                    .await
                    .map_err(classify)?;
                self.set(&exam, doc! {}).await?;
                Ok(v)
            }
            None => {
                let v = review.latest_version + 1;
                self.insert_version(&exam, v, questions, sources, by, note).await?;
                let r = self
                    .reviews()
                    .update_one(
                        doc! {"_id": exam.as_str(), "latest_version": review.latest_version},
                        doc! {"$set": {"draft_version": v, "latest_version": v, "updated_at": Utc::now().to_rfc3339()}},
                    )
                    .await
                    .map_err(classify)?;
                if r.matched_count == 0 {
                    return Err(FnError::unavailable(format!("{exam} was changed by another request; try again")));
                }
                if review.state == PubState::Draft && review.published_version.is_none() {
                    self.forget(&exam);
                }
                Ok(v)
            }
        }
    }

    /// The draft (or, without one, the latest version) as the educator edits it.
    pub async fn working_copy(&self, review: &Review) -> Result<Version, FnError> {
        let exam = ExamName::parse(&review.exam).map_err(|e| FnError::permanent(e.to_string()))?;
        let v = review.draft_version.unwrap_or(review.latest_version);
        self.version(&exam, v).await?.ok_or_else(|| FnError::unavailable(format!("version {v} of {exam} is not readable")))
    }

    /// Publish the draft (or publish the published version again after an
    /// unpublish). Returns the version now published.
    pub async fn publish(&self, review: &Review, file_etag: &str) -> Result<i64, FnError> {
        let exam = ExamName::parse(&review.exam).map_err(|e| FnError::permanent(e.to_string()))?;
        let v = review
            .draft_version
            .or(review.published_version)
            .ok_or_else(|| FnError::permanent(format!("{exam} has no version to publish")))?;
        self.versions_coll()
            .update_one(doc! {"_id": version_id(&exam, v)}, doc! {"$set": {"published_at": Utc::now().to_rfc3339()}})
            .await
            .map_err(classify)?;
        self.set(
            &exam,
            doc! {"state": "published", "published_version": v, "draft_version": Bson::Null, "file_etag": file_etag},
        )
        .await?;
        Ok(v)
    }

    pub async fn unpublish(&self, review: &Review) -> Result<(), FnError> {
        let exam = ExamName::parse(&review.exam).map_err(|e| FnError::permanent(e.to_string()))?;
        self.set(&exam, doc! {"state": if review.published_version.is_some() { "unpublished" } else { "draft" }}).await
    }

    pub async fn set_settings(&self, review: &Review, settings: &Settings) -> Result<(), FnError> {
        let exam = ExamName::parse(&review.exam).map_err(|e| FnError::permanent(e.to_string()))?;
        self.set(&exam, doc! {"settings": settings.to_bson()}).await
    }

    /// The exam file was rewritten by someone else (exam-gen after a new
    /// upload of the same lecture): its questions become the draft.
    pub async fn adopt_file(&self, review: &Review, questions: &[Question], etag: &str) -> Result<Review, FnError> {
        let exam = ExamName::parse(&review.exam).map_err(|e| FnError::permanent(e.to_string()))?;
        self.save_draft(review, questions, &[], "exam-gen", "regenerated").await?;
        self.set(&exam, doc! {"file_etag": etag}).await?;
        self.get(&exam).await?.ok_or_else(|| FnError::unavailable(format!("the review of {exam} is not readable yet")))
    }

    pub async fn ping(&self) -> Result<(), String> {
        examfn_runtime::mongo::ping(&self.db).await
    }
}
