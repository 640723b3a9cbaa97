//! The handler: one email request → one delivery per recipient (or one Bcc
//! message), exactly once per recipient across redeliveries.

use std::time::{Duration, Instant};

use examfn_domain::email::{
    html_with_footer, parse_payload, text_with_footer, unsubscribe_url, EmailMessage,
};
use examfn_domain::names::EMAIL_EVENT_TYPE;
use examfn_runtime::cloudevents::{AttributesReader, Event};
use examfn_runtime::event::data_bytes;
use examfn_runtime::{FnError, Handler, Outcome};
use futures::StreamExt;
use serde_json::json;

use crate::config::{Config, DeliveryMode, Secret};
use crate::mailer::{Addressing, Mailer, Outgoing};
use crate::store::{Claim, Store, CLAIM_LEASE};
use crate::token;

/// Recipients served at once in per-recipient mode.
const PARALLEL_SENDS: usize = 4;

/// What the function needs besides its connections.
#[derive(Debug, Clone)]
pub struct Settings {
    pub from: String,
    pub from_domain: String,
    pub mode: DeliveryMode,
    pub unsubscribe_secret: Secret,
    pub public_base_url: String,
    pub kratos_webhook_secret: Option<Secret>,
}

impl Settings {
    pub fn from_config(cfg: &Config) -> Self {
        let from_domain = cfg
            .from
            .parse::<lettre::message::Mailbox>()
            .map(|m| m.email.domain().to_string())
            .unwrap_or_else(|_| "examfn.local".to_string());
        Self {
            from: cfg.from.clone(),
            from_domain,
            mode: cfg.mode,
            unsubscribe_secret: cfg.unsubscribe_secret.clone(),
            public_base_url: cfg.public_base_url.clone(),
            kratos_webhook_secret: cfg.kratos_webhook_secret.clone(),
        }
    }
}

/// The email function.
pub struct EmailFn {
    store: Store,
    mailer: Mailer,
    settings: Settings,
}

enum Status {
    Sent,
    AlreadySent,
}

impl EmailFn {
    pub fn new(db: mongodb::Database, mailer: Mailer, settings: Settings) -> Self {
        Self {
            store: Store::new(db),
            mailer,
            settings,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The signed unsubscribe link of an address.
    pub fn unsubscribe_link(&self, email: &str) -> String {
        let t = token::sign(self.settings.unsubscribe_secret.expose(), email);
        unsubscribe_url(&self.settings.public_base_url, email, &t)
    }

    /// Render the message for one recipient (signed link) or for a Bcc group
    /// (the generic unsubscribe page, where a link is requested by address).
    pub fn render(&self, msg: &EmailMessage, to: Addressing) -> Outgoing {
        let (url, one_click, id_seed) = match &to {
            Addressing::To(r) => (self.unsubscribe_link(r), true, r.clone()),
            Addressing::Bcc(_) => (
                format!(
                    "{}/unsubscribe",
                    self.settings.public_base_url.trim_end_matches('/')
                ),
                false,
                "\0bcc".to_string(),
            ),
        };
        Outgoing {
            from: self.settings.from.clone(),
            subject: msg.subject.clone(),
            text: text_with_footer(&msg.text, &url),
            html: msg.html.as_deref().map(|h| html_with_footer(h, &url)),
            message_id: format!(
                "<{}@{}>",
                token::digest_hex(&[&msg.message_id, &id_seed], 32),
                self.settings.from_domain
            ),
            examfn_id: msg.message_id.clone(),
            unsubscribe_url: url,
            one_click,
            to,
        }
    }

    /// Deliver a validated request.
    pub async fn deliver(&self, msg: EmailMessage) -> Result<Outcome, FnError> {
        self.store.ensure_indexes().await?;
        let mut recipients: Vec<String> = Vec::new();
        if msg.recipients.subscribers {
            recipients = self.store.active_subscribers().await?;
        }
        for r in &msg.recipients.extra {
            if !recipients.contains(r) {
                recipients.push(r.clone());
            }
        }
        if recipients.is_empty() {
            return Ok(Outcome::skipped(format!(
                "message {}: nobody to send to (no active subscribers{})",
                msg.message_id,
                if msg.recipients.subscribers {
                    ""
                } else {
                    " requested"
                }
            )));
        }
        let total = recipients.len();
        let results: Vec<(String, Result<Status, FnError>)> = match self.settings.mode {
            DeliveryMode::PerRecipient => {
                futures::stream::iter(recipients)
                    .map(|r| {
                        let msg = &msg;
                        async move {
                            let res = self.deliver_one(msg, &r).await;
                            (r, res)
                        }
                    })
                    .buffer_unordered(PARALLEL_SENDS)
                    .collect()
                    .await
            }
            DeliveryMode::Bcc => self.deliver_bcc(&msg, recipients).await?,
        };
        let mut sent = Vec::new();
        let mut already = Vec::new();
        let mut failed: Vec<(String, FnError)> = Vec::new();
        for (r, res) in results {
            match res {
                Ok(Status::Sent) => sent.push(r),
                Ok(Status::AlreadySent) => already.push(r),
                Err(e) => failed.push((r, e)),
            }
        }
        sent.sort();
        already.sort();
        if !failed.is_empty() {
            failed.sort_by(|a, b| a.0.cmp(&b.0));
            let reasons: Vec<String> = failed
                .iter()
                .map(|(r, e)| format!("{r}: {}", e.message()))
                .collect();
            let text = format!(
                "message {}: delivered to {} of {total} recipients ({} earlier); failed: {}",
                msg.message_id,
                sent.len() + already.len(),
                already.len(),
                reasons.join("; ")
            );
            return Err(if failed.iter().any(|(_, e)| e.is_retryable()) {
                FnError::unavailable(text)
            } else {
                FnError::permanent(text)
            });
        }
        if sent.is_empty() {
            return Ok(Outcome::skipped(format!(
                "message {}: already delivered to all {total} recipients",
                msg.message_id
            )));
        }
        Ok(Outcome::done(json!({
            "message_id": msg.message_id,
            "provider": self.mailer.name(),
            "sent": sent,
            "already_sent": already,
        })))
    }

    /// Claim, waiting while another delivery of the same pair is in flight.
    /// `None`: delivered before.
    async fn wait_claim(
        &self,
        message_id: &str,
        recipient: &str,
    ) -> Result<Option<String>, FnError> {
        let deadline = Instant::now() + CLAIM_LEASE + Duration::from_secs(5);
        loop {
            match self.store.claim(message_id, recipient).await? {
                Claim::Owned(t) => return Ok(Some(t)),
                Claim::AlreadySent => return Ok(None),
                Claim::InFlight if Instant::now() >= deadline => {
                    return Err(FnError::unavailable(format!(
                        "another delivery of {message_id} to {recipient} is still in progress"
                    )))
                }
                Claim::InFlight => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    async fn deliver_one(&self, msg: &EmailMessage, r: &str) -> Result<Status, FnError> {
        let Some(claim) = self.wait_claim(&msg.message_id, r).await? else {
            return Ok(Status::AlreadySent);
        };
        let out = self.render(msg, Addressing::To(r.to_string()));
        match self.mailer.send(&out).await {
            Ok(acc) => {
                self.store
                    .mark_sent(
                        &msg.message_id,
                        r,
                        &claim,
                        self.mailer.name(),
                        &acc.provider_reply,
                        &msg.subject,
                    )
                    .await?;
                tracing::info!(message_id = %msg.message_id, recipient = r, reply = %acc.provider_reply, "sent");
                Ok(Status::Sent)
            }
            Err(e) => {
                self.store.release(&msg.message_id, r, &claim).await;
                Err(e)
            }
        }
    }

    async fn deliver_bcc(
        &self,
        msg: &EmailMessage,
        recipients: Vec<String>,
    ) -> Result<Vec<(String, Result<Status, FnError>)>, FnError> {
        let mut claimed: Vec<(String, String)> = Vec::new();
        let mut out: Vec<(String, Result<Status, FnError>)> = Vec::new();
        for r in recipients {
            match self.wait_claim(&msg.message_id, &r).await {
                Ok(Some(t)) => claimed.push((r, t)),
                Ok(None) => out.push((r, Ok(Status::AlreadySent))),
                Err(e) => {
                    for (r, t) in &claimed {
                        self.store.release(&msg.message_id, r, t).await;
                    }
                    return Err(e);
                }
            }
        }
        if claimed.is_empty() {
            return Ok(out);
        }
        let mail = self.render(
            msg,
            Addressing::Bcc(claimed.iter().map(|(r, _)| r.clone()).collect()),
        );
        match self.mailer.send(&mail).await {
            Ok(acc) => {
                for (r, t) in claimed {
                    let res = self
                        .store
                        .mark_sent(
                            &msg.message_id,
                            &r,
                            &t,
                            self.mailer.name(),
                            &acc.provider_reply,
                            &msg.subject,
                        )
                        .await
                        .map(|_| Status::Sent);
                    out.push((r, res));
                }
            }
            Err(e) => {
                for (r, t) in claimed {
                    self.store.release(&msg.message_id, &r, &t).await;
                    out.push((r, Err(e.clone())));
                }
            }
        }
        Ok(out)
    }
}

/// Interpret an event: `dev.examfn.email.v1` must carry an `EmailMessage`;
/// anything else (a KafkaSource-wrapped record, a plain JSON POST) may carry
/// an `EmailMessage` or plain text. The origin of plain text (event source
/// and id: topic, partition and offset for a record) is its message id.
pub fn message_of(ev: &Event) -> Result<EmailMessage, FnError> {
    let data = data_bytes(ev).ok_or_else(|| FnError::bad_input("the event has no data"))?;
    let origin = format!("{}/{}", ev.source(), ev.id());
    parse_payload(&data, &origin, ev.ty() == EMAIL_EVENT_TYPE).map_err(FnError::BadInput)
}

impl Handler for EmailFn {
    async fn handle(&self, ev: Event) -> Result<Outcome, FnError> {
        let msg = message_of(&ev)?;
        self.deliver(msg).await
    }

    async fn ready(&self) -> Result<(), String> {
        examfn_runtime::mongo::ping(self.store.db()).await
    }
}
