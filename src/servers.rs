//! The real servers the platform and the tests run on loopback: tansu
//! (Kafka), MongoDB (`mongod` when on PATH, else nx-27017 behind our launcher,
//! as replica set `rs0`), s3s-fs behind the notification bridge (S3), and
//! aiosmtpd (SMTP into a Maildir); and the LLM server (llama-server), which
//! `up` supervises on its own (see `crate::llm`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
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

/// How one server is started, kept so it can be started again on the same
/// port with the same data dir after it crashed or was stopped.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub name: String,
    pub port: u16,
    program: PathBuf,
    args: Vec<OsString>,
    envs: Vec<(String, String)>,
    cwd: Option<PathBuf>,
    log: PathBuf,
    /// A pid file the server refuses to start over; removed before a
    /// restart (the previous process is known to be gone by then).
    pid_file: Option<PathBuf>,
}

impl ServerSpec {
    fn new(name: &str, program: &Path, log: PathBuf, port: u16) -> Self {
        Self { name: name.into(), port, program: program.to_path_buf(), args: Vec::new(), envs: Vec::new(), cwd: None, log, pid_file: None }
    }

    fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, a: I) -> Self {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }

    /// Start the server (not waiting for its port).
    pub fn spawn(&self) -> Result<Proc> {
        if let Some(pf) = &self.pid_file {
            let _ = std::fs::remove_file(pf);
        }
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        if let Some(d) = &self.cwd {
            cmd.current_dir(d);
        }
        Proc::spawn(&self.name, cmd, &self.log, self.port)
    }

    /// The arguments it is started with (tests/llm_chart_parity.rs holds the
    /// cluster's model server to them).
    pub fn argv(&self) -> &[OsString] {
        &self.args
    }

    /// The variables set for it beyond the inherited environment.
    pub fn env_vars(&self) -> &[(String, String)] {
        &self.envs
    }
}

/// What [`Servers::supervise`] did about a server that had exited.
#[derive(Debug, Clone)]
pub struct Restart {
    pub name: String,
    /// How it ended, and the end of its log.
    pub exit: String,
    /// How many times this server was restarted so far (this one included).
    pub count: u32,
    /// Ready again after this long.
    pub ready_in: Duration,
}

/// The running servers.
pub struct Servers {
    /// The server processes, in start order (kafka, mongodb, s3, smtp).
    pub procs: Vec<Proc>,
    /// How each of `procs` was started (same index).
    pub specs: Vec<ServerSpec>,
    /// Restarts of each of `procs` by [`Servers::supervise`] (same index).
    pub restarts: Vec<u32>,
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
        self.specs.clear();
        self.restarts.clear();
    }

    /// The index of the server whose name starts with `key` (`kafka`,
    /// `mongodb`, `s3`, `smtp`).
    pub fn index(&self, key: &str) -> Result<usize> {
        self.procs.iter().position(|p| p.name.starts_with(key)).with_context(|| format!("no server named {key:?}"))
    }

    /// The pid of a running server.
    pub fn pid(&self, key: &str) -> Option<u32> {
        self.index(key).ok().and_then(|i| self.procs[i].pid())
    }

    /// Stop one server (SIGTERM, SIGKILL after `grace`): an outage.
    pub async fn stop_one(&mut self, key: &str, grace: Duration) -> Result<()> {
        let i = self.index(key)?;
        self.procs[i].stop(grace).await;
        Ok(())
    }

    /// Kill one server with SIGKILL (a crash) and reap it.
    pub async fn kill_one(&mut self, key: &str) -> Result<()> {
        let i = self.index(key)?;
        let _ = self.procs[i].child.kill().await;
        Ok(())
    }

    /// Start one server again on its port and data dir (it must have
    /// exited) and wait until its port answers.
    pub async fn start_one(&mut self, key: &str) -> Result<Duration> {
        let i = self.index(key)?;
        self.respawn(i).await
    }

    async fn respawn(&mut self, i: usize) -> Result<Duration> {
        if self.procs[i].child.try_wait()?.is_none() {
            bail!("{} is still running", self.procs[i].name);
        }
        let mut p = self.specs[i].spawn()?;
        // A restarted server may find its port in TIME_WAIT or its previous
        // instance's socket still closing: allow a longer start than usual.
        let took = p.wait_port(Duration::from_secs(60)).await?;
        self.procs[i] = p;
        Ok(took)
    }

    /// Restart every server that has exited, at most `max_restarts` times
    /// each. Returns what was restarted; an error when a server has used up
    /// its restarts or does not come back.
    pub async fn supervise(&mut self, max_restarts: u32) -> Result<Vec<Restart>> {
        let mut done = Vec::new();
        for i in 0..self.procs.len() {
            let Some(status) = self.procs[i].child.try_wait()? else { continue };
            let p = &self.procs[i];
            let exit = format!("{status}; the end of {}:\n{}", p.log.display(), crate::procs::tail(&p.log, 12));
            if self.restarts[i] >= max_restarts {
                bail!("server {} exited ({exit}) after {} restarts: not restarting it again", p.name, self.restarts[i]);
            }
            self.restarts[i] += 1;
            let ready_in = self.respawn(i).await.with_context(|| format!("restarting server {}", self.procs[i].name))?;
            done.push(Restart { name: self.procs[i].name.clone(), exit, count: self.restarts[i], ready_in });
        }
        Ok(done)
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

/// llama-server (the local LLM, OpenAI-compatible) serving `gguf` on
/// 127.0.0.1:`port` as `alias`; its output appended to `log`.
pub fn llm_spec(bin: &Path, gguf: &Path, port: u16, threads: usize, alias: &str, log: PathBuf) -> ServerSpec {
    let mut spec = ServerSpec::new("llm (llama-server)", bin, log, port).args(crate::llm::server_args(gguf, port, threads, alias));
    // Its OpenMP threads sleep at a barrier instead of spinning: on cores
    // shared with the platform, spinning threads wait for each other's time
    // slices (Qwen 1.5B on 2 busy cores: 0.7 tokens/s spinning, 4.8 passive).
    spec.envs.push(("OMP_WAIT_POLICY".into(), "PASSIVE".into()));
    spec
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
        specs: Vec::new(),
        restarts: Vec::new(),
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
    let mut spec = ServerSpec::new("kafka (tansu)", &tansu, logs.join("kafka.log"), ports.kafka).args([
        "broker",
        "--listener-url",
        &url,
        "--advertised-listener-url",
        &url,
        "--storage-engine",
        "sqlite://tansu.db",
    ]);
    spec.cwd = Some(kdir.clone());
    let took = s.add(spec).await?;
    eprintln!("    kafka (tansu)        127.0.0.1:{}  ready in {} ms", ports.kafka, took.as_millis());
    let names: Vec<String> = topics();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    retry("creating topics", || examfn_runtime::kafka::ensure_topics(&s.kafka, &refs, 1)).await?;

    // MongoDB.
    let mdir = data.join("mongo");
    std::fs::create_dir_all(&mdir)?;
    let spec = if let Some(mongod) = tools::mongod_on_path() {
        s.mongo_kind = "mongod";
        ServerSpec::new("mongodb (mongod)", &mongod, logs.join("mongo.log"), ports.mongo)
            .args(["--replSet", "rs0", "--bind_ip", "127.0.0.1", "--port", &ports.mongo.to_string(), "--dbpath"])
            .arg(&mdir)
    } else {
        let mut spec = ServerSpec::new("mongodb (nx-27017)", &python, logs.join("mongo.log"), ports.mongo)
            .arg(mongo_launcher())
            .args(["--host", "127.0.0.1", "-p", &ports.mongo.to_string(), "--data-dir"])
            .arg(&mdir)
            .arg("--log-file")
            .arg(logs.join("mongo-server.log"))
            .arg("--pid-file")
            .arg(mdir.join("mongo.pid"));
        spec.envs.push(("NX_REPLSET".into(), "rs0".into()));
        spec.pid_file = Some(mdir.join("mongo.pid"));
        spec
    };
    let took = s.add(spec).await?;
    eprintln!("    mongodb ({})   127.0.0.1:{}  ready in {} ms", s.mongo_kind, ports.mongo, took.as_millis());
    if s.mongo_kind == "mongod" {
        init_replica_set(ports.mongo).await?;
    }

    // S3: s3s-fs on an inner port, the notification bridge on the public one.
    let sdir = data.join("s3");
    std::fs::create_dir_all(&sdir)?;
    let spec = ServerSpec::new("s3 (s3s-fs)", &s3s, logs.join("s3.log"), ports.s3_backend)
        .args(["--host", "127.0.0.1", "--port", &ports.s3_backend.to_string(), "--access-key", &secrets.s3_access_key, "--secret-key", &secrets.s3_secret_key])
        .arg(&sdir);
    s.add(spec).await?;
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
        suffixes: examfn_domain::upload::LectureFormat::EXTENSIONS.iter().map(|e| format!(".{e}")).collect(),
        public_endpoint: s.s3_endpoint.clone(),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", ports.s3)).await.with_context(|| format!("S3 port {} is taken", ports.s3))?;
    let app = s3bridge::router(bridge);
    s.bridge = Some(tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    }));
    eprintln!("    s3 (s3s-fs + bridge) 127.0.0.1:{}  bucket {:?}, notifications {}*.{{{}}} -> {}", ports.s3, names::BUCKET, names::UPLOAD_PREFIX, examfn_domain::upload::LectureFormat::EXTENSIONS.join(","), names::EXAM_GENERATOR_TOPIC);

    // SMTP.
    // A Maildir needs its three folders (aiosmtpd only creates them when the
    // directory itself does not exist yet).
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(s.maildir.join(sub))?;
    }
    let spec = ServerSpec::new("smtp (aiosmtpd)", &python, logs.join("smtp.log"), ports.smtp)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", ports.smtp), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&s.maildir);
    s.add(spec).await?;
    eprintln!("    smtp (aiosmtpd)      127.0.0.1:{}  mail kept in {}", ports.smtp, s.maildir.display());
    Ok(())
}

impl Servers {
    /// Start a server, wait for its port, and keep it with its spec.
    async fn add(&mut self, spec: ServerSpec) -> Result<Duration> {
        let mut p = spec.spawn()?;
        let took = p.wait_port(Duration::from_secs(30)).await;
        // Kept even when it failed, so `stop` ends it.
        self.procs.push(p);
        self.specs.push(spec);
        self.restarts.push(0);
        took
    }
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
