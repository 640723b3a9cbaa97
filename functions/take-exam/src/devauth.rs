//! Local development identities: a generated Ed25519 key pair whose public
//! half take-exam trusts as a JWKS, and tokens minted with it.
//!
//! `examfn up` runs take-exam with `AUTH_DEV_KEYS_DIR` pointing at a directory
//! prepared by [`ensure_keys`]; `examfn token` calls [`mint`]. take-exam refuses
//! this mode when a real `AUTH_JWKS_URL` is configured.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

pub use crate::auth::Role;

/// `iss` of dev tokens.
pub const DEV_ISSUER: &str = "examfn-local";
/// `aud` of dev tokens (take-exam's default audience).
pub const DEV_AUDIENCE: &str = "take-exam";
/// File names inside the keys directory.
pub const PRIVATE_KEY_FILE: &str = "dev-signing-key.p8";
pub const JWKS_FILE: &str = "jwks.json";

/// The dev key pair on disk.
#[derive(Clone)]
pub struct DevKeys {
    pub dir: PathBuf,
    /// `dir/jwks.json`, the public key set take-exam trusts.
    pub jwks_path: PathBuf,
    pub kid: String,
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for DevKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevKeys").field("dir", &self.dir).field("kid", &self.kid).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DevAuthError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("dev signing key: {0}")]
    Key(String),
    #[error("cannot sign the token: {0}")]
    Sign(String),
    #[error("not an email address: {0:?}")]
    BadEmail(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DevAuthError + '_ {
    move |source| DevAuthError::Io { path: path.to_path_buf(), source }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Create the key pair and `dir/jwks.json` once; reuse them when present.
/// Safe when several processes call it at once: the key file appears
/// atomically and the first one wins.
pub fn ensure_keys(dir: &Path) -> Result<DevKeys, DevAuthError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let key_path = dir.join(PRIVATE_KEY_FILE);
    if !key_path.exists() {
        let doc = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .map_err(|e| DevAuthError::Key(e.to_string()))?;
        let tmp = dir.join(format!(".{PRIVATE_KEY_FILE}.{}", uuid::Uuid::new_v4().simple()));
        write_private(&tmp, doc.as_ref()).map_err(io(&tmp))?;
        // hard_link fails when the key exists: another process won the race.
        let linked = std::fs::hard_link(&tmp, &key_path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(DevAuthError::Io { path: key_path, source: e }),
        }
    }
    let pkcs8 = std::fs::read(&key_path).map_err(io(&key_path))?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|e| DevAuthError::Key(format!("{}: {e}", key_path.display())))?;
    let public = pair.public_key().as_ref();
    let x = URL_SAFE_NO_PAD.encode(public);
    let kid = format!("examfn-dev-{}", &x[..12].replace(['-', '_'], "x"));
    let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}]});
    let jwks_text = serde_json::to_string_pretty(&jwks).expect("json");
    let jwks_path = dir.join(JWKS_FILE);
    if std::fs::read_to_string(&jwks_path).ok().as_deref() != Some(jwks_text.as_str()) {
        let tmp = dir.join(format!(".{JWKS_FILE}.{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&tmp, &jwks_text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &jwks_path).map_err(io(&jwks_path))?;
    }
    Ok(DevKeys { dir: dir.to_path_buf(), jwks_path, kid, pkcs8 })
}

impl DevKeys {
    /// A token for `email` with `role`, valid for `ttl`, with the given issuer and audience.
    pub fn mint_with(
        &self,
        issuer: &str,
        audience: &str,
        email: &str,
        role: Role,
        ttl: Duration,
    ) -> Result<String, DevAuthError> {
        let email = email.trim();
        if !email.contains('@') || email.len() > 320 || email.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(DevAuthError::BadEmail(email.to_string()));
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let claims = json!({
            "iss": issuer,
            "aud": audience,
            "sub": email,
            "email": email,
            "user_type": role.as_str(),
            "iat": now,
            "nbf": now,
            "exp": now + ttl.as_secs().max(1),
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        crate::auth::install_crypto_pub();
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&self.pkcs8))
            .map_err(|e| DevAuthError::Sign(e.to_string()))
    }

    /// A token with the dev issuer and audience.
    pub fn mint(&self, email: &str, role: Role, ttl: Duration) -> Result<String, DevAuthError> {
        self.mint_with(DEV_ISSUER, DEV_AUDIENCE, email, role, ttl)
    }
}

/// Mint a dev token (creating the keys in `dir` when needed).
pub fn mint(dir: &Path, email: &str, role: Role, ttl: Duration) -> Result<String, DevAuthError> {
    ensure_keys(dir)?.mint(email, role, ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("examfn-devauth-{}", uuid::Uuid::new_v4().simple()));
        let a = ensure_keys(&dir).unwrap();
        let b = ensure_keys(&dir).unwrap();
        assert_eq!(a.kid, b.kid);
        let jwks: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&a.jwks_path).unwrap()).unwrap();
        assert_eq!(jwks["keys"][0]["kid"], a.kid.as_str());
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
        assert!(jwks.to_string().find("\"d\"").is_none(), "no private part in the JWKS");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(PRIVATE_KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "private key readable by others: {mode:o}");
        }
        let t = mint(&dir, "a@example.org", Role::Student, Duration::from_secs(60)).unwrap();
        assert_eq!(t.split('.').count(), 3);
        assert!(mint(&dir, "not-an-email", Role::Student, Duration::from_secs(60)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
