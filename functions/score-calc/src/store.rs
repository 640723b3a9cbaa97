//! The MongoDB side of score-calc: the processed-ids ledger and the scoreboard.
//!
//! `exams.score_processed` holds one record per result document:
//! `{_id: <result id>, state: "sending"|"sent", at, sent_at?, exam, email}`.
//! Inserting it is the single atomic decision "this result is new": the
//! unique `_id` makes a second insert fail with a duplicate key, whatever the
//! number of redeliveries, replays, snapshots or concurrent consumers.
//!
//! The `*_many` methods do the same for a batch of results in a handful of
//! round trips (the Kafka transport's batches): one `insert_many` claims all,
//! one compare-and-set per distinct scoreboard counts them, one `update`
//! command carries every best-percentage upsert, one `update_many` marks them
//! sent.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use examfn_domain::scorecard::{self, ResultSummary, HISTOGRAM_BUCKETS, OVERALL};
use examfn_runtime::mongo::{classify, is_duplicate_key};
use examfn_runtime::FnError;
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::error::ErrorKind;
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

    /// [`Ledger::claim`] for many *distinct* ids at once; one claim per item,
    /// in order. An error means the batch failed as a whole (some ids may be
    /// claimed: their redelivery finds them [`Claim::Pending`]).
    fn claim_many(&self, items: &[(&str, &ResultSummary)]) -> impl Future<Output = Result<Vec<Claim>, FnError>> + Send {
        async move {
            let mut out = Vec::with_capacity(items.len());
            for (id, s) in items {
                out.push(self.claim(id, s).await?);
            }
            Ok(out)
        }
    }

    /// [`Ledger::count`] for many newly claimed results at once.
    fn count_many(&self, summaries: &[&ResultSummary]) -> impl Future<Output = Result<(), FnError>> + Send {
        async move {
            for s in summaries {
                self.count(s).await?;
            }
            Ok(())
        }
    }

    /// [`Ledger::mark_sent`] for many ids at once.
    fn mark_sent_many(&self, ids: &[&str]) -> impl Future<Output = Result<(), FnError>> + Send {
        async move {
            for id in ids {
                self.mark_sent(id).await?;
            }
            Ok(())
        }
    }
}

/// What a set of results adds to one scoreboard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    pub attempts: i64,
    pub passes: i64,
    pub percentage_sum: i64,
    pub histogram: [i64; HISTOGRAM_BUCKETS],
}

impl Tally {
    pub fn add(&mut self, s: &ResultSummary) {
        self.attempts += 1;
        self.passes += i64::from(s.passed);
        self.percentage_sum += i64::from(s.percentage);
        self.histogram[scorecard::bucket(s.percentage)] += 1;
    }

    pub fn of(s: &ResultSummary) -> Self {
        let mut t = Self::default();
        t.add(s);
        t
    }
}

/// The tallies of `summaries` per board: each exam's and the overall one.
pub fn tallies<'a>(summaries: impl IntoIterator<Item = &'a ResultSummary>) -> BTreeMap<String, Tally> {
    let mut boards: BTreeMap<String, Tally> = BTreeMap::new();
    for s in summaries {
        boards.entry(s.exam.clone()).or_default().add(s);
        boards.entry(OVERALL.to_string()).or_default().add(s);
    }
    boards
}

/// The best percentage and score per `(exam, email)` of `summaries`
/// (results without an email have no best entry).
pub fn bests<'a>(summaries: impl IntoIterator<Item = &'a ResultSummary>) -> BTreeMap<(String, String), (u32, f64)> {
    let mut best: BTreeMap<(String, String), (u32, f64)> = BTreeMap::new();
    for s in summaries {
        if let Some(email) = &s.email {
            let e = best.entry((s.exam.clone(), email.clone())).or_insert((s.percentage, s.score));
            e.0 = e.0.max(s.percentage);
            e.1 = e.1.max(s.score);
        }
    }
    best
}

fn as_i64(b: &Bson) -> i64 {
    match b {
        Bson::Int64(n) => *n,
        Bson::Int32(n) => i64::from(*n),
        Bson::Double(f) => *f as i64,
        _ => 0,
    }
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

    /// Add `t` to the board `board`: an optimistic compare-and-set on
    /// `attempts` (read, compute the new histogram, update only if nobody
    /// counted in between, else retry). Positional `$inc` on `histogram.N`
    /// would be one round trip on mongod, but the local MongoDB stand-in
    /// ignores it; the CAS is atomic on both.
    async fn bump(&self, board: &str, t: &Tally) -> Result<(), FnError> {
        for _ in 0..CAS_ATTEMPTS {
            let current = self.boards.find_one(doc! {"_id": board}).await.map_err(classify)?;
            let Some(current) = current else {
                let histogram: Vec<Bson> = t.histogram.iter().map(|n| Bson::Int64(*n)).collect();
                let first = doc! {"_id": board, "attempts": t.attempts, "passes": t.passes,
                                  "percentage_sum": t.percentage_sum, "histogram": histogram};
                match self.boards.insert_one(first).await {
                    Ok(_) => return Ok(()),
                    Err(e) if is_duplicate_key(&e) => continue, // another result created it: count on top
                    Err(e) => return Err(classify(e)),
                }
            };
            let attempts = current.get("attempts").map_or(0, as_i64);
            let mut histogram: Vec<i64> = match current.get_array("histogram") {
                Ok(a) => a.iter().map(as_i64).collect(),
                Err(_) => Vec::new(),
            };
            histogram.resize(HISTOGRAM_BUCKETS.max(histogram.len()), 0);
            for (h, add) in histogram.iter_mut().zip(t.histogram) {
                *h += add;
            }
            let filter = match current.get("attempts") {
                Some(v) => doc! {"_id": board, "attempts": v.clone()},
                None => doc! {"_id": board, "attempts": {"$exists": false}},
            };
            let update = doc! {
                "$set": {"attempts": attempts + t.attempts, "histogram": histogram},
                "$inc": {"passes": t.passes, "percentage_sum": t.percentage_sum},
            };
            let r = self.boards.update_one(filter, update).await.map_err(classify)?;
            if r.matched_count == 1 {
                return Ok(());
            }
        }
        Err(FnError::unavailable(format!("scoreboard {board:?} is too contended; retrying later")))
    }

    /// All best-percentage `$max` upserts in one `update` command. A
    /// duplicate key (two first results of one student racing with another
    /// consumer) re-runs the command once: `$max` is idempotent.
    async fn raise_bests(&self, best: &BTreeMap<(String, String), (u32, f64)>) -> Result<(), FnError> {
        if best.is_empty() {
            return Ok(());
        }
        let updates: Vec<Document> = best
            .iter()
            .map(|((exam, email), (pct, score))| {
                doc! {
                    "q": {"_id.exam": exam, "_id.email": email},
                    "u": {"$max": {"best_percentage": i64::from(*pct), "best_score": *score}},
                    "upsert": true,
                }
            })
            .collect();
        let command = doc! {"update": self.best.name(), "updates": updates, "ordered": false};
        for attempt in 0..2 {
            let reply = self.db.run_command(command.clone()).await.map_err(classify)?;
            let errors = match reply.get_array("writeErrors") {
                Ok(errors) => errors,
                Err(_) => return Ok(()),
            };
            let codes: Vec<i64> =
                errors.iter().map(|e| e.as_document().and_then(|d| d.get("code")).map_or(0, as_i64)).collect();
            if codes.iter().all(|c| *c == 11000) && attempt == 0 {
                continue;
            }
            return Err(FnError::unavailable(format!(
                "scoreboard_best: {} of {} upserts failed (codes {codes:?})",
                codes.len(),
                best.len()
            )));
        }
        Ok(())
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
        let t = Tally::of(s);
        self.bump(&s.exam, &t).await?;
        self.bump(OVERALL, &t).await?;
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

    /// One `insert_many` (unordered); the duplicate-key write errors name
    /// the ids claimed before, whose states one `find` reads.
    async fn claim_many(&self, items: &[(&str, &ResultSummary)]) -> Result<Vec<Claim>, FnError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let now = DateTime::now();
        let records: Vec<Document> = items
            .iter()
            .map(|(id, s)| {
                let mut record = doc! {"_id": *id, "state": "sending", "at": now, "exam": &s.exam};
                if let Some(e) = &s.email {
                    record.insert("email", e);
                }
                record
            })
            .collect();
        let mut claims = vec![Claim::New; items.len()];
        let existing: Vec<usize> = match self.processed.insert_many(records).ordered(false).await {
            Ok(_) => return Ok(claims),
            Err(e) => match &*e.kind {
                ErrorKind::InsertMany(m)
                    if m.write_concern_error.is_none()
                        && m.write_errors.as_ref().is_some_and(|w| w.iter().all(|w| w.code == 11000)) =>
                {
                    m.write_errors.iter().flatten().map(|w| w.index).collect()
                }
                _ => return Err(classify(e)),
            },
        };
        let ids: Vec<&str> = existing.iter().filter_map(|i| items.get(*i).map(|(id, _)| *id)).collect();
        let mut states: HashMap<String, bool> = HashMap::with_capacity(ids.len());
        let mut cursor = self
            .processed
            .find(doc! {"_id": {"$in": &ids}})
            .projection(doc! {"state": 1})
            .await
            .map_err(classify)?;
        while cursor.advance().await.map_err(classify)? {
            let d = cursor.deserialize_current().map_err(classify)?;
            if let Ok(id) = d.get_str("_id") {
                states.insert(id.to_string(), d.get_str("state").ok() == Some("sent"));
            }
        }
        for i in existing {
            let id = items.get(i).map_or("", |(id, _)| *id);
            claims[i] = match states.get(id) {
                Some(true) => Claim::Sent,
                Some(false) => Claim::Pending,
                // Deleted between the insert and the read: try again.
                None => return Err(FnError::unavailable(format!("processed record of {id} changed concurrently"))),
            };
        }
        Ok(claims)
    }

    /// One compare-and-set per distinct board (concurrently), then one
    /// `update` command with every best upsert.
    async fn count_many(&self, summaries: &[&ResultSummary]) -> Result<(), FnError> {
        if summaries.is_empty() {
            return Ok(());
        }
        let boards = tallies(summaries.iter().copied());
        futures::future::try_join_all(boards.iter().map(|(board, t)| self.bump(board, t))).await?;
        self.raise_bests(&bests(summaries.iter().copied())).await
    }

    async fn mark_sent_many(&self, ids: &[&str]) -> Result<(), FnError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.processed
            .update_many(doc! {"_id": {"$in": ids}}, doc! {"$set": {"state": "sent", "sent_at": DateTime::now()}})
            .await
            .map_err(classify)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(exam: &str, email: Option<&str>, percentage: u32, score: f64) -> ResultSummary {
        ResultSummary { exam: exam.into(), email: email.map(str::to_string), score, percentage, passed: percentage >= 50 }
    }

    #[test]
    fn tallies_aggregate_per_exam_and_overall() {
        let s = [summary("a.json", None, 100, 3.0), summary("a.json", None, 40, 1.0), summary("b.json", None, 55, 2.0)];
        let t = tallies(s.iter());
        assert_eq!(t.keys().map(String::as_str).collect::<Vec<_>>(), vec![OVERALL, "a.json", "b.json"]);
        let a = &t["a.json"];
        assert_eq!((a.attempts, a.passes, a.percentage_sum), (2, 1, 140));
        assert_eq!((a.histogram[10], a.histogram[4], a.histogram.iter().sum::<i64>()), (1, 1, 2));
        let all = &t[OVERALL];
        assert_eq!((all.attempts, all.passes, all.percentage_sum, all.histogram[5]), (3, 2, 195, 1));
        assert_eq!(Tally::of(&s[2]), t["b.json"]);
    }

    #[test]
    fn bests_keep_the_maximum_of_each_field_per_student_and_exam() {
        let s = [
            summary("a.json", Some("x@y"), 40, 4.0),
            summary("a.json", Some("x@y"), 80, 2.0),
            summary("b.json", Some("x@y"), 10, 1.0),
            summary("a.json", None, 100, 9.0),
        ];
        let b = bests(s.iter());
        assert_eq!(b.len(), 2);
        assert_eq!(b[&("a.json".to_string(), "x@y".to_string())], (80, 4.0));
        assert_eq!(b[&("b.json".to_string(), "x@y".to_string())], (10, 1.0));
    }
}
