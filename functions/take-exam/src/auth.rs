//! Identity: verifying the JWT in `Authorization: Bearer`.
//!
//! In the cluster Ory Oathkeeper's `id_token` mutator mints the token (RS256,
//! keys published as a JWKS). Locally the dev key pair of [`crate::devauth`]
//! signs it (EdDSA). Either way the token is checked here: signature against a
//! key of the JWKS (cached, refreshed on an unknown `kid` at most once per
//! [`REFRESH_MIN_INTERVAL`]), `iss`, `aud`, `exp`/`nbf` with [`LEEWAY_SECS`]
//! leeway, and an algorithm allow-list tied to the key type: a token whose
//! header names another algorithm than its key's (HS256 "signed" with a public
//! key, `none`) is refused.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Clock leeway for `exp`/`nbf`, seconds.
pub const LEEWAY_SECS: u64 = 60;
/// An unknown `kid` refetches the JWKS at most this often.
pub const REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(10);
/// Cached keys are refetched when older than this (key rotation).
pub const KEYS_MAX_AGE: Duration = Duration::from_secs(600);
/// A verified token is remembered this long at most (never past its `exp`),
/// so repeated requests with the same token skip the signature check.
pub const VERIFIED_TTL: Duration = Duration::from_secs(60);
/// Most verified tokens remembered; the memo is emptied when full.
pub const VERIFIED_MAX: usize = 10_000;

/// Who a user is for take-exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Student,
    Educator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Student => "student",
            Self::Educator => "educator",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "student" => Ok(Self::Student),
            "educator" => Ok(Self::Educator),
            other => Err(format!("unknown role {other:?}: use student or educator")),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub email: String,
    pub role: Role,
}

/// Why a request is not let in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send Authorization: Bearer <token>")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("this needs the {0} role")]
    Forbidden(Role),
    #[error("signing keys unavailable: {0}")]
    KeysUnavailable(String),
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, kind) = match &self {
            Self::Missing | Self::Invalid(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::KeysUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        };
        let message = self.to_string();
        let mut resp =
            (status, axum::Json(json!({"error": message, "kind": kind, "status": status.as_u16()}))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            let desc = message.replace(['"', '\\'], "'");
            let v = format!("Bearer error=\"invalid_token\", error_description=\"{desc}\"");
            if let Ok(v) = HeaderValue::from_str(&v) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}

/// Where the JWKS comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    Http(String),
    File(PathBuf),
}

impl JwksSource {
    /// `http(s)://...` or `file:///path` (a bare absolute path is taken as a file too).
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.starts_with("http://") || s.starts_with("https://") {
            Ok(Self::Http(s.to_string()))
        } else if let Some(p) = s.strip_prefix("file://") {
            Ok(Self::File(PathBuf::from(p)))
        } else if s.starts_with('/') {
            Ok(Self::File(PathBuf::from(s)))
        } else {
            Err("must be an http(s):// URL or a file:// path".into())
        }
    }
}

#[derive(Clone)]
struct Key {
    alg: Algorithm,
    key: DecodingKey,
}

#[derive(Default)]
struct KeyCache {
    by_kid: HashMap<String, Key>,
    without_kid: Vec<Key>,
    fetched: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// Verifies bearer tokens against a JWKS.
pub struct Verifier {
    source: JwksSource,
    issuer: String,
    audience: String,
    http: Option<reqwest::Client>,
    cache: RwLock<KeyCache>,
    refresh: tokio::sync::Mutex<()>,
    refresh_min_interval: Duration,
    verified: RwLock<HashMap<String, (Identity, Instant)>>,
}

/// The algorithm a JWK may be used with, from our allow-list, or None when
/// the key is not usable (HMAC secrets, other curves, algorithms not allowed).
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(by_type),
        Some(KeyAlgorithm::RS256) if by_type == Algorithm::RS256 => Some(by_type),
        Some(KeyAlgorithm::ES256) if by_type == Algorithm::ES256 => Some(by_type),
        Some(KeyAlgorithm::EdDSA) if by_type == Algorithm::EdDSA => Some(by_type),
        Some(_) => None,
    }
}

/// Select jsonwebtoken's crypto backend (idempotent).
pub(crate) fn install_crypto_pub() {
    install_crypto()
}

fn install_crypto() {
    // Pick the backend explicitly: if another crate in the build enables the
    // rust_crypto feature too, jsonwebtoken would otherwise refuse to choose.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}

impl Verifier {
    pub fn new(source: JwksSource, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        install_crypto();
        let http = match &source {
            JwksSource::Http(_) => Some(
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap_or_else(|_| reqwest::Client::new()),
            ),
            JwksSource::File(_) => None,
        };
        Self {
            source,
            issuer: issuer.into(),
            audience: audience.into(),
            http,
            cache: RwLock::new(KeyCache::default()),
            refresh: tokio::sync::Mutex::new(()),
            refresh_min_interval: REFRESH_MIN_INTERVAL,
            verified: RwLock::new(HashMap::new()),
        }
    }

    /// Change how often an unknown `kid` may trigger a refetch (tests).
    pub fn with_refresh_min_interval(mut self, d: Duration) -> Self {
        self.refresh_min_interval = d;
        self
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let text = match &self.source {
            JwksSource::Http(url) => {
                let http = self.http.as_ref().expect("http client for an http source");
                let resp = http.get(url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
                if !resp.status().is_success() {
                    return Err(format!("GET {url}: HTTP {}", resp.status()));
                }
                resp.text().await.map_err(|e| format!("GET {url}: {e}"))?
            }
            JwksSource::File(p) => tokio::fs::read_to_string(p).await.map_err(|e| format!("{}: {e}", p.display()))?,
        };
        serde_json::from_str(&text).map_err(|e| format!("not a JWKS: {e}"))
    }

    /// Reload the keys (rate-limited unless `force`).
    pub async fn refresh(&self, force: bool) -> Result<(), String> {
        let _guard = self.refresh.lock().await;
        {
            let c = self.cache.read().expect("key cache lock");
            if !force && c.last_attempt.is_some_and(|t| t.elapsed() < self.refresh_min_interval) {
                return Ok(());
            }
        }
        self.cache.write().expect("key cache lock").last_attempt = Some(Instant::now());
        let set = self.fetch().await?;
        let mut by_kid = HashMap::new();
        let mut without_kid = Vec::new();
        for jwk in &set.keys {
            let Some(alg) = key_algorithm(jwk) else { continue };
            let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
            match &jwk.common.key_id {
                Some(kid) => {
                    by_kid.insert(kid.clone(), Key { alg, key });
                }
                None => without_kid.push(Key { alg, key }),
            }
        }
        if by_kid.is_empty() && without_kid.is_empty() {
            return Err("the JWKS holds no usable RS256/ES256/EdDSA key".into());
        }
        let mut c = self.cache.write().expect("key cache lock");
        c.by_kid = by_kid;
        c.without_kid = without_kid;
        c.fetched = Some(Instant::now());
        Ok(())
    }

    fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> (Option<Vec<Key>>, bool) {
        let c = self.cache.read().expect("key cache lock");
        let stale = c.fetched.is_none_or(|t| t.elapsed() > KEYS_MAX_AGE);
        let found = match kid {
            Some(k) => c.by_kid.get(k).map(|key| vec![key.clone()]),
            None => {
                let v: Vec<Key> = c.without_kid.iter().chain(c.by_kid.values()).filter(|k| k.alg == alg).cloned().collect();
                (!v.is_empty()).then_some(v)
            }
        };
        (found, stale)
    }

    /// Verify a token and return who it names. Successful verifications are
    /// remembered for [`VERIFIED_TTL`] (never past the token's `exp`).
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        if let Some((id, until)) = self.verified.read().expect("verified lock").get(token) {
            if Instant::now() < *until {
                return Ok(id.clone());
            }
        }
        let (id, exp) = self.verify_uncached(token).await?;
        let now_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(u64::MAX);
        let left = Duration::from_secs(exp.saturating_sub(now_unix)).min(VERIFIED_TTL);
        if !left.is_zero() {
            let mut memo = self.verified.write().expect("verified lock");
            if memo.len() >= VERIFIED_MAX {
                memo.clear();
            }
            memo.insert(token.to_string(), (id.clone(), Instant::now() + left));
        }
        Ok(id)
    }

    async fn verify_uncached(&self, token: &str) -> Result<(Identity, u64), AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| AuthError::Invalid(format!("malformed token or unsupported algorithm ({e})")))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA) {
            return Err(AuthError::Invalid(format!("algorithm {:?} is not allowed", header.alg)));
        }
        let kid = header.kid.as_deref();
        let (mut keys, stale) = self.lookup(kid, header.alg);
        if keys.is_none() || stale {
            if let Err(e) = self.refresh(false).await {
                let has_any = self.cache.read().expect("key cache lock").fetched.is_some();
                if !has_any {
                    return Err(AuthError::KeysUnavailable(e));
                }
                tracing::warn!(error = %e, "JWKS refresh failed; using the cached keys");
            }
            keys = self.lookup(kid, header.alg).0;
        }
        let keys = keys.ok_or_else(|| match kid {
            Some(k) => AuthError::Invalid(format!("unknown signing key {k:?}")),
            None => AuthError::Invalid("no key for this token's algorithm".into()),
        })?;
        let mut last = AuthError::Invalid("no key".into());
        for key in keys {
            if key.alg != header.alg {
                last = AuthError::Invalid(format!(
                    "algorithm {:?} does not match the signing key's ({:?})",
                    header.alg, key.alg
                ));
                continue;
            }
            let mut v = Validation::new(key.alg);
            v.leeway = LEEWAY_SECS;
            v.validate_nbf = true;
            v.set_issuer(&[&self.issuer]);
            v.set_audience(&[&self.audience]);
            v.set_required_spec_claims(&["exp", "iss", "aud"]);
            match jsonwebtoken::decode::<Value>(token, &key.key, &v) {
                Ok(data) => {
                    let exp = data.claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
                    return identity(&data.claims).map(|id| (id, exp));
                }
                Err(e) => last = AuthError::Invalid(describe(&e)),
            }
        }
        Err(last)
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "token expired".into(),
        K::ImmatureSignature => "token not valid yet (nbf)".into(),
        K::InvalidIssuer => "wrong issuer".into(),
        K::InvalidAudience => "wrong audience".into(),
        K::InvalidSignature => "bad signature".into(),
        K::MissingRequiredClaim(c) => format!("missing claim {c}"),
        K::InvalidAlgorithm => "algorithm does not match the key".into(),
        other => format!("{other:?}"),
    }
}

fn str_at<'a>(claims: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = claims;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// Email and role from verified claims.
pub fn identity(claims: &Value) -> Result<Identity, AuthError> {
    let email = str_at(claims, &["email"])
        .or_else(|| str_at(claims, &["sub"]).filter(|s| s.contains('@')))
        .or_else(|| str_at(claims, &["traits", "email"]))
        .or_else(|| str_at(claims, &["ext", "email"]))
        .ok_or_else(|| AuthError::Invalid("no email in the token (email claim, or sub as an email)".into()))?;
    if !email.contains('@') || email.len() > 320 || email.chars().any(char::is_control) {
        return Err(AuthError::Invalid("the email claim is not an email address".into()));
    }
    let role = str_at(claims, &["user_type"])
        .or_else(|| str_at(claims, &["traits", "user_type"]))
        .or_else(|| str_at(claims, &["ext", "user_type"]))
        .ok_or_else(|| AuthError::Invalid("no user_type in the token".into()))?;
    let role = Role::from_str(role).map_err(AuthError::Invalid)?;
    Ok(Identity { email: email.to_string(), role })
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, AuthError> {
    let v = headers.get(header::AUTHORIZATION).ok_or(AuthError::Missing)?;
    let v = v.to_str().map_err(|_| AuthError::Invalid("Authorization header is not ASCII".into()))?;
    let (scheme, token) = v.split_once(' ').ok_or_else(|| AuthError::Invalid("expected Bearer <token>".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Invalid("expected Bearer <token>".into()));
    }
    Ok(token.trim())
}
