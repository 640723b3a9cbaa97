//! The real servers the platform and the tests run on loopback: tansu
//! (Kafka), MongoDB (`mongod` when on PATH, else nx-27017 behind our launcher,
//! as replica set `rs0`), s3s-fs behind the notification bridge (S3), and
//! aiosmtpd (SMTP into a Maildir).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use examfn_domain::names;
use serde::{Deserialize, Serialize};
use tokio::process::Command;

use crate::procs::Proc;
use crate::s3bridge;
use crate::tools::{self, Cache};

/// Ports of the servers.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ServerPorts {
    pub kafka: u16,
    pub mongo: u16,
    pub s3: u16,
    pub s3_backend: u16,
    pub smtp: u16,
}

/// Credentials generated once per data dir and kept there (mode 0600).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secrets {
    pub s3_access_key: String,
    pub s3_secret_key: String,
    pub kratos_webhook_secret: String,
    pub unsubscribe_secret: String,
}

impl Secrets {
    pub fn load_or_create(data: &Path) -> Result<Self> {
        let path = data.join("secrets.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()));
        }
        let r = || uuid::Uuid::new_v4().simple().to_string();
        let s = Self { s3_access_key: "examfn-local".into(), s3_secret_key: r(), kratos_webhook_secret: r(), unsubscribe_secret: r() };
        std::fs::create_dir_all(data)?;
        std::fs::write(&path, serde_json::to_string_pretty(&s)?)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(s)
    }
}

/// The running servers.
pub struct Servers {
    pub procs: Vec<Proc>,
    pub kafka: String,
    pub mongodb_uri: String,
    pub s3_endpoint: String,
    pub smtp: String,
    pub maildir: PathBuf,
    pub mongo_kind: &'static str,
    bridge: Option<tokio::task::JoinHandle<()>>,
}

impl Servers {
    /// Stop in reverse order of start.
    pub async fn stop(&mut self) {
        if let Some(b) = self.bridge.take() {
            b.abort();
        }
        while let Some(mut p) = self.procs.pop() {
            p.stop(Duration::from_secs(10)).await;
        }
    }
}

/// Every topic the code names, and its dead-letter topic.
pub fn topics() -> Vec<String> {
    let mut v = Vec::new();
    for t in [names::EXAM_GENERATOR_TOPIC, names::SCORE_CDC_TOPIC, names::EMAIL_TOPIC] {
        v.push(t.to_string());
        v.push(format!("{t}{}", names::DLQ_SUFFIX));
    }
    v
}

/// The launcher that makes nx-27017 usable by the Rust driver.
pub fn mongo_launcher() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("platform/mongo_launcher.py")
}

/// Start every server with its data under `data`. Progress goes to stderr.
pub async fn start(cache: &Cache, data: &Path, ports: ServerPorts, secrets: &Secrets) -> Result<Servers> {
    let logs = data.join("logs");
    let mut s = Servers {
        procs: Vec::new(),
        kafka: format!("127.0.0.1:{}", ports.kafka),
        mongodb_uri: format!("mongodb://127.0.0.1:{}/?replicaSet=rs0", ports.mongo),
        s3_endpoint: format!("http://127.0.0.1:{}", ports.s3),
        smtp: format!("127.0.0.1:{}", ports.smtp),
        maildir: data.join("mail"),
        mongo_kind: "nx-27017",
        bridge: None,
    };
    let result = start_into(&mut s, cache, data, &logs, ports, secrets).await;
    if let Err(e) = result {
        s.stop().await;
        return Err(e);
    }
    Ok(s)
}

async fn start_into(s: &mut Servers, cache: &Cache, data: &Path, logs: &Path, ports: ServerPorts, secrets: &Secrets) -> Result<()> {
    let tansu = cache.tansu()?;
    let s3s = cache.s3s_fs()?;
    let python = cache.python()?;

    // Kafka.
    let kdir = data.join("kafka");
    std::fs::create_dir_all(&kdir)?;
    let url = format!("tcp://127.0.0.1:{}", ports.kafka);
    let mut cmd = Command::new(&tansu);
    cmd.current_dir(&kdir).args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "sqlite://tansu.db"]);
    let mut p = Proc::spawn("kafka (tansu)", cmd, &logs.join("kafka.log"), ports.kafka)?;
    let took = p.wait_port(Duration::from_secs(30)).await?;
    eprintln!("    kafka (tansu)        127.0.0.1:{}  ready in {} ms", ports.kafka, took.as_millis());
    s.procs.push(p);
    let names: Vec<String> = topics();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    retry("creating topics", || examfn_runtime::kafka::ensure_topics(&s.kafka, &refs, 1)).await?;

    // MongoDB.
    let mdir = data.join("mongo");
    std::fs::create_dir_all(&mdir)?;
    let mut p = if let Some(mongod) = tools::mongod_on_path() {
        s.mongo_kind = "mongod";
        let mut cmd = Command::new(mongod);
        cmd.args(["--replSet", "rs0", "--bind_ip", "127.0.0.1", "--port", &ports.mongo.to_string(), "--dbpath"]).arg(&mdir);
        Proc::spawn("mongodb (mongod)", cmd, &logs.join("mongo.log"), ports.mongo)?
    } else {
        let mut cmd = Command::new(&python);
        cmd.arg(mongo_launcher())
            .args(["--host", "127.0.0.1", "-p", &ports.mongo.to_string(), "--data-dir"])
            .arg(&mdir)
            .arg("--log-file")
            .arg(logs.join("mongo-server.log"))
            .arg("--pid-file")
            .arg(mdir.join("mongo.pid"))
            .env("NX_REPLSET", "rs0");
        Proc::spawn("mongodb (nx-27017)", cmd, &logs.join("mongo.log"), ports.mongo)?
    };
    let took = p.wait_port(Duration::from_secs(30)).await?;
    eprintln!("    mongodb ({})   127.0.0.1:{}  ready in {} ms", s.mongo_kind, ports.mongo, took.as_millis());
    s.procs.push(p);
    if s.mongo_kind == "mongod" {
        init_replica_set(ports.mongo).await?;
    }

    // S3: s3s-fs on an inner port, the notification bridge on the public one.
    let sdir = data.join("s3");
    std::fs::create_dir_all(&sdir)?;
    let mut cmd = Command::new(&s3s);
    cmd.args(["--host", "127.0.0.1", "--port", &ports.s3_backend.to_string(), "--access-key", &secrets.s3_access_key, "--secret-key", &secrets.s3_secret_key])
        .arg(&sdir);
    let mut p = Proc::spawn("s3 (s3s-fs)", cmd, &logs.join("s3.log"), ports.s3_backend)?;
    p.wait_port(Duration::from_secs(30)).await?;
    s.procs.push(p);
    let backend = format!("http://127.0.0.1:{}", ports.s3_backend);
    let s3 = examfn_runtime::s3::client(&examfn_runtime::s3::S3Config {
        endpoint: Some(backend.clone()),
        access_key: secrets.s3_access_key.clone(),
        secret_key: secrets.s3_secret_key.clone(),
        region: "us-east-1".into(),
        bucket: names::BUCKET.into(),
    });
    ensure_bucket(&s3, names::BUCKET).await?;
    let bridge = Arc::new(s3bridge::Bridge {
        backend,
        http: reqwest::Client::builder().build()?,
        s3,
        emitter: examfn_runtime::kafka::Emitter::new(&s.kafka)?,
        topic: names::EXAM_GENERATOR_TOPIC.into(),
        prefix: names::UPLOAD_PREFIX.into(),
        suffix: ".pdf".into(),
        public_endpoint: s.s3_endpoint.clone(),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", ports.s3)).await.with_context(|| format!("S3 port {} is taken", ports.s3))?;
    let app = s3bridge::router(bridge);
    s.bridge = Some(tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    }));
    eprintln!("    s3 (s3s-fs + bridge) 127.0.0.1:{}  bucket {:?}, notifications {}*.pdf -> {}", ports.s3, names::BUCKET, names::UPLOAD_PREFIX, names::EXAM_GENERATOR_TOPIC);

    // SMTP.
    // A Maildir needs its three folders (aiosmtpd only creates them when the
    // directory itself does not exist yet).
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(s.maildir.join(sub))?;
    }
    let mut cmd = Command::new(&python);
    cmd.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", ports.smtp), "-c", "aiosmtpd.handlers.Mailbox"]).arg(&s.maildir);
    let mut p = Proc::spawn("smtp (aiosmtpd)", cmd, &logs.join("smtp.log"), ports.smtp)?;
    p.wait_port(Duration::from_secs(30)).await?;
    eprintln!("    smtp (aiosmtpd)      127.0.0.1:{}  mail kept in {}", ports.smtp, s.maildir.display());
    s.procs.push(p);
    Ok(())
}

async fn retry<F, Fut, T>(what: &str, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, examfn_runtime::FnError>>,
{
    let mut last = None;
    for n in 1..=20 {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100 * n)).await;
    }
    anyhow::bail!("{what}: {}", last.map(|e| e.to_string()).unwrap_or_default())
}

async fn ensure_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<()> {
    if s3.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("creating bucket {bucket}: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    Ok(())
}

async fn init_replica_set(port: u16) -> Result<()> {
    use mongodb::bson::doc;
    let client = mongodb::Client::with_uri_str(format!("mongodb://127.0.0.1:{port}/?directConnection=true")).await?;
    let admin = client.database("admin");
    let cfg = doc! {"_id": "rs0", "members": [{"_id": 0, "host": format!("127.0.0.1:{port}")}]};
    match admin.run_command(doc! {"replSetInitiate": cfg}).await {
        Ok(_) => {}
        Err(e) if e.to_string().contains("already initialized") => {}
        Err(e) => return Err(e.into()),
    }
    for _ in 0..100 {
        if let Ok(r) = admin.run_command(doc! {"hello": 1}).await {
            if r.get_bool("isWritablePrimary").unwrap_or(false) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("mongod did not become primary of rs0")
}
