//! JWT verification: what is accepted and every way a token is refused.
//! Tokens are built by hand here (RS256 like Oathkeeper's id_token, HS256 and
//! `none` forgeries) so the verifier is tested against bytes it did not make.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use examfn_take_exam::auth::{AuthError, JwksSource, Role, Verifier};
use examfn_take_exam::devauth;
use serde_json::{json, Value};

const ISS: &str = "https://auth.example.org/";
const AUD: &str = "take-exam";

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn tmpdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("examfn-auth-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Rsa {
    pair: RsaKeyPair,
    kid: String,
}

impl Rsa {
    fn new(kid: &str) -> Self {
        Self { pair: RsaKeyPair::generate(KeySize::Rsa2048).unwrap(), kid: kid.into() }
    }
    fn jwk(&self) -> Value {
        let pk = self.pair.public_key();
        json!({
            "kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
            "n": B64.encode(pk.modulus().big_endian_without_leading_zero()),
            "e": B64.encode(pk.exponent().big_endian_without_leading_zero()),
        })
    }
    fn public_der(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsDer;
        self.pair.public_key().as_der().unwrap().as_ref().to_vec()
    }
    fn sign(&self, header: &Value, claims: &Value) -> String {
        let msg = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg.as_bytes(), &mut sig).unwrap();
        format!("{msg}.{}", B64.encode(sig))
    }
    fn token(&self, claims: &Value) -> String {
        self.sign(&json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}), claims)
    }
}

fn claims(email: &str, role: &str) -> Value {
    json!({"iss": ISS, "aud": [AUD, "other"], "sub": "b1c2", "email": email, "user_type": role,
           "iat": now(), "nbf": now(), "exp": now() + 300})
}

fn write_jwks(dir: &std::path::Path, keys: &[Value]) -> PathBuf {
    let p = dir.join("jwks.json");
    std::fs::write(&p, json!({"keys": keys}).to_string()).unwrap();
    p
}

fn verifier(path: PathBuf) -> Verifier {
    Verifier::new(JwksSource::File(path), ISS, AUD)
}

fn invalid(r: Result<examfn_take_exam::auth::Identity, AuthError>) -> String {
    match r {
        Err(AuthError::Invalid(m)) => m,
        other => panic!("expected an invalid-token error, got {other:?}"),
    }
}

#[tokio::test]
async fn rs256_token_from_the_jwks_is_accepted() {
    let dir = tmpdir();
    let k = Rsa::new("k1");
    let v = verifier(write_jwks(&dir, &[k.jwk()]));
    let id = v.verify(&k.token(&claims("ann@example.org", "student"))).await.unwrap();
    assert_eq!(id.email, "ann@example.org");
    assert_eq!(id.role, Role::Student);

    // Role from the Kratos traits, email from sub.
    let mut c = claims("x", "x");
    let o = c.as_object_mut().unwrap();
    o.remove("email");
    o.remove("user_type");
    o.insert("sub".into(), json!("ed@example.org"));
    o.insert("traits".into(), json!({"user_type": "educator"}));
    let id = v.verify(&k.token(&c)).await.unwrap();
    assert_eq!((id.email.as_str(), id.role), ("ed@example.org", Role::Educator));

    // exp slightly past is within the 60 s leeway.
    let mut c = claims("ann@example.org", "student");
    c["exp"] = json!(now() - 30);
    assert!(v.verify(&k.token(&c)).await.is_ok());
}

#[tokio::test]
async fn expired_wrong_issuer_wrong_audience_and_future_tokens_are_refused() {
    let dir = tmpdir();
    let k = Rsa::new("k1");
    let v = verifier(write_jwks(&dir, &[k.jwk()]));
    let mut c = claims("ann@example.org", "student");
    c["exp"] = json!(now() - 120);
    assert!(invalid(v.verify(&k.token(&c)).await).contains("expired"));

    let mut c = claims("ann@example.org", "student");
    c["iss"] = json!("https://evil.example.org/");
    assert!(invalid(v.verify(&k.token(&c)).await).contains("issuer"));

    let mut c = claims("ann@example.org", "student");
    c["aud"] = json!("someone-else");
    assert!(invalid(v.verify(&k.token(&c)).await).contains("audience"));

    let mut c = claims("ann@example.org", "student");
    c["nbf"] = json!(now() + 600);
    assert!(invalid(v.verify(&k.token(&c)).await).contains("nbf"));

    let mut c = claims("ann@example.org", "student");
    c.as_object_mut().unwrap().remove("exp");
    assert!(invalid(v.verify(&k.token(&c)).await).contains("exp"));

    let c = claims("ann@example.org", "janitor");
    assert!(invalid(v.verify(&k.token(&c)).await).contains("role"));
}

#[tokio::test]
async fn alg_none_and_hmac_with_the_public_key_are_refused() {
    let dir = tmpdir();
    let k = Rsa::new("k1");
    let v = verifier(write_jwks(&dir, &[k.jwk()]));
    let c = claims("mallory@example.org", "educator");

    let none = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none", "typ": "JWT", "kid": "k1"}).to_string()),
        B64.encode(c.to_string())
    );
    invalid(v.verify(&none).await);

    // The classic confusion attack: HS256 keyed with the server's public key.
    for secret in [k.public_der(), serde_json::to_vec(&k.jwk()).unwrap()] {
        let msg = format!(
            "{}.{}",
            B64.encode(json!({"alg": "HS256", "typ": "JWT", "kid": "k1"}).to_string()),
            B64.encode(c.to_string())
        );
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
        let tag = aws_lc_rs::hmac::sign(&key, msg.as_bytes());
        let forged = format!("{msg}.{}", B64.encode(tag.as_ref()));
        let m = invalid(v.verify(&forged).await);
        assert!(m.contains("not allowed"), "{m}");
    }

    // RS256 header but an ES256/EdDSA-claimed key: header alg must match the key.
    let ed_dir = tmpdir();
    let dev = devauth::ensure_keys(&ed_dir).unwrap();
    let dev_verifier = Verifier::new(JwksSource::File(dev.jwks_path.clone()), ISS, AUD);
    let t = k.sign(&json!({"alg": "RS256", "kid": dev.kid}), &c);
    assert!(invalid(dev_verifier.verify(&t).await).contains("does not match"));
}

#[tokio::test]
async fn a_token_from_another_key_is_refused() {
    let dir = tmpdir();
    let good = Rsa::new("k1");
    let v = verifier(write_jwks(&dir, &[good.jwk()]));
    // Same kid, different key: bad signature.
    let evil = Rsa::new("k1");
    assert!(invalid(v.verify(&evil.token(&claims("m@example.org", "educator"))).await).contains("signature"));
    // Unknown kid.
    let other = Rsa::new("k9");
    assert!(invalid(v.verify(&other.token(&claims("m@example.org", "educator"))).await).contains("unknown"));
    // Garbage.
    invalid(v.verify("not.a.jwt").await);
    invalid(v.verify("").await);
}

#[tokio::test]
async fn unknown_kid_refetches_the_jwks_with_a_rate_limit() {
    let dir = tmpdir();
    let a = Rsa::new("a");
    let b = Rsa::new("b");
    let path = write_jwks(&dir, &[a.jwk()]);
    let v = verifier(path.clone()).with_refresh_min_interval(Duration::from_millis(300));
    assert!(v.verify(&a.token(&claims("s@example.org", "student"))).await.is_ok());
    // Rotation: b is published; within the rate limit it is not fetched yet.
    write_jwks(&dir, &[a.jwk(), b.jwk()]);
    let tb = b.token(&claims("s@example.org", "student"));
    assert!(invalid(v.verify(&tb).await).contains("unknown"));
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(v.verify(&tb).await.is_ok(), "after the interval the new key is fetched");
}

#[tokio::test]
async fn missing_jwks_is_unavailable_not_unauthorized() {
    let v = verifier(tmpdir().join("absent.json"));
    let k = Rsa::new("k1");
    assert!(matches!(v.verify(&k.token(&claims("s@example.org", "student"))).await, Err(AuthError::KeysUnavailable(_))));
}

#[tokio::test]
async fn dev_tokens_verify_with_the_dev_jwks() {
    let dir = tmpdir();
    let keys = devauth::ensure_keys(&dir).unwrap();
    let v = Verifier::new(JwksSource::File(keys.jwks_path.clone()), devauth::DEV_ISSUER, devauth::DEV_AUDIENCE);
    let t = devauth::mint(&dir, "dev@example.org", Role::Educator, Duration::from_secs(60)).unwrap();
    let id = v.verify(&t).await.unwrap();
    assert_eq!((id.email.as_str(), id.role), ("dev@example.org", Role::Educator));
    // A dev token is not accepted by a verifier expecting the real issuer.
    let real = Verifier::new(JwksSource::File(keys.jwks_path.clone()), ISS, AUD);
    assert!(invalid(real.verify(&t).await).contains("issuer"));
}

#[tokio::test]
async fn verified_tokens_are_memoised_but_forgeries_never_are() {
    let dir = tmpdir();
    let k = Rsa::new("k1");
    let v = verifier(write_jwks(&dir, &[k.jwk()]));
    let c = claims("ann@example.org", "student");
    let good = k.token(&c);
    assert!(v.verify(&good).await.is_ok());
    assert_eq!(v.verify(&good).await.unwrap().email, "ann@example.org");
    // Same header and claims, signature from another key: a different string, checked in full.
    let evil = Rsa::new("k1").token(&c);
    assert!(invalid(v.verify(&evil).await).contains("signature"));
    // Tampered claims on the memoised token's signature.
    let parts: Vec<&str> = good.split('.').collect();
    let mut c2 = c.clone();
    c2["user_type"] = json!("educator");
    let tampered = format!("{}.{}.{}", parts[0], B64.encode(c2.to_string()), parts[2]);
    assert!(invalid(v.verify(&tampered).await).contains("signature"));
}
