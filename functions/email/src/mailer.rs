//! Delivery providers: SMTP (`lettre`) and the Mailgun HTTP API (`reqwest`).
//! Every answer is checked and classified once:
//!
//! | answer                                   | result                          |
//! |------------------------------------------|---------------------------------|
//! | 2xx / SMTP 250                           | sent                            |
//! | HTTP 4xx except 429, SMTP 5xx            | `FnError::Permanent` (DLQ), with the provider's message |
//! | HTTP 429 / 5xx, SMTP 4xx, timeouts, connection or TLS errors | `FnError::Unavailable` (retried with backoff) |

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use examfn_runtime::config::ConfigError;
use examfn_runtime::FnError;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::net::TcpStream;

use crate::config::{MailgunConfig, ProviderConfig, SmtpConfig, SmtpTls};

/// Who a message is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressing {
    /// One visible recipient.
    To(String),
    /// Several recipients, none of whom sees the others.
    Bcc(Vec<String>),
}

impl Addressing {
    pub fn recipients(&self) -> Vec<&str> {
        match self {
            Self::To(a) => vec![a.as_str()],
            Self::Bcc(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A fully rendered message, ready for a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// `EMAIL_FROM` (`Name <addr>`).
    pub from: String,
    pub to: Addressing,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// RFC 5322 `Message-ID`, with angle brackets; deterministic, so a resend
    /// after a crash carries the same id.
    pub message_id: String,
    /// The examfn message id (`exam-ready:…`, `score-card:…`).
    pub examfn_id: String,
    /// Unsubscribe URL for `List-Unsubscribe`.
    pub unsubscribe_url: String,
    /// Whether the URL unsubscribes by itself (RFC 8058 one-click): true for
    /// signed per-recipient links.
    pub one_click: bool,
}

/// What the provider said when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Mailgun's message id, or the SMTP server's final reply.
    pub provider_reply: String,
}

/// The configured provider.
#[derive(Clone)]
pub enum Mailer {
    Smtp(SmtpMailer),
    Mailgun(MailgunMailer),
}

impl Mailer {
    pub fn from_config(cfg: &ProviderConfig) -> Result<Self, ConfigError> {
        Ok(match cfg {
            ProviderConfig::Smtp(s) => Self::Smtp(SmtpMailer::new(s)?),
            ProviderConfig::Mailgun(m) => Self::Mailgun(MailgunMailer::new(m)?),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "smtp",
            Self::Mailgun(_) => "mailgun",
        }
    }

    pub async fn send(&self, mail: &Outgoing) -> Result<Accepted, FnError> {
        match self {
            Self::Smtp(s) => s.send(mail).await,
            Self::Mailgun(m) => m.send(mail).await,
        }
    }
}

// ---------------------------------------------------------------- SMTP

/// SMTP through `lettre`, with a connection pool.
///
/// Plain and STARTTLS connections are opened by us with `TCP_NODELAY` and kept
/// in a small pool of our own: lettre writes a message body and its final
/// `.` in two writes, and without `TCP_NODELAY` the second one waits for the
/// server's delayed ACK (about 40 ms per message on Linux). Implicit TLS
/// (`SMTP_TLS=tls`) uses lettre's own pooled transport.
#[derive(Clone)]
pub struct SmtpMailer {
    inner: Arc<SmtpInner>,
    endpoint: String,
}

enum SmtpInner {
    Pool(ConnectionPool),
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

/// Idle connections older than this are checked with `NOOP` before reuse
/// (servers drop idle clients after a while).
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(5);
/// Idle connections older than this are closed instead of reused.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// Connections kept idle at most.
const POOL_SIZE: usize = 8;

struct ConnectionPool {
    host: String,
    port: u16,
    starttls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl ConnectionPool {
    async fn open(&self) -> Result<AsyncSmtpConnection, PoolError> {
        let addr = (self.host.as_str(), self.port);
        let tcp = match tokio::time::timeout(self.timeout, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => return Err(connect_error(e)),
            Err(_) => return Err(connect_error(format!("connect timed out after {:?}", self.timeout))),
        };
        tcp.set_nodelay(true).map_err(connect_error)?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?;
        if let Some(params) = &self.starttls {
            conn.starttls(params.clone(), &self.hello).await?;
            if !conn.is_encrypted() {
                conn.abort().await;
                return Err(connect_error("the server does not offer STARTTLS (SMTP_TLS=starttls)"));
            }
        }
        if let Some(c) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, c).await?;
        }
        Ok(conn)
    }

    /// A usable connection: a recent idle one, an older idle one that still
    /// answers `NOOP`, or a new one.
    async fn take(&self) -> Result<AsyncSmtpConnection, PoolError> {
        loop {
            let next = self.idle.lock().expect("pool lock").pop();
            let Some((mut conn, since)) = next else { break };
            let age = since.elapsed();
            if age > MAX_IDLE {
                conn.abort().await;
                continue;
            }
            if age < CHECK_IDLE_AFTER || conn.test_connected().await {
                return Ok(conn);
            }
            conn.abort().await;
        }
        self.open().await
    }

    async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<Response, PoolError> {
        let mut conn = self.take().await?;
        let sent = tokio::time::timeout(self.timeout, conn.send(envelope, bytes)).await;
        let result = match sent {
            Ok(r) => r.map_err(PoolError::from),
            Err(_) => {
                conn.abort().await;
                return Err(connect_error(format!("the SMTP exchange timed out after {:?}", self.timeout)));
            }
        };
        if result.is_ok() && !conn.has_broken() {
            let mut idle = self.idle.lock().expect("pool lock");
            if idle.len() < POOL_SIZE {
                idle.push((conn, Instant::now()));
                return result;
            }
        }
        conn.abort().await;
        result
    }
}

/// What the pool reports: lettre's classified errors, or our own connection
/// trouble (always transient: retried).
enum PoolError {
    Smtp(lettre::transport::smtp::Error),
    Connect(String),
}

impl From<lettre::transport::smtp::Error> for PoolError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Self::Smtp(e)
    }
}

fn connect_error(e: impl std::fmt::Display) -> PoolError {
    PoolError::Connect(e.to_string())
}

impl SmtpMailer {
    pub fn new(cfg: &SmtpConfig) -> Result<Self, ConfigError> {
        let tls_params = || {
            TlsParameters::new(cfg.host.clone())
                .map_err(|e| ConfigError::invalid("SMTP_HOST", cfg.host.clone(), e))
        };
        let credentials = cfg.credentials.as_ref().map(|(u, p)| Credentials::new(u.clone(), p.clone()));
        let inner = match cfg.tls {
            SmtpTls::None | SmtpTls::StartTls => SmtpInner::Pool(ConnectionPool {
                host: cfg.host.clone(),
                port: cfg.port,
                starttls: if cfg.tls == SmtpTls::StartTls { Some(tls_params()?) } else { None },
                credentials,
                timeout: cfg.timeout,
                hello: ClientId::default(),
                idle: Mutex::new(Vec::new()),
            }),
            SmtpTls::Tls => {
                let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.clone())
                    .port(cfg.port)
                    .timeout(Some(cfg.timeout))
                    .pool_config(PoolConfig::new().max_size(POOL_SIZE as u32).idle_timeout(MAX_IDLE))
                    .tls(Tls::Wrapper(tls_params()?));
                if let Some(c) = credentials {
                    b = b.credentials(c);
                }
                SmtpInner::Lettre(b.build())
            }
        };
        Ok(Self { inner: Arc::new(inner), endpoint: format!("{}:{}", cfg.host, cfg.port) })
    }

    /// Build the MIME message (also used by tests and the benchmark).
    pub fn message(mail: &Outgoing) -> Result<lettre::Message, FnError> {
        let from: Mailbox = mail
            .from
            .parse()
            .map_err(|e| FnError::permanent(format!("EMAIL_FROM is not a mailbox: {e}")))?;
        let mut b = lettre::Message::builder()
            .from(from)
            .subject(mail.subject.clone())
            .message_id(Some(mail.message_id.clone()))
            .header(ListUnsubscribe(format!("<{}>", mail.unsubscribe_url)))
            .header(ExamfnMessageId(mail.examfn_id.clone()))
            .user_agent("examfn-email".to_string());
        if mail.one_click {
            b = b.header(ListUnsubscribePost);
        }
        let parse = |a: &str| -> Result<Mailbox, FnError> {
            a.parse()
                .map_err(|e| FnError::bad_input(format!("invalid recipient {a:?}: {e}")))
        };
        match &mail.to {
            Addressing::To(a) => b = b.to(parse(a)?),
            Addressing::Bcc(list) => {
                for a in list {
                    b = b.bcc(parse(a)?);
                }
            }
        }
        let built = match &mail.html {
            Some(html) => b.multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                html.clone(),
            )),
            None => b.header(ContentType::TEXT_PLAIN).body(mail.text.clone()),
        };
        built.map_err(|e| FnError::permanent(format!("cannot build the message: {e}")))
    }

    async fn send(&self, mail: &Outgoing) -> Result<Accepted, FnError> {
        let msg = Self::message(mail)?;
        let sent = match &*self.inner {
            SmtpInner::Pool(pool) => pool.send(msg.envelope(), &msg.formatted()).await,
            SmtpInner::Lettre(transport) => transport.send(msg).await.map_err(PoolError::from),
        };
        match sent {
            Ok(resp) => Ok(Accepted {
                provider_reply: format!(
                    "{} {}",
                    resp.code(),
                    resp.message().collect::<Vec<_>>().join(" ")
                ),
            }),
            Err(PoolError::Smtp(e)) => Err(classify_smtp(&self.endpoint, &e)),
            Err(PoolError::Connect(m)) => Err(FnError::unavailable(format!("smtp server {} unreachable: {m}", self.endpoint))),
        }
    }
}

/// SMTP 5xx is permanent; 4xx, timeouts, connection and TLS trouble are transient.
pub fn classify_smtp(endpoint: &str, e: &lettre::transport::smtp::Error) -> FnError {
    let detail = error_chain(e);
    if e.is_permanent() {
        FnError::permanent(format!(
            "smtp server {endpoint} rejected the message: {detail}"
        ))
    } else if e.is_transient() {
        FnError::unavailable(format!(
            "smtp server {endpoint} deferred the message: {detail}"
        ))
    } else if e.is_client() {
        FnError::permanent(format!("smtp client error: {detail}"))
    } else {
        FnError::unavailable(format!("smtp server {endpoint} unreachable: {detail}"))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let m = inner.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = inner.source();
    }
    s
}

#[derive(Clone)]
struct ListUnsubscribe(String);
impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;
impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

#[derive(Clone)]
struct ExamfnMessageId(String);
impl Header for ExamfnMessageId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Examfn-Message-Id")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

// ---------------------------------------------------------------- Mailgun

/// The Mailgun HTTP API: `POST {base}/v3/{domain}/messages`, basic auth `api:<key>`.
#[derive(Clone)]
pub struct MailgunMailer {
    client: reqwest::Client,
    url: String,
    api_key: String,
}

impl MailgunMailer {
    pub fn new(cfg: &MailgunConfig) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(Duration::from_secs(5))
            .user_agent("examfn-email")
            .build()
            .map_err(|e| ConfigError::invalid("MAILGUN_BASE_URL", cfg.base_url.clone(), e))?;
        Ok(Self {
            client,
            url: format!("{}/v3/{}/messages", cfg.base_url, cfg.domain),
            api_key: cfg.api_key.clone(),
        })
    }

    /// The form fields of a message, as Mailgun documents them.
    pub fn form(mail: &Outgoing) -> Vec<(&'static str, String)> {
        let mut f: Vec<(&'static str, String)> = vec![("from", mail.from.clone())];
        match &mail.to {
            Addressing::To(a) => f.push(("to", a.clone())),
            Addressing::Bcc(list) => {
                // Batch sending: with recipient variables Mailgun sends each
                // address its own copy, so nobody sees the others.
                let mut vars = serde_json::Map::new();
                for a in list {
                    f.push(("to", a.clone()));
                    vars.insert(a.clone(), serde_json::json!({}));
                }
                f.push((
                    "recipient-variables",
                    serde_json::Value::Object(vars).to_string(),
                ));
            }
        }
        f.push(("subject", mail.subject.clone()));
        f.push(("text", mail.text.clone()));
        if let Some(h) = &mail.html {
            f.push(("html", h.clone()));
        }
        f.push(("h:Message-Id", mail.message_id.clone()));
        f.push(("h:List-Unsubscribe", format!("<{}>", mail.unsubscribe_url)));
        if mail.one_click {
            f.push((
                "h:List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ));
        }
        f.push(("v:examfn-message-id", mail.examfn_id.clone()));
        f.push(("o:tag", "examfn".into()));
        f
    }

    async fn send(&self, mail: &Outgoing) -> Result<Accepted, FnError> {
        let resp = self
            .client
            .post(&self.url)
            .basic_auth("api", Some(&self.api_key))
            .form(&Self::form(mail))
            .send()
            .await
            .map_err(|e| {
                let what = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                };
                FnError::unavailable(format!("mailgun {what}: {}", error_chain(&e)))
            })?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        classify_mailgun(status.as_u16(), &body)
    }
}

/// Map a Mailgun answer: 2xx sent, 429 and 5xx retried, any other 4xx permanent.
pub fn classify_mailgun(status: u16, body: &str) -> Result<Accepted, FnError> {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let field = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let message = field("message").unwrap_or_else(|| {
        let t: String = body.trim().chars().take(300).collect();
        if t.is_empty() {
            "(no message)".to_string()
        } else {
            t
        }
    });
    match status {
        200..=299 => Ok(Accepted { provider_reply: field("id").unwrap_or(message) }),
        429 => Err(FnError::unavailable(format!("mailgun rate limit (429): {message}"))),
        500..=599 => Err(FnError::unavailable(format!("mailgun server error ({status}): {message}"))),
        401 | 403 => Err(FnError::permanent(format!(
            "mailgun refused the credentials ({status}): {message} (check MAILGUN_API_KEY and MAILGUN_DOMAIN)"
        ))),
        400..=499 => Err(FnError::permanent(format!("mailgun rejected the message ({status}): {message}"))),
        _ => Err(FnError::unavailable(format!("mailgun answered an unexpected status {status}: {message}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: Addressing) -> Outgoing {
        Outgoing {
            from: "Exam-Generator <no-reply@examfn.local>".into(),
            to,
            subject: "Exam-Generator - Score Card".into(),
            text: "Score: 3\n".into(),
            html: Some("<p>Score: 3</p>".into()),
            message_id: "<abc@examfn.local>".into(),
            examfn_id: "score-card:1".into(),
            unsubscribe_url: "http://localhost:8080/unsubscribe?email=a%40x.org&token=t".into(),
            one_click: true,
        }
    }

    #[test]
    fn mailgun_answers_are_classified() {
        let ok = classify_mailgun(
            200,
            r#"{"id":"<2024.1@mg.example.org>","message":"Queued. Thank you."}"#,
        )
        .unwrap();
        assert_eq!(ok.provider_reply, "<2024.1@mg.example.org>");
        let e = classify_mailgun(
            400,
            r#"{"message":"'to' parameter is not a valid address. please check documentation"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(e, FnError::Permanent(_)) && e.message().contains("not a valid address"),
            "{e}"
        );
        let e = classify_mailgun(401, "Forbidden").unwrap_err();
        assert!(
            matches!(e, FnError::Permanent(_)) && e.message().contains("MAILGUN_API_KEY"),
            "{e}"
        );
        assert!(matches!(
            classify_mailgun(429, "{}").unwrap_err(),
            FnError::Unavailable(_)
        ));
        assert!(matches!(
            classify_mailgun(500, "").unwrap_err(),
            FnError::Unavailable(_)
        ));
        assert!(matches!(
            classify_mailgun(503, "<html>").unwrap_err(),
            FnError::Unavailable(_)
        ));
        assert!(matches!(
            classify_mailgun(404, "{\"message\":\"Domain not found\"}").unwrap_err(),
            FnError::Permanent(_)
        ));
    }

    #[test]
    fn mailgun_form_fields() {
        let f = MailgunMailer::form(&mail(Addressing::To("a@x.org".into())));
        let get = |k: &str| {
            f.iter()
                .filter(|(n, _)| *n == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("to"), vec!["a@x.org"]);
        assert_eq!(get("h:Message-Id"), vec!["<abc@examfn.local>"]);
        assert_eq!(
            get("h:List-Unsubscribe-Post"),
            vec!["List-Unsubscribe=One-Click"]
        );
        assert!(get("recipient-variables").is_empty());
        let f = MailgunMailer::form(&mail(Addressing::Bcc(vec![
            "a@x.org".into(),
            "b@y.org".into(),
        ])));
        let get = |k: &str| {
            f.iter()
                .filter(|(n, _)| *n == k)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("to"), vec!["a@x.org", "b@y.org"]);
        let vars: serde_json::Value = serde_json::from_str(&get("recipient-variables")[0]).unwrap();
        assert_eq!(vars, serde_json::json!({"a@x.org": {}, "b@y.org": {}}));
    }

    #[test]
    fn smtp_message_headers_and_bcc_stay_hidden() {
        let m = SmtpMailer::message(&mail(Addressing::Bcc(vec![
            "a@x.org".into(),
            "b@y.org".into(),
        ])))
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(!raw.to_ascii_lowercase().contains("\nbcc:"), "{raw}");
        assert!(
            !raw.contains("a@x.org") || raw.contains("unsubscribe?email=a%40x.org"),
            "{raw}"
        );
        let rcpts: Vec<String> = m.envelope().to().iter().map(|a| a.to_string()).collect();
        assert_eq!(rcpts, vec!["a@x.org", "b@y.org"]);
        assert!(raw.contains("Message-ID: <abc@examfn.local>"), "{raw}");
        assert!(
            raw.contains(
                "List-Unsubscribe: <http://localhost:8080/unsubscribe?email=a%40x.org&token=t>"
            ),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{raw}"
        );
        assert!(raw.contains("X-Examfn-Message-Id: score-card:1"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
    }
}
