//! S3 (feature `s3`): config from the variables the AWS SDK and MinIO use, and
//! a path-style client (MinIO, the local S3 server).

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

use crate::config::{ConfigError, Env};
use crate::FnError;

#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub endpoint: Option<String>,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub bucket: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl S3Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let endpoint = env.optional("AWS_ENDPOINT_URL_S3");
        if let Some(e) = &endpoint {
            if !(e.starts_with("http://") || e.starts_with("https://")) {
                return Err(ConfigError::invalid("AWS_ENDPOINT_URL_S3", e.clone(), "must be an http(s) URL"));
            }
        }
        Ok(Self {
            endpoint,
            access_key: env.secret("AWS_ACCESS_KEY_ID")?,
            secret_key: env.secret("AWS_SECRET_ACCESS_KEY")?,
            region: env.string_or("AWS_REGION", "us-east-1"),
            bucket: env.string_or("BUCKET_NAME", "exams"),
        })
    }
}

/// A client; no request is made until first use.
///
/// Nothing is looked up at start-up: credentials and region are explicit (no
/// environment, profile file or instance-metadata chain). For an `http://`
/// endpoint (MinIO in the cluster, the local S3 server) the client speaks
/// plain HTTP, so no TLS configuration is built and the system's root
/// certificates are never loaded (the SDK's default HTTPS client reads and
/// parses all of `/etc/ssl/certs` when the client is created: ≈ 5 ms of every
/// cold start and ≈ 0.3 MB of heap). `https://` and AWS itself keep the SDK's
/// default rustls client.
pub fn client(cfg: &S3Config) -> aws_sdk_s3::Client {
    let creds = Credentials::new(&cfg.access_key, &cfg.secret_key, None, None, "examfn-config");
    let mut b = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(cfg.region.clone()))
        .credentials_provider(creds)
        .force_path_style(true);
    if let Some(e) = &cfg.endpoint {
        b = b.endpoint_url(e);
        if is_plain_http(e) {
            b = b.http_client(aws_smithy_http_client::Builder::new().build_http());
        }
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

fn is_plain_http(endpoint: &str) -> bool {
    endpoint.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

/// Map an SDK error: everything but a missing object is a dependency problem.
pub fn classify<E: std::fmt::Debug + std::error::Error + 'static, R: std::fmt::Debug>(
    what: &str,
    err: aws_sdk_s3::error::SdkError<E, R>,
) -> FnError {
    FnError::unavailable(format!("s3 {what}: {}", aws_sdk_s3::error::DisplayErrorContext(&err)))
}
