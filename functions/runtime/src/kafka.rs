//! The Kafka transport and the producer helper.
//!
//! Consuming: records are handled one at a time in the order they arrive, so
//! order is kept per partition. An offset is *stored* only after its record was
//! handled (or dead-lettered), and librdkafka commits stored offsets in the
//! background and once more, synchronously, on shutdown — at-least-once
//! delivery: a crash redelivers, never skips. Retryable failures are retried
//! with exponential backoff up to `KAFKA_MAX_RETRIES`; a record that still
//! fails, or fails permanently, is written to the dead-letter topic with the
//! reason and its original coordinates before its offset is stored. If even
//! the dead-letter write fails, the offset is not stored and the write is
//! retried: nothing accepted is dropped.

use std::sync::Arc;
use std::time::Duration;

use cloudevents::Event;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use tokio::sync::watch;

use crate::config::KafkaConsumerConfig;
use crate::event::{self, KafkaRecord};
use crate::handler::Handler;
use crate::http::dispatch;
use crate::metrics::Metrics;
use crate::FnError;

/// Namespace a local KafkaSource-like source reports in `source`.
pub const LOCAL_NAMESPACE: &str = "local";

/// A Kafka client failure at start-up.
#[derive(Debug, thiserror::Error)]
#[error("kafka: {0}")]
pub struct KafkaSetupError(#[from] rdkafka::error::KafkaError);

/// Publishes records and CloudEvents, confirming delivery before returning.
#[derive(Clone)]
pub struct Emitter {
    producer: FutureProducer,
    timeout: Duration,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter").finish_non_exhaustive()
    }
}

impl Emitter {
    /// A producer for `brokers`. No connection is made until the first send.
    pub fn new(brokers: &str) -> Result<Self, KafkaSetupError> {
        let producer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("message.timeout.ms", "15000")
            .set("acks", "all")
            .set("linger.ms", "1")
            .set("enable.idempotence", "false")
            .create()?;
        Ok(Self { producer, timeout: Duration::from_secs(15) })
    }

    /// Publish an event in binary mode (`ce_*` headers), keyed.
    pub async fn emit(&self, topic: &str, key: &str, ev: &Event) -> Result<(), FnError> {
        let (headers, value) = event::to_kafka(ev);
        self.send(topic, Some(key.as_bytes()), value.as_deref(), &headers).await
    }

    /// Publish a raw record and wait for the broker's acknowledgement.
    /// Failure is [`FnError::Unavailable`]: the caller's work is retried.
    pub async fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(String, Vec<u8>)],
    ) -> Result<(), FnError> {
        let mut h = OwnedHeaders::new_with_capacity(headers.len());
        for (k, v) in headers {
            h = h.insert(Header { key: k, value: Some(v.as_slice()) });
        }
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(h);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(v) = value {
            record = record.payload(v);
        }
        match self.producer.send(record, Timeout::After(self.timeout)).await {
            Ok(_) => Ok(()),
            Err((e, _)) => Err(FnError::unavailable(format!("producing to {topic} failed: {e}"))),
        }
    }
}

fn owned_record(msg: &impl Message) -> KafkaRecord {
    let headers = msg
        .headers()
        .map(|hs| hs.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec))).collect())
        .unwrap_or_default();
    KafkaRecord {
        topic: msg.topic().to_string(),
        partition: msg.partition(),
        offset: msg.offset(),
        key: msg.key().map(<[u8]>::to_vec),
        value: msg.payload().map(<[u8]>::to_vec),
        headers,
        timestamp_ms: msg.timestamp().to_millis(),
    }
}

/// Create topics that do not exist yet (the broker does not auto-create).
/// Existing topics are left as they are.
pub async fn ensure_topics(brokers: &str, names: &[&str], partitions: i32) -> Result<(), FnError> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::types::RDKafkaErrorCode;
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| FnError::unavailable(format!("kafka admin client: {e}")))?;
    let topics: Vec<NewTopic<'_>> =
        names.iter().map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1))).collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(&topics, &opts)
        .await
        .map_err(|e| FnError::unavailable(format!("creating topics: {e}")))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(FnError::unavailable(format!("cannot create topic {name}: {code:?}"))),
        }
    }
    Ok(())
}

/// Exponential backoff for attempt `n` (1-based), capped.
pub fn backoff(base: Duration, max: Duration, n: u32) -> Duration {
    let factor = 2u32.saturating_pow(n.saturating_sub(1).min(20));
    base.saturating_mul(factor).min(max)
}

/// The headers a dead-lettered record carries besides its own.
pub fn dlq_headers(rec: &KafkaRecord, function: &str, err: &FnError, attempts: u32) -> Vec<(String, Vec<u8>)> {
    let mut h: Vec<(String, Vec<u8>)> = rec
        .headers
        .iter()
        .filter(|(k, _)| !k.starts_with("dlq_"))
        .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
        .collect();
    let mut add = |k: &str, v: String| h.push((k.to_string(), v.into_bytes()));
    add("dlq_error", err.message().to_string());
    add("dlq_kind", err.kind().to_string());
    add("dlq_status", err.status().as_u16().to_string());
    add("dlq_topic", rec.topic.clone());
    add("dlq_partition", rec.partition.to_string());
    add("dlq_offset", rec.offset.to_string());
    add("dlq_attempts", attempts.to_string());
    add("dlq_function", function.to_string());
    add("dlq_time", chrono::Utc::now().to_rfc3339());
    h
}

enum Done {
    Handled,
    Stopped,
}

async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    }
}

/// Consume `cfg.topic` until `stop` turns true.
pub async fn consume<H: Handler>(
    cfg: &KafkaConsumerConfig,
    function: &str,
    handler: Arc<H>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), KafkaSetupError> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &cfg.brokers)
        .set("group.id", &cfg.group)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "500")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("max.poll.interval.ms", "600000")
        // The local broker (tansu) answers an empty fetch only when the wait
        // expires, not when a record arrives: a short wait keeps the
        // insert-to-email path fast at the cost of a few idle fetches.
        .set("fetch.wait.max.ms", "20")
        .create()?;
    if cfg.subscribe {
        consumer.subscribe(&[&cfg.topic])?;
    } else if !assign_all(&consumer, &cfg.topic, &mut stop).await? {
        return Ok(());
    }
    let dlq = Emitter::new(&cfg.brokers)?;
    tracing::info!(topic = %cfg.topic, group = %cfg.group, dlq = %cfg.dlq_topic, subscribe = cfg.subscribe, "consuming");

    loop {
        let msg = tokio::select! {
            m = consumer.recv() => m,
            _ = stop.wait_for(|s| *s) => break,
        };
        let rec = match msg {
            Ok(m) => owned_record(&m),
            Err(e) => {
                tracing::warn!(error = %e, "kafka receive failed; retrying");
                if sleep_or_stop(Duration::from_millis(500), &mut stop).await {
                    break;
                }
                continue;
            }
        };
        match process(cfg, function, &*handler, &metrics, &dlq, &rec, &mut stop).await {
            Done::Handled => {
                if let Err(e) = consumer.store_offset(&rec.topic, rec.partition, rec.offset) {
                    // A rebalance took the partition away: the next owner redelivers it.
                    tracing::warn!(error = %e, partition = rec.partition, offset = rec.offset, "cannot store offset");
                }
            }
            Done::Stopped => break,
        }
    }
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => tracing::info!("offsets committed; consumer stopped"),
        Err(e) => tracing::info!(error = %e, "final commit skipped; consumer stopped"),
    }
    Ok(())
}

/// Static assignment of every partition of `topic`, each starting at the
/// group's committed offset (earliest when none). No group membership: the
/// local broker's group coordinator (tansu 0.6) crashes when a member's
/// connection drops mid-rebalance, e.g. when a function is SIGKILLed, while
/// plain offset commits and fetches work. Returns false when stopped first.
async fn assign_all(consumer: &StreamConsumer, topic: &str, stop: &mut watch::Receiver<bool>) -> Result<bool, KafkaSetupError> {
    use rdkafka::{Offset, TopicPartitionList};
    let mut n = 0u32;
    let partitions = loop {
        match consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) {
            Ok(md) => {
                let count = md.topics().iter().find(|t| t.name() == topic).map_or(0, |t| t.partitions().len());
                if count > 0 {
                    break count;
                }
                tracing::warn!(%topic, "topic has no partitions yet (does it exist?); waiting");
            }
            Err(e) => tracing::warn!(error = %e, %topic, "cannot read topic metadata; waiting"),
        }
        n += 1;
        if sleep_or_stop(backoff(Duration::from_millis(200), Duration::from_secs(5), n), stop).await {
            return Ok(false);
        }
    };
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions as i32 {
        tpl.add_partition_offset(topic, p, Offset::Stored)?;
    }
    consumer.assign(&tpl)?;
    Ok(true)
}

async fn process<H: Handler>(
    cfg: &KafkaConsumerConfig,
    function: &str,
    handler: &H,
    metrics: &Metrics,
    dlq: &Emitter,
    rec: &KafkaRecord,
    stop: &mut watch::Receiver<bool>,
) -> Done {
    let (err, attempts) = match event::from_kafka(rec, LOCAL_NAMESPACE, &cfg.group) {
        Err(e) => {
            metrics.observe(e.kind(), Duration::ZERO);
            tracing::warn!(error = %e.message(), partition = rec.partition, offset = rec.offset, "not a usable record");
            (e, 0)
        }
        Ok(ev) => {
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                match dispatch(handler, metrics, ev.clone()).await {
                    Ok(_) => return Done::Handled,
                    Err(e) if e.is_retryable() && attempt <= cfg.max_retries => {
                        metrics.retry();
                        let wait = backoff(cfg.backoff, cfg.backoff_max, attempt);
                        tracing::info!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
                        if sleep_or_stop(wait, stop).await {
                            return Done::Stopped;
                        }
                    }
                    Err(e) => break (e, attempt),
                }
            }
        }
    };
    let headers = dlq_headers(rec, function, &err, attempts);
    let mut n = 0u32;
    loop {
        match dlq.send(&cfg.dlq_topic, rec.key.as_deref(), rec.value.as_deref(), &headers).await {
            Ok(()) => {
                metrics.dead_lettered();
                tracing::warn!(dlq = %cfg.dlq_topic, partition = rec.partition, offset = rec.offset,
                    kind = err.kind(), error = %err.message(), "dead-lettered");
                return Done::Handled;
            }
            Err(e) => {
                n += 1;
                tracing::error!(error = %e, "dead-letter write failed; the record is kept and retried");
                if sleep_or_stop(backoff(cfg.backoff, cfg.backoff_max, n), stop).await {
                    return Done::Stopped;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_millis(100);
        let m = Duration::from_millis(1000);
        assert_eq!(backoff(b, m, 1), Duration::from_millis(100));
        assert_eq!(backoff(b, m, 2), Duration::from_millis(200));
        assert_eq!(backoff(b, m, 4), Duration::from_millis(800));
        assert_eq!(backoff(b, m, 5), m);
        assert_eq!(backoff(b, m, 500), m);
    }

    #[test]
    fn dlq_headers_keep_originals_and_name_the_failure() {
        let rec = KafkaRecord {
            topic: "email-topic".into(),
            partition: 1,
            offset: 7,
            headers: vec![("ce_id".into(), Some(b"x".to_vec()))],
            ..Default::default()
        };
        let h = dlq_headers(&rec, "email", &FnError::permanent("no such exam"), 1);
        let get = |k: &str| h.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        assert_eq!(get("ce_id").as_deref(), Some("x"));
        assert_eq!(get("dlq_error").as_deref(), Some("no such exam"));
        assert_eq!(get("dlq_status").as_deref(), Some("422"));
        assert_eq!(get("dlq_offset").as_deref(), Some("7"));
        assert_eq!(get("dlq_topic").as_deref(), Some("email-topic"));
    }
}
