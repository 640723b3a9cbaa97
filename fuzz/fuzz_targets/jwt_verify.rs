//! JWT verification from arbitrary strings against a dev Ed25519 key set:
//! never a panic, never accepted, always Invalid (401).
#![no_main]
use std::sync::OnceLock;

use examfn_take_exam::auth::{AuthError, JwksSource, Verifier};
use examfn_take_exam::devauth;
use libfuzzer_sys::fuzz_target;

struct S {
    rt: tokio::runtime::Runtime,
    v: Verifier,
}

fn s() -> &'static S {
    static ONE: OnceLock<S> = OnceLock::new();
    ONE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("examfn-fuzz-jwt-{}", std::process::id()));
        let keys = devauth::ensure_keys(&dir).unwrap();
        let v = Verifier::new(JwksSource::File(keys.jwks_path.clone()), devauth::DEV_ISSUER, devauth::DEV_AUDIENCE);
        S { rt: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(), v }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let s = s();
    match s.rt.block_on(s.v.verify(token)) {
        Err(AuthError::Invalid(_)) => {}
        other => panic!("{other:?} for {token:?}"),
    }
});
