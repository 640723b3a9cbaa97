//! Unsubscribe tokens (HMAC-SHA256 of the normalised address) and
//! constant-time comparison of shared secrets.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Domain separation: the same key must never sign anything else by accident.
const CONTEXT: &[u8] = b"examfn/unsubscribe/v1\n";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn mac(secret: &str, email: &str) -> HmacSha256 {
    let mut m =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    m.update(CONTEXT);
    m.update(email.as_bytes());
    m
}

/// The token for a (normalised) address: 64 lower-case hex digits.
pub fn sign(secret: &str, email: &str) -> String {
    hex(&mac(secret, email).finalize().into_bytes())
}

/// Whether `token` is the token of `email` (constant time).
pub fn verify(secret: &str, email: &str, token: &str) -> bool {
    match unhex(token.trim()) {
        Some(bytes) => mac(secret, email).verify_slice(&bytes).is_ok(),
        None => false,
    }
}

/// Constant-time equality of a presented secret with the configured one
/// (both are hashed first, so the length does not leak either).
pub fn secret_matches(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    bool::from(a.as_slice().ct_eq(b.as_slice()))
}

/// A short stable hex digest (for Message-IDs).
pub fn digest_hex(parts: &[&str], len: usize) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let mut s = hex(&h.finalize());
    s.truncate(len);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_address_and_key() {
        let t = sign("k0123456789abcdef", "a@x.org");
        assert_eq!(t.len(), 64);
        assert!(verify("k0123456789abcdef", "a@x.org", &t));
        assert!(verify("k0123456789abcdef", "a@x.org", &t.to_uppercase()));
        assert!(!verify("k0123456789abcdef", "b@x.org", &t));
        assert!(!verify("another-key-0123456", "a@x.org", &t));
        assert!(!verify("k0123456789abcdef", "a@x.org", &t[..62]));
        assert!(!verify("k0123456789abcdef", "a@x.org", "zz"));
        assert!(!verify("k0123456789abcdef", "a@x.org", ""));
        assert_eq!(t, sign("k0123456789abcdef", "a@x.org"));
    }

    #[test]
    fn secrets_compare() {
        assert!(secret_matches(
            "s3cr3t-s3cr3t-s3cr3t",
            "s3cr3t-s3cr3t-s3cr3t"
        ));
        assert!(!secret_matches(
            "s3cr3t-s3cr3t-s3cr3",
            "s3cr3t-s3cr3t-s3cr3t"
        ));
        assert!(!secret_matches("", "s3cr3t-s3cr3t-s3cr3t"));
        assert_eq!(digest_hex(&["a", "b"], 8).len(), 8);
        assert_ne!(digest_hex(&["ab", ""], 32), digest_hex(&["a", "b"], 32));
    }
}
