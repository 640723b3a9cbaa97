//! `dlq`: inspect a dead-letter topic and replay its records after a fix.
//!
//! `cargo run -- dlq email-topic` lists what `email-topic.dlq` holds (reason,
//! status, original coordinates, the start of the value). With `--replay`,
//! each record not replayed before is produced again to the topic it came
//! from — key, value and original headers, without the `dlq_*` ones — and the
//! replay position is committed under the consumer group
//! `examfn-dlq-replay`, so a second `--replay` sends only newer records.
//! The functions are idempotent, so a replayed record that had in fact been
//! handled does no harm.

use std::time::Duration;

use anyhow::{Context, Result};
use examfn_runtime::kafka::Emitter;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

pub const REPLAY_GROUP: &str = "examfn-dlq-replay";

pub async fn run(brokers: &str, topic: &str, replay: bool) -> Result<()> {
    let dlq = if topic.ends_with(".dlq") { topic.to_string() } else { format!("{topic}.dlq") };
    let group = if replay { REPLAY_GROUP.to_string() } else { format!("examfn-dlq-view-{}", uuid::Uuid::new_v4().simple()) };
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    let md = consumer.fetch_metadata(Some(&dlq), Duration::from_secs(5)).context("reading topic metadata")?;
    let partitions = md.topics().iter().find(|t| t.name() == dlq).map_or(0, |t| t.partitions().len());
    anyhow::ensure!(partitions > 0, "topic {dlq} does not exist");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions as i32 {
        // The viewer reads from the start; the replayer from where it stopped last.
        tpl.add_partition_offset(&dlq, p, if replay { Offset::Stored } else { Offset::Beginning })?;
    }
    consumer.assign(&tpl)?;
    let emitter = Emitter::new(brokers)?;
    let (mut seen, mut replayed) = (0usize, 0usize);
    // Read until the topic has been quiet for 2 s.
    while let Ok(msg) = tokio::time::timeout(Duration::from_secs(2), consumer.recv()).await {
        let m = msg?;
        seen += 1;
        let headers: Vec<(String, Vec<u8>)> = m
            .headers()
            .map(|hs| hs.iter().map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec())).collect())
            .unwrap_or_default();
        let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).into_owned()).unwrap_or_default();
        let value = m.payload().map(|v| String::from_utf8_lossy(v).chars().take(120).collect::<String>()).unwrap_or_else(|| "<tombstone>".into());
        println!(
            "{}#{} {} ({} {}) from {}[{}]@{} after {} attempt(s): {}\n    value: {}",
            m.partition(),
            m.offset(),
            get("dlq_time"),
            get("dlq_status"),
            get("dlq_kind"),
            get("dlq_topic"),
            get("dlq_partition"),
            get("dlq_offset"),
            get("dlq_attempts"),
            get("dlq_error"),
            value
        );
        if replay {
            let original = get("dlq_topic");
            anyhow::ensure!(!original.is_empty(), "record {}#{} has no dlq_topic header", m.partition(), m.offset());
            let keep: Vec<(String, Vec<u8>)> = headers.into_iter().filter(|(k, _)| !k.starts_with("dlq_")).collect();
            emitter.send(&original, m.key(), m.payload(), &keep).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            consumer.store_offset(&dlq, m.partition(), m.offset())?;
            consumer.commit_consumer_state(CommitMode::Sync)?;
            replayed += 1;
        }
    }
    if replay {
        println!("{replayed} record(s) replayed from {dlq}");
    } else {
        println!("{seen} record(s) in {dlq}; `--replay` sends the ones not replayed before back to their topic");
    }
    Ok(())
}
