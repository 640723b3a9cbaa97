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
    };
    TestConfig {
        cfg,
        bucket,
        dbname,
        keys_dir,
    }
}
