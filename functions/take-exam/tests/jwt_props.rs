//! Property tests of JWT verification: a valid token is accepted with its
//! identity; no mutation of it (a changed, inserted or removed character
//! anywhere, a truncation, a re-signed or unsigned forgery) is ever
//! accepted; arbitrary strings never panic and are refused as invalid (401),
//! never as a server fault. Cases: PROPTEST_CASES (default 256).

use std::time::Duration;

use examfn_take_exam::auth::{AuthError, JwksSource, Role, Verifier};
use examfn_take_exam::devauth::{self, DevKeys};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

struct Setup {
    keys: DevKeys,
    verifier: Verifier,
    rt: tokio::runtime::Runtime,
}

fn setup() -> Setup {
    let dir = std::env::temp_dir().join(format!("examfn-jwt-props-{}", uuid::Uuid::new_v4().simple()));
    let keys = devauth::ensure_keys(&dir).unwrap();
    let verifier = Verifier::new(JwksSource::File(keys.jwks_path.clone()), devauth::DEV_ISSUER, devauth::DEV_AUDIENCE);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    Setup { keys, verifier, rt }
}

fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// One edit of a token: replace, insert or delete a character, or truncate.
fn mutate(token: &str, kind: u8, at: usize, c: char) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let at = at % (chars.len() + 1);
    match kind % 4 {
        0 if at < chars.len() => {
            if chars[at] == c {
                chars[at] = if c == 'A' { 'B' } else { 'A' };
            } else {
                chars[at] = c;
            }
        }
        1 => chars.insert(at, c),
        2 if at < chars.len() => {
            chars.remove(at);
        }
        _ => chars.truncate(at.min(chars.len().saturating_sub(1))),
    }
    chars.into_iter().collect()
}

fn token_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.".chars().collect::<Vec<_>>()),
        prop::sample::select(vec!['=', '+', '/', ' ', '\0', 'é']),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_tokens_verify_and_no_mutation_is_accepted(
        user in "[a-z0-9.]{1,12}",
        domain in "[a-z]{1,10}\\.[a-z]{2,4}",
        educator in any::<bool>(),
        edits in prop::collection::vec((any::<u8>(), any::<usize>(), token_char()), 1..4),
    ) {
        thread_local!(static S: Setup = setup());
        S.with(|s| {
            let email = format!("{user}@{domain}");
            let role = if educator { Role::Educator } else { Role::Student };
            let token = s.keys.mint(&email, role, Duration::from_secs(600)).unwrap();
            let id = s.rt.block_on(s.verifier.verify(&token)).unwrap();
            prop_assert_eq!(&id.email, &email);
            prop_assert_eq!(id.role, role);
            let mut bad = token.clone();
            for (kind, at, c) in edits {
                bad = mutate(&bad, kind, at, c);
            }
            if bad != token {
                let r = s.rt.block_on(s.verifier.verify(&bad));
                prop_assert!(matches!(r, Err(AuthError::Invalid(_))), "mutated token accepted or misclassified: {:?}\n{}\n{}", r, token, bad);
            }
            Ok(())
        })?;
    }

    #[test]
    fn forged_tokens_are_refused(
        claims_email in "[a-z]{1,8}@[a-z]{1,8}\\.org",
        alg in prop::sample::select(vec!["none", "HS256", "HS512", "RS256", "ES256", "EdDSA", "PS256", ""]),
        sig in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        thread_local!(static S: Setup = setup());
        S.with(|s| {
            // A real token's kid and claims, with another alg and signature.
            let real = s.keys.mint(&claims_email, Role::Educator, Duration::from_secs(600)).unwrap();
            let parts: Vec<&str> = real.split('.').collect();
            let header: serde_json::Value = serde_json::from_slice(
                &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[0]).unwrap()).unwrap();
            let forged_header = serde_json::json!({"alg": alg, "typ": "JWT", "kid": header["kid"]});
            for signature in [b64(&sig), String::new()] {
                let forged = format!("{}.{}.{}", b64(forged_header.to_string().as_bytes()), parts[1], signature);
                let r = s.rt.block_on(s.verifier.verify(&forged));
                prop_assert!(matches!(r, Err(AuthError::Invalid(_))), "forgery accepted or misclassified: {:?}", r);
            }
            // The real header and claims with a random signature.
            let r = s.rt.block_on(s.verifier.verify(&format!("{}.{}.{}", parts[0], parts[1], b64(&sig))));
            prop_assert!(matches!(r, Err(AuthError::Invalid(_))), "{:?}", r);
            Ok(())
        })?;
    }

    #[test]
    fn arbitrary_strings_are_refused_as_invalid(s in "\\PC{0,200}", parts in prop::collection::vec("[A-Za-z0-9_-]{0,40}", 0..5)) {
        thread_local!(static S: Setup = setup());
        S.with(|st| {
            for t in [s.clone(), parts.join(".")] {
                let r = st.rt.block_on(st.verifier.verify(&t));
                prop_assert!(matches!(r, Err(AuthError::Invalid(_))), "{:?} for {:?}", r, t);
            }
            Ok(())
        })?;
    }
}
