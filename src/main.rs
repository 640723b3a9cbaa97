//! `examfn`: run the whole platform locally, run the tests, run a function.
//!
//! ```text
//! cargo run --release -- up        start everything on loopback (Ctrl-C stops)
//! cargo run -- test                install what is missing, start the servers, run every test
//! ```

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use examfn::platform::{self, UpOptions};

const HELP: &str = "\
examfn — open-source exam platform (Knative CloudEvents functions in Rust)

USAGE:
  cargo run --release -- up [options]   start the whole platform locally (Ctrl-C stops it)
  cargo run -- test [-- <cargo test args>]
                                        start real servers on free ports and run every test
  cargo run -- down                     stop a running `up`
  cargo run -- status                   what runs and whether it is ready
  cargo run -- token --email E --role student|educator [--ttl-minutes M]
                                        a JWT the local take-exam accepts
  cargo run -- mail [--full] [--last N] the mail the local SMTP server received
  cargo run -- dlq <topic> [--replay]   list <topic>.dlq; --replay sends its records back to <topic>
  examfn run <function>                 run one function (exam-gen, take-exam, score-calc,
                                        email, cdc-relay), configured from the environment

OPTIONS (up, down, status, token, mail):
  --data-dir DIR       where data lives (default: .examfn in the project)
  --port-offset N      add N to every default port (a second platform beside the first)
  --http-port P        take-exam's port (default 8080; the other functions use P+1..P+4)
  --kafka-port P --mongo-port P --s3-port P --smtp-port P
                       server ports (defaults 9092, 27017, 9000 (+1 for the S3 backend), 2525)
  --educator EMAIL     the educator subscribed to notifications (default educator@examfn.local)
";

fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Args {
    items: Vec<String>,
}

impl Args {
    fn take_value(&mut self, flag: &str) -> Result<Option<String>> {
        if let Some(i) = self.items.iter().position(|a| a == flag) {
            if i + 1 >= self.items.len() {
                bail!("{flag} needs a value");
            }
            let v = self.items.remove(i + 1);
            self.items.remove(i);
            return Ok(Some(v));
        }
        Ok(None)
    }
    fn take_flag(&mut self, flag: &str) -> bool {
        if let Some(i) = self.items.iter().position(|a| a == flag) {
            self.items.remove(i);
            return true;
        }
        false
    }
    fn take_port(&mut self, flag: &str) -> Result<Option<u16>> {
        self.take_value(flag)?.map(|v| v.parse().with_context(|| format!("{flag} takes a port number, not {v:?}"))).transpose()
    }
    fn finish(self) -> Result<()> {
        if let Some(a) = self.items.first() {
            bail!("unexpected argument {a:?}; see `cargo run -- help`");
        }
        Ok(())
    }
}

fn main() -> Result<()> {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        print!("{HELP}");
        return Ok(());
    }
    let cmd = argv.remove(0);
    if cmd == "run" {
        let name = argv.first().context("run needs a function name")?.clone();
        return if name == "probe" { examfn::probe::main() } else { examfn::functions::run(&name) };
    }
    let (mut args, passthrough) = match argv.iter().position(|a| a == "--") {
        Some(i) => (Args { items: argv[..i].to_vec() }, argv[i + 1..].to_vec()),
        None => (Args { items: argv }, Vec::new()),
    };
    let mut o = UpOptions::defaults(&project_dir());
    if let Some(d) = args.take_value("--data-dir")? {
        o.data_dir = PathBuf::from(d);
    }
    if let Some(n) = args.take_port("--port-offset")? {
        o.offset_ports(n);
    }
    if let Some(p) = args.take_port("--http-port")? {
        o.http_port = p;
    }
    if let Some(p) = args.take_port("--kafka-port")? {
        o.servers.kafka = p;
    }
    if let Some(p) = args.take_port("--mongo-port")? {
        o.servers.mongo = p;
    }
    if let Some(p) = args.take_port("--s3-port")? {
        o.servers.s3 = p;
        o.servers.s3_backend = p + 1;
    }
    if let Some(p) = args.take_port("--smtp-port")? {
        o.servers.smtp = p;
    }
    if let Some(e) = args.take_value("--educator")? {
        o.educator = e;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cmd.as_str() {
        "up" => {
            args.finish()?;
            init_logs();
            rt.block_on(platform::up(o))
        }
        "down" => {
            args.finish()?;
            rt.block_on(platform::down(&o.data_dir))
        }
        "status" => {
            args.finish()?;
            rt.block_on(platform::status(&o.data_dir))
        }
        "mail" => {
            let full = args.take_flag("--full");
            let last = args.take_value("--last")?.map(|v| v.parse()).transpose()?.unwrap_or(20);
            args.finish()?;
            platform::mail(&o.data_dir, full, last)
        }
        "token" => {
            let email = args.take_value("--email")?.context("token needs --email")?;
            let role = args.take_value("--role")?.unwrap_or_else(|| "student".into());
            let ttl = args.take_value("--ttl-minutes")?.map(|v| v.parse::<u64>()).transpose()?.unwrap_or(60);
            args.finish()?;
            println!("{}", examfn::functions::token(&o.data_dir, &email, &role, Duration::from_secs(ttl * 60))?);
            Ok(())
        }
        "dlq" => {
            let replay = args.take_flag("--replay");
            let brokers = args.take_value("--brokers")?;
            let topic = if args.items.is_empty() { bail!("dlq needs a topic, e.g. email-topic") } else { args.items.remove(0) };
            args.finish()?;
            let brokers = match brokers {
                Some(b) => b,
                None => {
                    let e: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(o.data_dir.join("endpoints.json")).context("no endpoints.json: is the platform up? (or pass --brokers)")?)?;
                    e["kafka"]["bootstrap"].as_str().context("endpoints.json has no kafka")?.to_string()
                }
            };
            rt.block_on(examfn::dlq::run(&brokers, &topic, replay))
        }
        "test" => {
            args.finish()?;
            init_logs();
            let code = rt.block_on(examfn::testcmd::test(&project_dir(), &passthrough))?;
            std::process::exit(code);
        }
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command {other:?}; see `cargo run -- help`"),
    }
}

fn init_logs() {
    examfn_runtime::telemetry::init(examfn_runtime::config::LogFormat::Text, &std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
}
