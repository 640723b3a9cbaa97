//! Per-student exceptions an educator grants on one exam
//! (`exams.student_overrides`): extra time on every attempt and extra
//! attempts beyond the exam's limit.
//!
//! Document: `{_id: "<email> <exam>", exam, email, extra_time_seconds,
//! extra_attempts, updated_at, updated_by}`.

use chrono::Utc;
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use examfn_domain::grading::ExamName;
use examfn_runtime::mongo::classify;
use examfn_runtime::FnError;

use crate::review::int_of;

pub const OVERRIDES_COLLECTION: &str = "student_overrides";

/// What one student gets beyond the exam's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Added to every attempt's time limit (and to the closing time for this student's attempts).
    #[serde(default)]
    pub extra_time_seconds: u32,
    /// Added to the exam's attempt limit.
    #[serde(default)]
    pub extra_attempts: u32,
}

impl Override {
    pub fn validate(&self) -> Result<(), FnError> {
        if self.extra_time_seconds > 7 * 24 * 3600 {
            return Err(FnError::bad_input("Extra time is at most 7 days (extra_time_seconds up to 604800)."));
        }
        if self.extra_attempts > 100 {
            return Err(FnError::bad_input("At most 100 extra attempts (extra_attempts)."));
        }
        Ok(())
    }

    fn from_doc(d: &Document) -> Self {
        Self {
            extra_time_seconds: int_of(d, "extra_time_seconds").unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            extra_attempts: int_of(d, "extra_attempts").unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
        }
    }
}

fn id(exam: &ExamName, email: &str) -> String {
    format!("{email} {}", exam.as_str())
}

pub struct Overrides {
    db: Database,
}

impl Overrides {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    fn coll(&self) -> Collection<Document> {
        self.db.collection(OVERRIDES_COLLECTION)
    }

    /// The student's override on this exam (the default: none).
    pub async fn get(&self, exam: &ExamName, email: &str) -> Result<Override, FnError> {
        let d = self.coll().find_one(doc! {"_id": id(exam, &email.to_lowercase())}).await.map_err(classify)?;
        Ok(d.as_ref().map(Override::from_doc).unwrap_or_default())
    }

    /// Every override on this exam: (email, override).
    pub async fn for_exam(&self, exam: &ExamName) -> Result<Vec<(String, Override)>, FnError> {
        let docs: Vec<Document> =
            self.coll().find(doc! {"exam": exam.as_str()}).await.map_err(classify)?.try_collect().await.map_err(classify)?;
        Ok(docs.iter().map(|d| (d.get_str("email").unwrap_or_default().to_string(), Override::from_doc(d))).collect())
    }

    pub async fn set(&self, exam: &ExamName, email: &str, o: &Override, by: &str) -> Result<(), FnError> {
        let email = email.to_lowercase();
        self.coll()
            .replace_one(
                doc! {"_id": id(exam, &email)},
                doc! {
                    "_id": id(exam, &email), "exam": exam.as_str(), "email": &email,
                    "extra_time_seconds": i64::from(o.extra_time_seconds), "extra_attempts": i64::from(o.extra_attempts),
                    "updated_at": Utc::now().to_rfc3339(), "updated_by": by,
                },
            )
            .upsert(true)
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
