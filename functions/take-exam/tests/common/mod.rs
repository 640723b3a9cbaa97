//! What the take-exam tests' fixtures share: a [`Config`] on the test
//! servers (`cargo run -- test`) with its own bucket, database and
//! development signing keys.
// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use examfn_runtime::mongo::MongoConfig;
use examfn_runtime::s3::S3Config;
use examfn_runtime::testing;
use examfn_take_exam::{devauth, AuthConfig, Config};

pub struct TestConfig {
    pub cfg: Config,
    pub bucket: String,
    pub dbname: String,
    pub keys_dir: PathBuf,
}

/// A configuration whose bucket, database and key directory are named
/// after `prefix` and unique to this call.
pub fn test_config(
    prefix: &str,
    upload_max_bytes: usize,
    exam_cache_ttl: Duration,
    publish_on_generation: bool,
) -> TestConfig {
    let (endpoint, access_key, secret_key) = testing::s3();
    let bucket = testing::unique(prefix).to_lowercase();
    let dbname = testing::unique(prefix).replace('-', "_");
    let keys_dir = std::env::temp_dir().join(testing::unique(&format!("{prefix}-keys")));
    let cfg = Config {
        mongo: MongoConfig {
            uri: testing::mongodb_uri(),
            database: dbname.clone(),
        },
        s3: S3Config {
            endpoint: Some(endpoint),
            access_key,
            secret_key,
            region: "us-east-1".into(),
            bucket: bucket.clone(),
        },
        auth: AuthConfig::Dev {
            dir: keys_dir.clone(),
            issuer: devauth::DEV_ISSUER.into(),
            audience: devauth::DEV_AUDIENCE.into(),
        },
        cors_allowed_origins: vec![],
        upload_max_bytes,
        exam_cache_ttl,
        publish_on_generation,
        attempt_grace: Duration::from_secs(30),
        exam_admin_email: None,
        attempt_sweep: Duration::from_secs(60),
    };
    TestConfig {
        cfg,
        bucket,
        dbname,
        keys_dir,
    }
}

/// Run a `ui-tests/*.js` browser script against `base` with headless Debian
/// chromium through the playwright-core that `cargo run -- test` installed
/// (`EXAMFN_TEST_PLAYWRIGHT_DIR`); screenshots and downloads go to
/// `artifacts`. Fails the test, with the script's output, unless it passes
/// within 180 s. Returns its standard output.
pub async fn run_browser_script(script: &str, base: &str, artifacts: &std::path::Path, env: &[(&str, String)]) -> String {
    let pw = std::env::var("EXAMFN_TEST_PLAYWRIGHT_DIR").unwrap_or_else(|_| {
        panic!(
            "EXAMFN_TEST_PLAYWRIGHT_DIR is not set: run the tests with `cargo run -- test`, which installs \
             playwright-core and Debian chromium and points this at the directory holding node_modules/playwright-core"
        )
    });
    assert!(PathBuf::from(&pw).join("node_modules/playwright-core/package.json").exists(), "no playwright-core under {pw}");
    assert!(PathBuf::from("/usr/bin/chromium").exists(), "Debian chromium is not installed (/usr/bin/chromium)");
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::process::Command::new("node")
            .arg(manifest.join("ui-tests").join(script))
            .arg(base)
            .env("EXAMFN_TEST_PLAYWRIGHT_DIR", &pw)
            .env("EXAMFN_UI_ARTIFACTS", artifacts)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the browser test finishes within 180 s")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "browser test failed ({}):\n{stdout}\n{stderr}", out.status);
    stdout
}
