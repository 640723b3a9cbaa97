//! The functions, linked into the `examfn` binary so one build serves the
//! local platform, the image (`examfn run <function>`) and the tests.

use std::path::Path;

use anyhow::{bail, Result};

/// Run one function in this process, configured from the environment.
pub fn run(name: &str) -> Result<()> {
    match name {
        #[cfg(feature = "functions")]
        "exam-gen" => examfn_exam_gen::main(),
        #[cfg(feature = "functions")]
        "take-exam" => examfn_take_exam::main(),
        #[cfg(feature = "functions")]
        "score-calc" => examfn_score_calc::main(),
        #[cfg(feature = "functions")]
        "email" => examfn_email::main(),
        #[cfg(feature = "functions")]
        "cdc-relay" => examfn_cdc_relay::main(),
        other => bail!("unknown function {other:?}: one of exam-gen, take-exam, score-calc, email, cdc-relay"),
    }
}

/// What the local platform prepares before the functions start: the dev
/// signing keys take-exam trusts and the subscribed local educator.
pub async fn prepare_local(data: &Path, mongodb_uri: &str, educator: &str) -> Result<()> {
    #[cfg(feature = "functions")]
    {
        examfn_take_exam::devauth::ensure_keys(&data.join("dev-auth"))?;
        let client = mongodb::Client::with_uri_str(mongodb_uri).await?;
        let db = client.database(examfn_domain::names::DATABASE);
        examfn_email::subscribe(&db, educator).await.map_err(|e| anyhow::anyhow!("subscribing {educator}: {e}"))?;
    }
    #[cfg(not(feature = "functions"))]
    let _ = (data, mongodb_uri, educator);
    Ok(())
}

/// A token the local take-exam accepts.
pub fn token(data: &Path, email: &str, role: &str, ttl: std::time::Duration) -> Result<String> {
    #[cfg(feature = "functions")]
    {
        let dir = data.join("dev-auth");
        examfn_take_exam::devauth::ensure_keys(&dir)?;
        let role = role.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(examfn_take_exam::devauth::mint(&dir, email, role, ttl)?)
    }
    #[cfg(not(feature = "functions"))]
    {
        let _ = (data, email, role, ttl);
        bail!("this build has no functions (feature `functions` is off)")
    }
}
