//! The email function's own configuration (the runtime reads the common part).

use std::time::Duration;

use examfn_runtime::config::{ConfigError, Env};
use examfn_runtime::mongo::MongoConfig;

/// Shortest secret accepted for `UNSUBSCRIBE_SECRET` / `KRATOS_WEBHOOK_SECRET`.
pub const MIN_SECRET_LEN: usize = 16;
/// How long one provider call (an SMTP transaction, a Mailgun request) may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// How the SMTP connection is secured (`SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (the local SMTP server; never across a network you do not own).
    None,
    /// Plain connection upgraded with STARTTLS, required (port 587).
    StartTls,
    /// TLS from the first byte ("SMTPS", port 465).
    Tls,
}

impl std::str::FromStr for SmtpTls {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "plain" | "off" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" | "smtps" | "wrapper" => Ok(Self::Tls),
            other => Err(format!(
                "unknown SMTP TLS mode {other:?}: use none, starttls or tls"
            )),
        }
    }
}

impl SmtpTls {
    fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Tls => 465,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Username and password, when the server wants AUTH.
    pub credentials: Option<(String, String)>,
    pub timeout: Duration,
}

#[derive(Clone, PartialEq, Eq)]
pub struct MailgunConfig {
    /// `https://api.mailgun.net` (US) or `https://api.eu.mailgun.net` (EU), no trailing slash.
    pub base_url: String,
    pub domain: String,
    pub api_key: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for MailgunConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailgunConfig")
            .field("base_url", &self.base_url)
            .field("domain", &self.domain)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// `EMAIL_PROVIDER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderConfig {
    Smtp(SmtpConfig),
    Mailgun(MailgunConfig),
}

impl ProviderConfig {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "smtp",
            Self::Mailgun(_) => "mailgun",
        }
    }
}

/// `EMAIL_DELIVERY_MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// One message per recipient, each with its own unsubscribe link (default).
    PerRecipient,
    /// One message with every recipient in `Bcc`.
    Bcc,
}

impl std::str::FromStr for DeliveryMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "per-recipient" | "per_recipient" | "individual" => Ok(Self::PerRecipient),
            "bcc" => Ok(Self::Bcc),
            other => Err(format!(
                "unknown delivery mode {other:?}: use per-recipient or bcc"
            )),
        }
    }
}

/// Everything the email function reads besides the common config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub provider: ProviderConfig,
    /// `EMAIL_FROM`, e.g. `Exam-Generator <no-reply@examfn.local>`.
    pub from: String,
    pub mode: DeliveryMode,
    /// `KRATOS_WEBHOOK_SECRET`; unset: the webhook answers 503 (never unauthenticated).
    pub kratos_webhook_secret: Option<Secret>,
    /// `UNSUBSCRIBE_SECRET`: the HMAC key of unsubscribe links.
    pub unsubscribe_secret: Secret,
    /// `PUBLIC_BASE_URL`: where `/unsubscribe` is reachable from a mail client.
    pub public_base_url: String,
    pub mongo: MongoConfig,
}

/// A credential that never shows in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

fn long_enough(name: &str, value: String) -> Result<Secret, ConfigError> {
    if value.len() < MIN_SECRET_LEN {
        return Err(ConfigError::invalid(
            name,
            "<redacted>",
            format!("must be at least {MIN_SECRET_LEN} characters"),
        ));
    }
    Ok(Secret(value))
}

fn http_url(name: &str, value: String) -> Result<String, ConfigError> {
    let v = value.trim_end_matches('/').to_string();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(v),
        _ => Err(ConfigError::invalid(
            name,
            value,
            "must be an http:// or https:// URL",
        )),
    }
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let provider = match env
            .string_or("EMAIL_PROVIDER", "smtp")
            .to_ascii_lowercase()
            .as_str()
        {
            "smtp" => {
                let tls: SmtpTls = env.parse_or("SMTP_TLS", SmtpTls::StartTls)?;
                let host = env.required("SMTP_HOST")?;
                let port: u16 = env.parse_or("SMTP_PORT", tls.default_port())?;
                if port == 0 {
                    return Err(ConfigError::invalid(
                        "SMTP_PORT",
                        "0",
                        "must be a port number",
                    ));
                }
                let username = env.optional("SMTP_USERNAME");
                let password = env.secret_optional("SMTP_PASSWORD");
                let credentials = match (username, password) {
                    (Some(u), Some(p)) => Some((u, p)),
                    (None, None) => None,
                    (Some(_), None) => {
                        return Err(ConfigError::Missing {
                            name: "SMTP_PASSWORD".into(),
                            hint: " (SMTP_USERNAME is set; set both or neither)".into(),
                        })
                    }
                    (None, Some(_)) => {
                        return Err(ConfigError::Missing {
                            name: "SMTP_USERNAME".into(),
                            hint: " (SMTP_PASSWORD is set; set both or neither)".into(),
                        })
                    }
                };
                ProviderConfig::Smtp(SmtpConfig {
                    host,
                    port,
                    tls,
                    credentials,
                    timeout: SEND_TIMEOUT,
                })
            }
            "mailgun" => {
                let base_url = http_url(
                    "MAILGUN_BASE_URL",
                    env.string_or("MAILGUN_BASE_URL", "https://api.mailgun.net"),
                )?;
                let domain = env.required("MAILGUN_DOMAIN")?;
                if domain.contains(['/', ' ', '?', '#']) {
                    return Err(ConfigError::invalid(
                        "MAILGUN_DOMAIN",
                        domain,
                        "must be a bare domain name",
                    ));
                }
                let api_key = env.secret("MAILGUN_API_KEY")?;
                ProviderConfig::Mailgun(MailgunConfig {
                    base_url,
                    domain,
                    api_key,
                    timeout: SEND_TIMEOUT,
                })
            }
            other => {
                return Err(ConfigError::invalid(
                    "EMAIL_PROVIDER",
                    other,
                    "use smtp or mailgun",
                ))
            }
        };
        let from = env.string_or("EMAIL_FROM", "Exam-Generator <no-reply@examfn.local>");
        if let Err(e) = from.parse::<lettre::message::Mailbox>() {
            return Err(ConfigError::invalid(
                "EMAIL_FROM",
                from,
                format!("not a mailbox ({e}); e.g. Name <addr@domain>"),
            ));
        }
        let mode: DeliveryMode = env.parse_or("EMAIL_DELIVERY_MODE", DeliveryMode::PerRecipient)?;
        let kratos_webhook_secret = match env.secret_optional("KRATOS_WEBHOOK_SECRET") {
            Some(s) => Some(long_enough("KRATOS_WEBHOOK_SECRET", s)?),
            None => None,
        };
        let unsubscribe_secret =
            long_enough("UNSUBSCRIBE_SECRET", env.secret("UNSUBSCRIBE_SECRET")?)?;
        let public_base_url = match env.optional("PUBLIC_BASE_URL") {
            Some(u) => http_url("PUBLIC_BASE_URL", u)?,
            None => format!("http://localhost:{}", env.parse_or("PORT", 8080u16)?),
        };
        let mongo = MongoConfig::from_env(env)?;
        Ok(Self {
            provider,
            from,
            mode,
            kratos_webhook_secret,
            unsubscribe_secret,
            public_base_url,
            mongo,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "MONGODB_URI",
                "mongodb://127.0.0.1:27017/?directConnection=true",
            ),
            ("UNSUBSCRIBE_SECRET", "0123456789abcdef0123"),
            ("SMTP_HOST", "127.0.0.1"),
        ]
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Env {
        let mut v = base();
        v.extend_from_slice(extra);
        Env::from_pairs(v)
    }

    #[test]
    fn smtp_defaults() {
        let c = Config::from_env(&with(&[])).unwrap();
        let ProviderConfig::Smtp(s) = &c.provider else {
            panic!("{c:?}")
        };
        assert_eq!(
            (s.tls, s.port, s.credentials.clone()),
            (SmtpTls::StartTls, 587, None)
        );
        assert_eq!(c.mode, DeliveryMode::PerRecipient);
        assert_eq!(c.from, "Exam-Generator <no-reply@examfn.local>");
        assert_eq!(c.public_base_url, "http://localhost:8080");
        assert!(c.kratos_webhook_secret.is_none());
        let c = Config::from_env(&with(&[("SMTP_TLS", "none"), ("PORT", "9000")])).unwrap();
        let ProviderConfig::Smtp(s) = &c.provider else {
            panic!()
        };
        assert_eq!((s.tls, s.port), (SmtpTls::None, 25));
        assert_eq!(c.public_base_url, "http://localhost:9000");
        let c = Config::from_env(&with(&[
            ("SMTP_TLS", "tls"),
            ("SMTP_USERNAME", "u"),
            ("SMTP_PASSWORD", "p"),
        ]))
        .unwrap();
        let ProviderConfig::Smtp(s) = &c.provider else {
            panic!()
        };
        assert_eq!((s.tls, s.port), (SmtpTls::Tls, 465));
        assert_eq!(s.credentials, Some(("u".into(), "p".into())));
    }

    #[test]
    fn mailgun_needs_domain_and_key_and_defaults_to_us() {
        let err = Config::from_env(&with(&[("EMAIL_PROVIDER", "mailgun")])).unwrap_err();
        assert!(err.to_string().contains("MAILGUN_DOMAIN"), "{err}");
        let err = Config::from_env(&with(&[
            ("EMAIL_PROVIDER", "mailgun"),
            ("MAILGUN_DOMAIN", "mg.example.org"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("MAILGUN_API_KEY"), "{err}");
        let c = Config::from_env(&with(&[
            ("EMAIL_PROVIDER", "Mailgun"),
            ("MAILGUN_DOMAIN", "mg.example.org"),
            ("MAILGUN_API_KEY", "key-123"),
            ("MAILGUN_BASE_URL", "https://api.eu.mailgun.net/"),
        ]))
        .unwrap();
        let ProviderConfig::Mailgun(m) = &c.provider else {
            panic!()
        };
        assert_eq!(m.base_url, "https://api.eu.mailgun.net");
        assert!(
            !format!("{c:?}").contains("key-123"),
            "the key leaks into Debug"
        );
        let c = Config::from_env(&with(&[
            ("EMAIL_PROVIDER", "mailgun"),
            ("MAILGUN_DOMAIN", "d"),
            ("MAILGUN_API_KEY", "k"),
        ]))
        .unwrap();
        let ProviderConfig::Mailgun(m) = &c.provider else {
            panic!()
        };
        assert_eq!(m.base_url, "https://api.mailgun.net");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (extra, name) in [
            (vec![("EMAIL_PROVIDER", "sns")], "EMAIL_PROVIDER"),
            (vec![("SMTP_TLS", "maybe")], "SMTP_TLS"),
            (vec![("SMTP_USERNAME", "u")], "SMTP_PASSWORD"),
            (vec![("EMAIL_DELIVERY_MODE", "cc")], "EMAIL_DELIVERY_MODE"),
            (vec![("EMAIL_FROM", "not a mailbox")], "EMAIL_FROM"),
            (
                vec![("KRATOS_WEBHOOK_SECRET", "short")],
                "KRATOS_WEBHOOK_SECRET",
            ),
            (vec![("UNSUBSCRIBE_SECRET", "short")], "UNSUBSCRIBE_SECRET"),
            (
                vec![("PUBLIC_BASE_URL", "exams.example.org")],
                "PUBLIC_BASE_URL",
            ),
            (
                vec![
                    ("EMAIL_PROVIDER", "mailgun"),
                    ("MAILGUN_DOMAIN", "d"),
                    ("MAILGUN_API_KEY", "k"),
                    ("MAILGUN_BASE_URL", "ftp://x"),
                ],
                "MAILGUN_BASE_URL",
            ),
        ] {
            let err = Config::from_env(&with(&extra)).unwrap_err();
            assert!(err.to_string().contains(name), "{extra:?}: {err}");
        }
        let err = Config::from_env(&Env::from_pairs([
            ("SMTP_HOST", "h"),
            ("MONGODB_URI", "mongodb://x"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("UNSUBSCRIBE_SECRET"), "{err}");
    }
}
