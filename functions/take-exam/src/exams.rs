//! Exams in S3 (`questions_bank/<name>.json`), served from an in-memory cache
//! validated by the object's ETag: a cached exam is trusted for `ttl`, then one
//! HeadObject revalidates it and only a changed ETag reads the object again.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use bytes::Bytes;
use examfn_domain::exam::{Exam, Question};
use examfn_domain::grading::ExamName;
use examfn_domain::names::QUESTIONS_PREFIX;
use examfn_runtime::FnError;
use serde::Serialize;

use crate::provenance::Sidecar;

/// An exam as loaded, with both JSON views serialised once.
#[derive(Debug)]
pub struct LoadedExam {
    pub name: ExamName,
    pub etag: String,
    pub questions: Exam,
    /// The complete file (educators).
    pub full_json: Bytes,
    /// Questions and options only (students before they submit).
    pub student_json: Bytes,
}

#[derive(Serialize)]
struct StudentQuestion<'a> {
    question: &'a str,
    options: &'a [String],
}

impl LoadedExam {
    fn parse(name: ExamName, etag: String, body: &[u8]) -> Result<Self, FnError> {
        let questions: Exam = serde_json::from_slice(body)
            .map_err(|e| FnError::permanent(format!("exam {name} is not a valid exam file: {e}")))?;
        if questions.is_empty() {
            return Err(FnError::permanent(format!("exam {name} has no questions")));
        }
        let student: Vec<StudentQuestion<'_>> =
            questions.iter().map(|q: &Question| StudentQuestion { question: &q.question, options: &q.options }).collect();
        let student_json = Bytes::from(serde_json::to_vec(&student).expect("json"));
        let full_json = Bytes::from(serde_json::to_vec(&questions).expect("json"));
        Ok(Self { name, etag, questions, full_json, student_json })
    }
}

struct Entry {
    exam: Arc<LoadedExam>,
    checked: Instant,
}

/// A cached sidecar; `etag` is empty when there was none.
struct SidecarEntry {
    sidecar: Option<Arc<Sidecar>>,
    etag: String,
    checked: Instant,
}

/// Reads exams from the bucket, caching them.
pub struct ExamStore {
    s3: Client,
    bucket: String,
    ttl: Duration,
    cache: RwLock<HashMap<ExamName, Entry>>,
    sidecars: RwLock<HashMap<ExamName, SidecarEntry>>,
}

/// An exam lookup failure.
#[derive(Debug)]
pub enum ExamError {
    NotFound(ExamName),
    Failed(FnError),
}

impl From<FnError> for ExamError {
    fn from(e: FnError) -> Self {
        Self::Failed(e)
    }
}

impl ExamStore {
    pub fn new(s3: Client, bucket: impl Into<String>, ttl: Duration) -> Self {
        Self { s3, bucket: bucket.into(), ttl, cache: RwLock::new(HashMap::new()), sidecars: RwLock::new(HashMap::new()) }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Exam file names in `questions_bank/` (sidecars and nested keys ignored), sorted.
    pub async fn list(&self) -> Result<Vec<String>, FnError> {
        let mut names = Vec::new();
        let mut pages = self.s3.list_objects_v2().bucket(&self.bucket).prefix(QUESTIONS_PREFIX).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| examfn_runtime::s3::classify("list exams", e))?;
            for o in page.contents() {
                if let Some(n) = o.key().and_then(ExamName::from_key) {
                    names.push(n.as_str().to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Object keys under a prefix with their last-modified times.
    pub async fn objects(&self, prefix: &str) -> Result<Vec<(String, Option<chrono::DateTime<chrono::Utc>>)>, FnError> {
        let mut out = Vec::new();
        let mut pages = self.s3.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| examfn_runtime::s3::classify("list objects", e))?;
            for o in page.contents() {
                let Some(k) = o.key() else { continue };
                let t = o.last_modified().and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()));
                out.push((k.to_string(), t));
            }
        }
        Ok(out)
    }

    /// Whether the exam file exists (HeadObject).
    pub async fn exists(&self, name: &ExamName) -> Result<bool, FnError> {
        match self.s3.head_object().bucket(&self.bucket).key(name.key()).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => Err(examfn_runtime::s3::classify("head exam", e)),
        }
    }

    /// Object keys under a prefix (for uploads without a status yet).
    pub async fn keys(&self, prefix: &str) -> Result<Vec<String>, FnError> {
        let mut keys = Vec::new();
        let mut pages = self.s3.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| examfn_runtime::s3::classify("list objects", e))?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        Ok(keys)
    }

    /// The exam, from the cache when its ETag is unchanged.
    pub async fn get(&self, name: &ExamName) -> Result<Arc<LoadedExam>, ExamError> {
        let cached = {
            let c = self.cache.read().expect("exam cache lock");
            c.get(name).map(|e| (e.exam.clone(), e.checked.elapsed() < self.ttl))
        };
        if let Some((exam, fresh)) = &cached {
            if *fresh {
                return Ok(exam.clone());
            }
            match self.s3.head_object().bucket(&self.bucket).key(name.key()).send().await {
                Ok(head) => {
                    if head.e_tag().is_some_and(|t| t == exam.etag) {
                        if let Some(e) = self.cache.write().expect("exam cache lock").get_mut(name) {
                            e.checked = Instant::now();
                        }
                        return Ok(exam.clone());
                    }
                }
                Err(e) => {
                    if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                        self.cache.write().expect("exam cache lock").remove(name);
                        return Err(ExamError::NotFound(name.clone()));
                    }
                    return Err(examfn_runtime::s3::classify("head exam", e).into());
                }
            }
        }
        let out = match self.s3.get_object().bucket(&self.bucket).key(name.key()).send().await {
            Ok(o) => o,
            Err(e) => {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    self.cache.write().expect("exam cache lock").remove(name);
                    return Err(ExamError::NotFound(name.clone()));
                }
                return Err(examfn_runtime::s3::classify("get exam", e).into());
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| FnError::unavailable(format!("s3 get exam: reading the body: {e}")))?
            .into_bytes();
        let exam = Arc::new(LoadedExam::parse(name.clone(), etag, &body)?);
        self.cache
            .write()
            .expect("exam cache lock")
            .insert(name.clone(), Entry { exam: exam.clone(), checked: Instant::now() });
        Ok(exam)
    }

    /// The exam read again from the bucket (the cache is bypassed and refreshed).
    pub async fn fresh(&self, name: &ExamName) -> Result<Arc<LoadedExam>, ExamError> {
        self.cache.write().expect("exam cache lock").remove(name);
        self.get(name).await
    }

    /// Write an exam file (the AWS array) and forget the cached copy.
    pub async fn put(&self, name: &ExamName, questions: &[Question]) -> Result<(), FnError> {
        let body = serde_json::to_vec(questions).map_err(|e| FnError::permanent(format!("exam file: {e}")))?;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(name.key())
            .content_type("application/json")
            .body(body.into())
            .send()
            .await
            .map_err(|e| examfn_runtime::s3::classify("put exam", e))?;
        self.cache.write().expect("exam cache lock").remove(name);
        Ok(())
    }

    fn sidecar_key(name: &ExamName) -> String {
        format!("{QUESTIONS_PREFIX}{}{}", name.base(), examfn_domain::grading::SIDECAR_SUFFIX)
    }

    /// exam-gen's sidecar (`questions_bank/<base>.meta.json`: the spares and
    /// where each question comes from), cached and revalidated by ETag like
    /// the exams; None when there is none. A sidecar that cannot be read
    /// counts as none here (logged): the questions are shown without their
    /// provenance rather than not at all.
    pub async fn sidecar(&self, name: &ExamName) -> Result<Option<Arc<Sidecar>>, FnError> {
        let cached = {
            let c = self.sidecars.read().expect("sidecar cache lock");
            c.get(name).map(|e| (e.sidecar.clone(), e.etag.clone(), e.checked.elapsed() < self.ttl))
        };
        if let Some((sidecar, etag, fresh)) = cached {
            if fresh {
                return Ok(sidecar);
            }
            let now = match self.s3.head_object().bucket(&self.bucket).key(Self::sidecar_key(name)).send().await {
                Ok(head) => head.e_tag().unwrap_or_default().to_string(),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => String::new(),
                Err(e) => return Err(examfn_runtime::s3::classify("head sidecar", e)),
            };
            if now == etag {
                if let Some(e) = self.sidecars.write().expect("sidecar cache lock").get_mut(name) {
                    e.checked = Instant::now();
                }
                return Ok(sidecar);
            }
        }
        let (etag, sidecar) = match self.read_sidecar(name).await? {
            None => (String::new(), None),
            Some((etag, Ok(s))) => (etag, Some(Arc::new(s))),
            Some((etag, Err(why))) => {
                tracing::warn!(exam = %name, reason = %why, "the sidecar is not readable: questions shown without provenance");
                (etag, None)
            }
        };
        let mut c = self.sidecars.write().expect("sidecar cache lock");
        if c.len() > 1000 {
            c.clear();
        }
        c.insert(name.clone(), SidecarEntry { sidecar: sidecar.clone(), etag, checked: Instant::now() });
        Ok(sidecar)
    }

    /// The sidecar read now (for a replacement: the spares as exam-gen left
    /// them); None when there is none, an error when it cannot be read.
    pub async fn fresh_sidecar(&self, name: &ExamName) -> Result<Option<Arc<Sidecar>>, FnError> {
        self.sidecars.write().expect("sidecar cache lock").remove(name);
        match self.read_sidecar(name).await? {
            None => Ok(None),
            Some((_, Ok(s))) => Ok(Some(Arc::new(s))),
            Some((_, Err(why))) => {
                Err(FnError::permanent(format!("the sidecar {} is not readable: {why}", Self::sidecar_key(name))))
            }
        }
    }

    /// GetObject of the sidecar: its ETag and what parsing it gave.
    async fn read_sidecar(&self, name: &ExamName) -> Result<Option<(String, Result<Sidecar, String>)>, FnError> {
        let out = match self.s3.get_object().bucket(&self.bucket).key(Self::sidecar_key(name)).send().await {
            Ok(o) => o,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(examfn_runtime::s3::classify("get sidecar", e)),
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| FnError::unavailable(format!("s3 get sidecar: reading the body: {e}")))?
            .into_bytes();
        Ok(Some((etag, Sidecar::parse(&body))))
    }

    /// Readiness: the bucket is reachable.
    pub async fn ping(&self) -> Result<(), String> {
        self.s3
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("s3 bucket {}: {}", self.bucket, aws_sdk_s3::error::DisplayErrorContext(&e)))
    }

    pub fn client(&self) -> &Client {
        &self.s3
    }
}
