//! MongoDB: the subscribers (`exams.subscribers`) and the idempotent sent-log
//! (`exams.email_sent`).
//!
//! Sent-log protocol, per (message id, recipient), with a unique index on the
//! pair:
//! 1. *claim*: insert `{status: "sending", claim: <uuid>, claimed_at}`. A
//!    duplicate key means someone got there first: `sent` → nothing to do;
//!    `sending` → another delivery is in flight: wait for it, and take the
//!    claim over once its lease (longer than any send can take) has run out
//!    (the worker died mid-send).
//! 2. send;
//! 3. success → `status: "sent"`; failure → the claim is deleted, so the retry
//!    sends again. A redelivered event thus never sends twice to the same
//!    recipient, and a partial failure is retried for the failed recipients only.

use std::time::Duration;

use examfn_runtime::mongo::{classify, is_duplicate_key};
use examfn_runtime::FnError;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use tokio::sync::OnceCell;

use examfn_domain::email::normalize_address;
use examfn_domain::names::SUBSCRIBERS_COLLECTION;

/// The sent-log collection.
pub const SENT_COLLECTION: &str = "email_sent";
/// A `sending` claim older than this belongs to a worker that died mid-send
/// (longer than the provider timeout plus slack).
pub const CLAIM_LEASE: Duration = Duration::from_secs(30);

/// How long sent-log entries are kept (TTL index on `claimed_at`): far longer
/// than Kafka keeps records, so a redelivery or a DLQ replay still finds them.
pub const SENT_LOG_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);

/// Result of claiming a (message, recipient) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// We own it: send, then [`Store::mark_sent`] or [`Store::release`] with this token.
    Owned(String),
    /// Delivered before.
    AlreadySent,
    /// Another delivery holds a live claim.
    InFlight,
}

/// What `subscribe` changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    Created,
    Reactivated,
    AlreadyActive,
}

impl SubscribeOutcome {
    pub fn changed(self) -> bool {
        !matches!(self, Self::AlreadyActive)
    }
}

/// What `unsubscribe` changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribeOutcome {
    Unsubscribed,
    AlreadyInactive,
    NotSubscribed,
}

/// The email function's collections.
#[derive(Clone)]
pub struct Store {
    db: Database,
    indexes: std::sync::Arc<OnceCell<()>>,
}

impl Store {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            indexes: std::sync::Arc::new(OnceCell::new()),
        }
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    fn subscribers(&self) -> Collection<Document> {
        self.db.collection(SUBSCRIBERS_COLLECTION)
    }

    fn sent(&self) -> Collection<Document> {
        self.db.collection(SENT_COLLECTION)
    }

    /// Create the unique indexes once per process (lazily: start-up never
    /// waits for MongoDB). The sent-log index is required; the subscribers
    /// index is best effort (legacy duplicates would block it; upserts by
    /// address keep working without it).
    pub async fn ensure_indexes(&self) -> Result<(), FnError> {
        self.indexes
            .get_or_try_init(|| async {
                let unique = IndexOptions::builder().unique(true).build();
                self.sent()
                    .create_index(
                        IndexModel::builder()
                            .keys(doc! {"message_id": 1, "recipient": 1})
                            .options(IndexOptions::builder().unique(true).name("message_recipient_unique".to_string()).build())
                            .build(),
                    )
                    .await
                    .map_err(classify)?;
                // Bounded growth: entries expire long after any redelivery or DLQ replay.
                let ttl = IndexOptions::builder()
                    .expire_after(SENT_LOG_RETENTION)
                    .name("claimed_at_ttl".to_string())
                    .build();
                if let Err(e) = self
                    .sent()
                    .create_index(IndexModel::builder().keys(doc! {"claimed_at": 1}).options(ttl).build())
                    .await
                {
                    tracing::warn!(error = %e, "cannot create the TTL index on email_sent.claimed_at");
                }
                if let Err(e) = self
                    .subscribers()
                    .create_index(IndexModel::builder().keys(doc! {"email": 1}).options(unique).build())
                    .await
                {
                    tracing::warn!(error = %e, "cannot create the unique index on subscribers.email (duplicates?)");
                }
                Ok::<(), FnError>(())
            })
            .await
            .map(|_| ())
    }

    /// Every active subscriber's address, normalised, without duplicates.
    /// Documents without `active` (the original `{email}` rows) are active.
    pub async fn active_subscribers(&self) -> Result<Vec<String>, FnError> {
        use futures::TryStreamExt;
        let docs: Vec<Document> = self
            .subscribers()
            .find(doc! {})
            .projection(doc! {"email": 1, "active": 1})
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)?;
        let mut out: Vec<String> = Vec::with_capacity(docs.len());
        for d in docs {
            if is_inactive(&d) {
                continue;
            }
            let Ok(raw) = d.get_str("email") else {
                continue;
            };
            match normalize_address(raw) {
                Ok(a) if !out.contains(&a) => out.push(a),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(email = raw, error = %e, "skipping an invalid subscriber address")
                }
            }
        }
        Ok(out)
    }

    /// Subscribe (or re-activate) an address: idempotent.
    pub async fn subscribe(
        &self,
        email: &str,
        user_type: Option<&str>,
        identity_id: Option<&str>,
    ) -> Result<SubscribeOutcome, FnError> {
        let email = normalize_address(email).map_err(FnError::BadInput)?;
        self.ensure_indexes().await?;
        let now = DateTime::now();
        let mut set = doc! {"active": true, "updated_at": now};
        if let Some(t) = user_type {
            set.insert("user_type", t);
        }
        if let Some(id) = identity_id {
            set.insert("kratos_identity_id", id);
        }
        let update = doc! {
            "$set": set,
            "$setOnInsert": {"created_at": now},
            "$unset": {"unsubscribed_at": ""},
        };
        // Two concurrent first sign-ups race on the unique index: the loser retries as an update.
        for attempt in 0..2 {
            let res = self
                .subscribers()
                .find_one_and_update(doc! {"email": &email}, update.clone())
                .upsert(true)
                .return_document(ReturnDocument::Before)
                .await;
            match res {
                Ok(None) => return Ok(SubscribeOutcome::Created),
                Ok(Some(before)) if is_inactive(&before) => {
                    return Ok(SubscribeOutcome::Reactivated)
                }
                Ok(Some(_)) => return Ok(SubscribeOutcome::AlreadyActive),
                Err(e) if attempt == 0 && is_duplicate_key(&e) => continue,
                Err(e) => return Err(classify(e)),
            }
        }
        unreachable!("the loop returns")
    }

    /// Mark an address inactive (idempotent; the row stays, so a later
    /// sign-up re-activates it).
    pub async fn unsubscribe(&self, email: &str) -> Result<UnsubscribeOutcome, FnError> {
        let email = normalize_address(email).map_err(FnError::BadInput)?;
        let before = self
            .subscribers()
            .find_one_and_update(
                doc! {"email": &email},
                doc! {"$set": {"active": false, "unsubscribed_at": DateTime::now(), "updated_at": DateTime::now()}},
            )
            .return_document(ReturnDocument::Before)
            .await
            .map_err(classify)?;
        Ok(match before {
            None => UnsubscribeOutcome::NotSubscribed,
            Some(d) if is_inactive(&d) => {
                // Keep the first unsubscription time.
                if let Some(t) = millis(&d, "unsubscribed_at") {
                    let _ = self
                        .subscribers()
                        .update_one(
                            doc! {"email": &email},
                            doc! {"$set": {"unsubscribed_at": DateTime::from_millis(t)}},
                        )
                        .await;
                }
                UnsubscribeOutcome::AlreadyInactive
            }
            Some(_) => UnsubscribeOutcome::Unsubscribed,
        })
    }

    /// Whether an address is an active subscriber.
    pub async fn is_active_subscriber(&self, email: &str) -> Result<bool, FnError> {
        let d = self
            .subscribers()
            .find_one(doc! {"email": email})
            .await
            .map_err(classify)?;
        Ok(d.is_some_and(|d| !is_inactive(&d)))
    }

    /// Step 1 of the protocol.
    pub async fn claim(&self, message_id: &str, recipient: &str) -> Result<Claim, FnError> {
        let token = uuid_like();
        let now = DateTime::now();
        let res = self
            .sent()
            .insert_one(doc! {
                "message_id": message_id,
                "recipient": recipient,
                "status": "sending",
                "claim": &token,
                "claimed_at": now,
            })
            .await;
        match res {
            Ok(_) => return Ok(Claim::Owned(token)),
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(classify(e)),
        }
        let key = doc! {"message_id": message_id, "recipient": recipient};
        let Some(existing) = self.sent().find_one(key.clone()).await.map_err(classify)? else {
            // Released between our insert and the read: try once more.
            return Box::pin(self.claim(message_id, recipient)).await;
        };
        if existing.get_str("status").ok() == Some("sent") {
            return Ok(Claim::AlreadySent);
        }
        let claimed_at = millis(&existing, "claimed_at").unwrap_or(0);
        let age_ms = now.timestamp_millis() - claimed_at;
        if age_ms < CLAIM_LEASE.as_millis() as i64 {
            return Ok(Claim::InFlight);
        }
        // The holder died mid-send: take the claim over (only if nobody else did).
        let old = existing.get_str("claim").unwrap_or_default().to_string();
        let mut filter = key;
        filter.insert("status", "sending");
        filter.insert("claim", old);
        let taken = self
            .sent()
            .find_one_and_update(filter, doc! {"$set": {"claim": &token, "claimed_at": now}})
            .await
            .map_err(classify)?;
        Ok(if taken.is_some() {
            Claim::Owned(token)
        } else {
            Claim::InFlight
        })
    }

    /// Step 3 (success). Retried a few times: a lost mark would mean a resend.
    pub async fn mark_sent(
        &self,
        message_id: &str,
        recipient: &str,
        token: &str,
        provider: &str,
        reply: &str,
        subject: &str,
    ) -> Result<(), FnError> {
        let filter = doc! {"message_id": message_id, "recipient": recipient, "claim": token};
        let update = doc! {"$set": {
            "status": "sent",
            "sent_at": DateTime::now(),
            "provider": provider,
            "provider_reply": reply,
            "subject": subject,
        }};
        let mut last = None;
        for wait_ms in [0u64, 200, 1000] {
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
            match self.sent().update_one(filter.clone(), update.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(classify(last.expect("at least one attempt")))
    }

    /// Step 3 (failure): drop our claim so a retry sends again.
    pub async fn release(&self, message_id: &str, recipient: &str, token: &str) {
        let filter = doc! {"message_id": message_id, "recipient": recipient, "claim": token, "status": "sending"};
        if let Err(e) = self.sent().delete_one(filter).await {
            tracing::warn!(message_id, recipient, error = %e, "cannot release a send claim; it expires after the lease");
        }
    }

    /// Recipients a message was delivered to (tests, the CLI).
    pub async fn delivered_to(&self, message_id: &str) -> Result<Vec<String>, FnError> {
        use futures::TryStreamExt;
        let docs: Vec<Document> = self
            .sent()
            .find(doc! {"message_id": message_id, "status": "sent"})
            .await
            .map_err(classify)?
            .try_collect()
            .await
            .map_err(classify)?;
        let mut v: Vec<String> = docs
            .iter()
            .filter_map(|d| d.get_str("recipient").ok().map(str::to_string))
            .collect();
        v.sort();
        Ok(v)
    }
}

/// `active: false` (MongoDB) or `0` (the SQLite-backed test server stores a
/// `$set` boolean as an integer); a missing field is active.
pub fn is_inactive(d: &Document) -> bool {
    use mongodb::bson::Bson;
    matches!(
        d.get("active"),
        Some(Bson::Boolean(false)) | Some(Bson::Int32(0)) | Some(Bson::Int64(0))
    )
}

/// A time field as epoch milliseconds: a BSON date, or the
/// `YYYY-MM-DD HH:MM:SS[.ffffff]` UTC string the SQLite-backed test server
/// leaves after a `$set` of a date.
pub fn millis(d: &Document, key: &str) -> Option<i64> {
    use mongodb::bson::Bson;
    match d.get(key)? {
        Bson::DateTime(t) => Some(t.timestamp_millis()),
        Bson::String(s) => chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc().timestamp_millis()),
        _ => None,
    }
}

fn uuid_like() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
