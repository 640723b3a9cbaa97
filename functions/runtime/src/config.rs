//! Configuration from the environment, read once at start-up and validated.
//!
//! Every variable a function reads goes through [`Env`]'s methods
//! (`env.required("NAME")`, `env.parse_or("NAME", default)`, ...). The
//! deployment check scans the sources for those calls to prove that every
//! variable the code reads is set on the Knative Service, so keep the name a
//! string literal at the call site.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// A configuration problem, naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is required but not set{hint}")]
    Missing { name: String, hint: String },
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Invalid { name: String, value: String, reason: String },
}

impl ConfigError {
    pub fn invalid(name: &str, value: impl Into<String>, reason: impl Display) -> Self {
        Self::Invalid { name: name.to_string(), value: value.into(), reason: reason.to_string() }
    }
}

/// A snapshot of the environment. Handlers never read the environment: the
/// binary reads its typed config from this once.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self { vars: std::env::vars().collect() }
    }

    /// An explicit environment (tests, the local platform).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A variable that must be set (non-empty).
    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.get(name).map(str::to_string).ok_or_else(|| ConfigError::Missing {
            name: name.to_string(),
            hint: String::new(),
        })
    }

    /// A credential that must be set. In the cluster it comes from a Secret;
    /// its value is never logged.
    pub fn secret(&self, name: &str) -> Result<String, ConfigError> {
        self.get(name).map(str::to_string).ok_or_else(|| ConfigError::Missing {
            name: name.to_string(),
            hint: " (a credential: set it from a Secret)".to_string(),
        })
    }

    /// An optional credential.
    pub fn secret_optional(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }

    /// An optional variable.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }

    /// A string with a default.
    pub fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_string()
    }

    /// A parsed value with a default; a set but unparsable value is an error.
    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|e| ConfigError::invalid(name, v, e)),
        }
    }

    /// A boolean: `true/false`, `1/0`, `yes/no`, `on/off`.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::invalid(name, v, "expected true or false")),
            },
        }
    }
}

/// How events reach the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Knative: CloudEvents POSTed to the service (KafkaSource, Broker, webhook).
    Http,
    /// The function consumes its topic itself.
    Kafka,
}

impl FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "http" => Ok(Self::Http),
            "kafka" => Ok(Self::Kafka),
            other => Err(format!("unknown transport {other:?}: use http or kafka")),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "pretty" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown log format {other:?}: use text or json")),
        }
    }
}

/// Kafka consumer settings (`FUNC_TRANSPORT=kafka`), named as `func` names them for Go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConsumerConfig {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub dlq_topic: String,
    /// Retries of a retryable failure before the record is dead-lettered.
    pub max_retries: u32,
    pub backoff: Duration,
    pub backoff_max: Duration,
    /// Join the consumer group (`KAFKA_GROUP_SUBSCRIBE=true`) instead of
    /// assigning every partition statically and only committing offsets
    /// under the group id (the default: one consumer per function, as on the
    /// local platform, and safe with brokers whose group coordinator is weak).
    pub subscribe: bool,
    /// Most records handed to [`crate::Handler::handle_batch`] at once
    /// (`KAFKA_BATCH_MAX`): after one record arrives, the consumer takes what
    /// is already fetched, up to this many, without waiting. 1 handles one
    /// record at a time.
    pub batch_max: usize,
    /// Largest record value accepted (`MAX_BODY_BYTES`, the same limit as an
    /// HTTP body): a larger record is dead-lettered as bad input, unread.
    pub max_record_bytes: usize,
}

/// What every function reads: transport, port, limits, logging, Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonConfig {
    pub transport: Transport,
    pub port: u16,
    pub max_body_bytes: usize,
    pub log_format: LogFormat,
    pub log_filter: String,
    /// `KAFKA_BROKERS`: needed by every function that emits, and for the Kafka transport.
    pub kafka_brokers: Option<String>,
    /// Set when `transport` is Kafka.
    pub consumer: Option<KafkaConsumerConfig>,
    /// Tokio worker threads (`FUNC_WORKER_THREADS`): 0 = one per CPU core
    /// (Tokio's default), 1 = a single-threaded (current-thread) runtime.
    pub worker_threads: usize,
    /// How long a client may take to send its request headers
    /// (`HTTP_HEADER_TIMEOUT_MS`); the connection is closed after that.
    pub http_header_timeout: Duration,
    /// How long a client may take to send a request body once its headers
    /// arrived (`HTTP_BODY_TIMEOUT_MS`); 408 after that.
    pub http_body_timeout: Duration,
}

impl CommonConfig {
    /// Read and validate. `default_topic`/`default_group` are the function's
    /// own topic and consumer group, used when `KAFKA_TOPIC`/`KAFKA_CONSUMER_GROUP`
    /// are not set.
    pub fn from_env(env: &Env, default_topic: Option<&str>, default_group: &str) -> Result<Self, ConfigError> {
        let transport: Transport = env.parse_or("FUNC_TRANSPORT", Transport::Http)?;
        let port: u16 = env.parse_or("PORT", 8080u16)?;
        let max_body_bytes: usize = env.parse_or("MAX_BODY_BYTES", 4 * 1024 * 1024usize)?;
        if max_body_bytes == 0 {
            return Err(ConfigError::invalid("MAX_BODY_BYTES", "0", "must be at least 1"));
        }
        let log_format: LogFormat = env.parse_or("LOG_FORMAT", LogFormat::Text)?;
        let log_filter = env.string_or("RUST_LOG", "info");
        let kafka_brokers = env.optional("KAFKA_BROKERS");
        let worker_threads: usize = env.parse_or("FUNC_WORKER_THREADS", 0usize)?;
        let http_header_timeout = Duration::from_millis(env.parse_or("HTTP_HEADER_TIMEOUT_MS", 10_000u64)?);
        let http_body_timeout = Duration::from_millis(env.parse_or("HTTP_BODY_TIMEOUT_MS", 30_000u64)?);
        for (name, d) in [("HTTP_HEADER_TIMEOUT_MS", http_header_timeout), ("HTTP_BODY_TIMEOUT_MS", http_body_timeout)] {
            if d.is_zero() {
                return Err(ConfigError::invalid(name, "0", "must be at least 1"));
            }
        }
        let consumer = match transport {
            Transport::Http => None,
            Transport::Kafka => {
                let brokers = kafka_brokers.clone().ok_or_else(|| ConfigError::Missing {
                    name: "KAFKA_BROKERS".into(),
                    hint: " (FUNC_TRANSPORT=kafka needs the bootstrap servers)".into(),
                })?;
                let topic = match env.optional("KAFKA_TOPIC") {
                    Some(t) => t,
                    None => default_topic.map(str::to_string).ok_or_else(|| ConfigError::Missing {
                        name: "KAFKA_TOPIC".into(),
                        hint: " (FUNC_TRANSPORT=kafka needs the topic to consume)".into(),
                    })?,
                };
                let group = env.string_or("KAFKA_CONSUMER_GROUP", default_group);
                let dlq_topic = env.string_or("KAFKA_DLQ_TOPIC", &format!("{topic}.dlq"));
                if dlq_topic == topic {
                    return Err(ConfigError::invalid("KAFKA_DLQ_TOPIC", dlq_topic, "must differ from KAFKA_TOPIC"));
                }
                let max_retries = env.parse_or("KAFKA_MAX_RETRIES", 5u32)?;
                let backoff = Duration::from_millis(env.parse_or("KAFKA_RETRY_BACKOFF_MS", 200u64)?);
                let backoff_max = Duration::from_millis(env.parse_or("KAFKA_RETRY_BACKOFF_MAX_MS", 10_000u64)?);
                if backoff > backoff_max {
                    return Err(ConfigError::invalid(
                        "KAFKA_RETRY_BACKOFF_MS",
                        backoff.as_millis().to_string(),
                        "must not exceed KAFKA_RETRY_BACKOFF_MAX_MS",
                    ));
                }
                let subscribe = env.flag("KAFKA_GROUP_SUBSCRIBE", false)?;
                let batch_max = env.parse_or("KAFKA_BATCH_MAX", 500usize)?;
                if batch_max == 0 {
                    return Err(ConfigError::invalid("KAFKA_BATCH_MAX", "0", "must be at least 1"));
                }
                Some(KafkaConsumerConfig {
                    brokers,
                    topic,
                    group,
                    dlq_topic,
                    max_retries,
                    backoff,
                    backoff_max,
                    subscribe,
                    batch_max,
                    max_record_bytes: max_body_bytes,
                })
            }
        };
        Ok(Self {
            transport,
            port,
            max_body_bytes,
            log_format,
            log_filter,
            kafka_brokers,
            consumer,
            worker_threads,
            http_header_timeout,
            http_body_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_http_on_8080() {
        let c = CommonConfig::from_env(&Env::default(), Some("t"), "g").unwrap();
        assert_eq!(c.transport, Transport::Http);
        assert_eq!(c.port, 8080);
        assert_eq!(c.max_body_bytes, 4 * 1024 * 1024);
        assert!(c.consumer.is_none());
        assert_eq!(c.worker_threads, 0);
        assert_eq!(c.http_header_timeout, Duration::from_secs(10));
        assert_eq!(c.http_body_timeout, Duration::from_secs(30));
        let env = Env::from_pairs([("FUNC_WORKER_THREADS", "1"), ("HTTP_HEADER_TIMEOUT_MS", "250"), ("HTTP_BODY_TIMEOUT_MS", "500")]);
        let c = CommonConfig::from_env(&env, None, "g").unwrap();
        assert_eq!((c.worker_threads, c.http_header_timeout, c.http_body_timeout), (1, Duration::from_millis(250), Duration::from_millis(500)));
        let env = Env::from_pairs([("HTTP_BODY_TIMEOUT_MS", "0")]);
        assert!(CommonConfig::from_env(&env, None, "g").unwrap_err().to_string().contains("HTTP_BODY_TIMEOUT_MS"));
    }

    #[test]
    fn kafka_transport_needs_brokers_and_names_the_variable() {
        let env = Env::from_pairs([("FUNC_TRANSPORT", "kafka")]);
        let err = CommonConfig::from_env(&env, Some("t"), "g").unwrap_err();
        assert!(err.to_string().contains("KAFKA_BROKERS"), "{err}");
    }

    #[test]
    fn kafka_transport_defaults_dlq_to_topic_dot_dlq() {
        let env = Env::from_pairs([("FUNC_TRANSPORT", "kafka"), ("KAFKA_BROKERS", "127.0.0.1:9092")]);
        let c = CommonConfig::from_env(&env, Some("email-topic"), "email").unwrap();
        let k = c.consumer.unwrap();
        assert_eq!(k.topic, "email-topic");
        assert_eq!(k.dlq_topic, "email-topic.dlq");
        assert_eq!(k.group, "email");
        assert_eq!(k.max_retries, 5);
        assert_eq!(k.batch_max, 500);
    }

    #[test]
    fn batch_max_is_read_and_must_be_positive() {
        let base = [("FUNC_TRANSPORT", "kafka"), ("KAFKA_BROKERS", "127.0.0.1:9092")];
        let env = Env::from_pairs(base.into_iter().chain([("KAFKA_BATCH_MAX", "1")]));
        assert_eq!(CommonConfig::from_env(&env, Some("t"), "g").unwrap().consumer.unwrap().batch_max, 1);
        let env = Env::from_pairs(base.into_iter().chain([("KAFKA_BATCH_MAX", "0")]));
        assert!(CommonConfig::from_env(&env, Some("t"), "g").unwrap_err().to_string().contains("KAFKA_BATCH_MAX"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let env = Env::from_pairs([("PORT", "eighty")]);
        let err = CommonConfig::from_env(&env, None, "g").unwrap_err();
        assert!(err.to_string().contains("PORT=\"eighty\""), "{err}");
        let env = Env::from_pairs([("FUNC_TRANSPORT", "carrier-pigeon")]);
        assert!(CommonConfig::from_env(&env, None, "g").unwrap_err().to_string().contains("FUNC_TRANSPORT"));
        let env = Env::from_pairs([("X", "maybe")]);
        assert!(env.flag("X", false).is_err());
        assert_eq!(Env::from_pairs([("X", " ")]).optional("X"), None);
    }
}
