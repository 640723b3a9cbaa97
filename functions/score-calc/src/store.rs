//! The MongoDB side of score-calc: the processed-ids ledger and the scoreboard.
//!
//! `exams.score_processed` holds one record per result document:
//! `{_id: <result id>, state: "sending"|"sent", at, sent_at?, exam, email}`.
//! Inserting it is the single atomic decision "this result is new": the
//! unique `_id` makes a second insert fail with a duplicate key, whatever the
//! number of redeliveries, replays, snapshots or concurrent consumers.

use std::future::Future;

use examfn_domain::scorecard::{self, ResultSummary, HISTOGRAM_BUCKETS, OVERALL};
use examfn_runtime::mongo::{classify, is_duplicate_key};
use examfn_runtime::FnError;
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::options::UpdateOptions;
use mongodb::{Collection, Database};

/// The state of a result document's score card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This call inserted the record: the result is new. The caller counts it
    /// on the scoreboard and sends the score card.
    New,
    /// A previous delivery recorded the result but did not confirm the send
    /// (it crashed or the broker failed): send again with the same message id.
    Pending,
    /// The score card was sent and confirmed: nothing to do.
    Sent,
}

/// What score-calc needs from its database.
pub trait Ledger: Send + Sync + 'static {
    /// Decide, atomically, whether `id` is new; record it as `sending` if so.
    fn claim(&self, id: &str, summary: &ResultSummary) -> impl Future<Output = Result<Claim, FnError>> + Send;
    /// Add a newly claimed result to the scoreboards (only after [`Claim::New`]).
    fn count(&self, summary: &ResultSummary) -> impl Future<Output = Result<(), FnError>> + Send;
    /// Record that the score card's delivery to the broker was confirmed.
    fn mark_sent(&self, id: &str) -> impl Future<Output = Result<(), FnError>> + Send;
    /// Readiness.
    fn ready(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// [`Ledger`] on MongoDB.
#[derive(Clone, Debug)]
pub struct MongoLedger {
    db: Database,
    processed: Collection<Document>,
    boards: Collection<Document>,
    best: Collection<Document>,
}

impl MongoLedger {
    pub fn new(db: Database) -> Self {
        Self {
            processed: db.collection(scorecard::PROCESSED_COLLECTION),
            boards: db.collection(scorecard::SCOREBOARD_COLLECTION),
            best: db.collection(scorecard::SCOREBOARD_BEST_COLLECTION),
            db,
        }
    }

    /// Add one result to the board `board`: an optimistic compare-and-set on
    /// `attempts` (read, compute the new histogram, update only if nobody
    /// counted in between, else retry). Positional `$inc` on `histogram.N`
    /// would be one round trip on mongod, but the local MongoDB stand-in
    /// ignores it; the CAS is atomic on both.
    async fn bump(&self, board: &str, s: &ResultSummary) -> Result<(), FnError> {
        let bucket = scorecard::bucket(s.percentage);
        for _ in 0..CAS_ATTEMPTS {
            let current = self.boards.find_one(doc! {"_id": board}).await.map_err(classify)?;
            let Some(current) = current else {
                let mut histogram: Vec<Bson> = vec![Bson::Int64(0); HISTOGRAM_BUCKETS];
                histogram[bucket] = Bson::Int64(1);
                let first = doc! {"_id": board, "attempts": 1_i64, "passes": i64::from(s.passed),
                                  "percentage_sum": i64::from(s.percentage), "histogram": histogram};
                match self.boards.insert_one(first).await {
                    Ok(_) => return Ok(()),
                    Err(e) if is_duplicate_key(&e) => continue, // another result created it: count on top
                    Err(e) => return Err(classify(e)),
                }
            };
            let attempts = match current.get("attempts") {
                Some(Bson::Int64(n)) => *n,
                Some(Bson::Int32(n)) => i64::from(*n),
                Some(Bson::Double(f)) => *f as i64,
                _ => 0,
            };
            let mut histogram: Vec<i64> = match current.get_array("histogram") {
                Ok(a) => a
                    .iter()
                    .map(|b| match b {
                        Bson::Int64(n) => *n,
                        Bson::Int32(n) => i64::from(*n),
                        Bson::Double(f) => *f as i64,
                        _ => 0,
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            histogram.resize(HISTOGRAM_BUCKETS.max(histogram.len()), 0);
            histogram[bucket] += 1;
            let filter = match current.get("attempts") {
                Some(v) => doc! {"_id": board, "attempts": v.clone()},
                None => doc! {"_id": board, "attempts": {"$exists": false}},
            };
            let update = doc! {
                "$set": {"attempts": attempts + 1, "histogram": histogram},
                "$inc": {"passes": i64::from(s.passed), "percentage_sum": i64::from(s.percentage)},
            };
            let r = self.boards.update_one(filter, update).await.map_err(classify)?;
            if r.matched_count == 1 {
                return Ok(());
            }
        }
        Err(FnError::unavailable(format!("scoreboard {board:?} is too contended; retrying later")))
    }
}

/// Compare-and-set rounds before giving up (and letting the delivery retry).
const CAS_ATTEMPTS: usize = 64;

impl Ledger for MongoLedger {
    async fn claim(&self, id: &str, s: &ResultSummary) -> Result<Claim, FnError> {
        let mut record = doc! {"_id": id, "state": "sending", "at": DateTime::now(), "exam": &s.exam};
        if let Some(e) = &s.email {
            record.insert("email", e);
        }
        match self.processed.insert_one(record).await {
            Ok(_) => Ok(Claim::New),
            Err(e) if is_duplicate_key(&e) => {
                let existing = self.processed.find_one(doc! {"_id": id}).await.map_err(classify)?;
                match existing.as_ref().and_then(|d| d.get_str("state").ok()) {
                    Some("sent") => Ok(Claim::Sent),
                    Some(_) => Ok(Claim::Pending),
                    // Deleted between the insert and the read: try again.
                    None => Err(FnError::unavailable(format!("processed record of {id} changed concurrently"))),
                }
            }
            Err(e) => Err(classify(e)),
        }
    }

    async fn count(&self, s: &ResultSummary) -> Result<(), FnError> {
        self.bump(&s.exam, s).await?;
        self.bump(OVERALL, s).await?;
        if let Some(email) = &s.email {
            // Dotted equality: the upsert creates `_id: {exam, email}`.
            let filter = doc! {"_id.exam": &s.exam, "_id.email": email};
            let update = doc! {"$max": {"best_percentage": i64::from(s.percentage), "best_score": s.score}};
            for attempt in 0..2 {
                let upsert = UpdateOptions::builder().upsert(true).build();
                match self.best.update_one(filter.clone(), update.clone()).with_options(upsert).await {
                    Ok(_) => break,
                    // Two first results of one student racing: the loser's upsert
                    // hits the winner's _id; the retry updates it.
                    Err(e) if attempt == 0 && is_duplicate_key(&e) => continue,
                    Err(e) => return Err(classify(e)),
                }
            }
        }
        Ok(())
    }

    async fn mark_sent(&self, id: &str) -> Result<(), FnError> {
        self.processed
            .update_one(doc! {"_id": id}, doc! {"$set": {"state": "sent", "sent_at": DateTime::now()}})
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn ready(&self) -> Result<(), String> {
        examfn_runtime::mongo::ping(&self.db).await
    }
}
