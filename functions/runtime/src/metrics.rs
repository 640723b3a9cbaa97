//! A small Prometheus-format registry: events handled by outcome, retries,
//! dead-letter writes and a handler latency histogram.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BUCKETS_MS: [f64; 12] = [0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0];
const OUTCOMES: [&str; 5] = ["ok", "skipped", "bad_input", "permanent", "unavailable"];

/// Counters of one function process.
#[derive(Debug)]
pub struct Metrics {
    function: String,
    outcomes: [AtomicU64; 5],
    retries: AtomicU64,
    dlq_writes: AtomicU64,
    buckets: [AtomicU64; 12],
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
}

impl Metrics {
    pub fn new(function: &str) -> Self {
        Self {
            function: function.to_string(),
            outcomes: Default::default(),
            retries: AtomicU64::new(0),
            dlq_writes: AtomicU64::new(0),
            buckets: Default::default(),
            latency_sum_us: AtomicU64::new(0),
            latency_count: AtomicU64::new(0),
        }
    }

    /// Record one handler call: `outcome` is `ok`, `skipped` or an error kind.
    pub fn observe(&self, outcome: &str, took: Duration) {
        if let Some(i) = OUTCOMES.iter().position(|o| *o == outcome) {
            self.outcomes[i].fetch_add(1, Ordering::Relaxed);
        }
        let ms = took.as_secs_f64() * 1000.0;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_sum_us.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dead_lettered(&self) {
        self.dlq_writes.fetch_add(1, Ordering::Relaxed);
    }

    /// Count of handled events with this outcome.
    pub fn count(&self, outcome: &str) -> u64 {
        OUTCOMES.iter().position(|o| *o == outcome).map_or(0, |i| self.outcomes[i].load(Ordering::Relaxed))
    }

    pub fn dlq_count(&self) -> u64 {
        self.dlq_writes.load(Ordering::Relaxed)
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let f = &self.function;
        let mut s = String::new();
        s.push_str("# HELP examfn_events_total Events handled, by outcome.\n# TYPE examfn_events_total counter\n");
        for (i, o) in OUTCOMES.iter().enumerate() {
            let _ = writeln!(s, "examfn_events_total{{function=\"{f}\",outcome=\"{o}\"}} {}", self.outcomes[i].load(Ordering::Relaxed));
        }
        s.push_str("# HELP examfn_retries_total Handler retries after a retryable failure.\n# TYPE examfn_retries_total counter\n");
        let _ = writeln!(s, "examfn_retries_total{{function=\"{f}\"}} {}", self.retries.load(Ordering::Relaxed));
        s.push_str("# HELP examfn_dlq_writes_total Records written to the dead-letter topic.\n# TYPE examfn_dlq_writes_total counter\n");
        let _ = writeln!(s, "examfn_dlq_writes_total{{function=\"{f}\"}} {}", self.dlq_writes.load(Ordering::Relaxed));
        s.push_str("# HELP examfn_handler_seconds Handler latency.\n# TYPE examfn_handler_seconds histogram\n");
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            let _ = writeln!(
                s,
                "examfn_handler_seconds_bucket{{function=\"{f}\",le=\"{}\"}} {}",
                b / 1000.0,
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(s, "examfn_handler_seconds_bucket{{function=\"{f}\",le=\"+Inf\"}} {count}");
        let _ = writeln!(
            s,
            "examfn_handler_seconds_sum{{function=\"{f}\"}} {}",
            self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "examfn_handler_seconds_count{{function=\"{f}\"}} {count}");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::new("email");
        m.observe("ok", Duration::from_millis(3));
        m.observe("unavailable", Duration::from_millis(30));
        m.dead_lettered();
        let text = m.render();
        assert!(text.contains("examfn_events_total{function=\"email\",outcome=\"ok\"} 1"));
        assert!(text.contains("examfn_events_total{function=\"email\",outcome=\"unavailable\"} 1"));
        assert!(text.contains("examfn_dlq_writes_total{function=\"email\"} 1"));
        assert!(text.contains("examfn_handler_seconds_bucket{function=\"email\",le=\"0.005\"} 1"));
        assert!(text.contains("examfn_handler_seconds_bucket{function=\"email\",le=\"0.05\"} 2"));
        assert!(text.contains("examfn_handler_seconds_count{function=\"email\"} 2"));
    }
}
