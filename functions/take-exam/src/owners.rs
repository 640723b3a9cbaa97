//! Who may see and change an exam (`exams.exam_owners`, written by take-exam).
//!
//! Document, one per exam (`_id` = `lecture1.json`): `{owner, co_owners: [email],
//! created_at, updated_at}`. The educator who uploads a lecture through
//! take-exam owns the exam it becomes; the owner and the co-owners they add
//! (by email) see it, edit it, publish it and read its results. Any other
//! educator is answered 404, as if the exam did not exist.
//!
//! An exam without an ownership document (uploaded before ownership existed,
//! or put straight into the bucket) belongs to `EXAM_ADMIN_EMAIL`; when that
//! is not configured, such an exam stays shared by every educator, as every
//! exam was before.

use std::collections::HashMap;

use chrono::Utc;
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::{Collection, Database};
use serde_json::{json, Value};

use examfn_domain::grading::ExamName;
use examfn_runtime::mongo::{classify, is_duplicate_key};
use examfn_runtime::FnError;

pub const OWNERS_COLLECTION: &str = "exam_owners";
/// Most co-owners of one exam.
pub const MAX_CO_OWNERS: usize = 50;

/// The ownership of one exam.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    pub exam: String,
    pub owner: String,
    pub co_owners: Vec<String>,
    pub created_at: Option<String>,
}

impl Ownership {
    fn from_doc(d: &Document) -> Self {
        Self {
            exam: d.get_str("_id").unwrap_or_default().to_string(),
            owner: d.get_str("owner").unwrap_or_default().to_lowercase(),
            co_owners: d
                .get_array("co_owners")
                .map(|a| a.iter().filter_map(Bson::as_str).map(str::to_lowercase).collect())
                .unwrap_or_default(),
            created_at: d.get_str("created_at").ok().map(str::to_string),
        }
    }
}

/// How an educator reaches an exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// They uploaded it (or, for an exam from before ownership, they are the configured admin).
    Owner,
    /// The owner shared it with them.
    CoOwner,
    /// An exam without an owner while no admin is configured: every educator's.
    Shared,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Owner => "owner",
            Access::CoOwner => "co_owner",
            Access::Shared => "shared",
        }
    }
}

/// An email as compared: trimmed, lower case.
pub fn normal_email(e: &str) -> String {
    e.trim().to_lowercase()
}

/// A plausible email address (something@domain.tld, no spaces).
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
        && !domain.contains('@')
        && e.len() <= 254
}

/// Ownership records and the rule for exams without one.
pub struct Owners {
    db: Database,
    /// `EXAM_ADMIN_EMAIL`: the owner of exams without an ownership record.
    pub admin: Option<String>,
}

impl Owners {
    pub fn new(db: Database, admin: Option<String>) -> Self {
        Self { db, admin: admin.map(|a| normal_email(&a)).filter(|a| !a.is_empty()) }
    }

    fn coll(&self) -> Collection<Document> {
        self.db.collection(OWNERS_COLLECTION)
    }

    pub async fn get(&self, exam: &ExamName) -> Result<Option<Ownership>, FnError> {
        Ok(self.coll().find_one(doc! {"_id": exam.as_str()}).await.map_err(classify)?.as_ref().map(Ownership::from_doc))
    }

    /// Every ownership record, keyed by exam name.
    pub async fn all(&self) -> Result<HashMap<String, Ownership>, FnError> {
        let docs: Vec<Document> = self.coll().find(doc! {}).await.map_err(classify)?.try_collect().await.map_err(classify)?;
        Ok(docs.iter().map(Ownership::from_doc).map(|o| (o.exam.clone(), o)).collect())
    }

    /// How `email` reaches an exam with this ownership record (None: not at all).
    pub fn access_of(&self, o: Option<&Ownership>, email: &str) -> Option<Access> {
        let email = normal_email(email);
        match o {
            Some(o) if o.owner == email => Some(Access::Owner),
            Some(o) if o.co_owners.contains(&email) => Some(Access::CoOwner),
            Some(_) => None,
            None => match &self.admin {
                Some(admin) if *admin == email => Some(Access::Owner),
                Some(_) => None,
                None => Some(Access::Shared),
            },
        }
    }

    pub async fn access(&self, exam: &ExamName, email: &str) -> Result<Option<Access>, FnError> {
        Ok(self.access_of(self.get(exam).await?.as_ref(), email))
    }

    /// The owner of an exam as the rules say (the record's, else the admin).
    pub fn owner_of(&self, o: Option<&Ownership>) -> Option<String> {
        o.map(|o| o.owner.clone()).or_else(|| self.admin.clone())
    }

    /// Record `owner` as the owner of a new exam; an existing record is kept
    /// and returned.
    pub async fn claim(&self, exam: &ExamName, owner: &str) -> Result<Ownership, FnError> {
        let now = Utc::now().to_rfc3339();
        let d = doc! {"_id": exam.as_str(), "owner": normal_email(owner), "co_owners": Vec::<Bson>::new(), "created_at": &now, "updated_at": &now};
        match self.coll().insert_one(d).await {
            Ok(_) => {}
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(classify(e)),
        }
        self.get(exam).await?.ok_or_else(|| FnError::unavailable(format!("the owner of {exam} is not readable yet")))
    }

    /// Set the co-owners (replacing the list); the record is created with
    /// `owner` when the exam had none.
    pub async fn set_co_owners(&self, exam: &ExamName, owner: &str, co_owners: &[String]) -> Result<Ownership, FnError> {
        let o = self.claim(exam, owner).await?;
        let list: Vec<Bson> =
            co_owners.iter().map(|e| normal_email(e)).filter(|e| *e != o.owner).map(Bson::String).collect();
        self.coll()
            .update_one(doc! {"_id": exam.as_str()}, doc! {"$set": {"co_owners": list, "updated_at": Utc::now().to_rfc3339()}})
            .await
            .map_err(classify)?;
        self.get(exam).await?.ok_or_else(|| FnError::unavailable(format!("the owner of {exam} is not readable yet")))
    }

    /// The ownership as the API shows it to an educator who may see the exam.
    pub fn to_json(&self, exam: &ExamName, o: Option<&Ownership>, email: &str) -> Value {
        json!({
            "exam": exam.as_str(),
            "owner": self.owner_of(o),
            "co_owners": o.map(|o| o.co_owners.clone()).unwrap_or_default(),
            "access": self.access_of(o, email).map(Access::as_str),
            "shared_with_every_educator": o.is_none() && self.admin.is_none(),
        })
    }
}
