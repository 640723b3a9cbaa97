//! `examfn`: run the whole platform locally, run the tests, run a function.
//!
//! ```text
//! cargo run --release -- up        start everything on loopback (Ctrl-C stops)
//! cargo run -- test                install what is missing, start the servers, run every test
//! ```
//!
//! `examfn help <command>` (or `<command> --help`) describes each command.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::builder::PossibleValue;
use clap::{Args, CommandFactory, Parser, Subcommand};
use examfn::platform::{self, UpOptions};

/// examfn — open-source exam platform (Knative CloudEvents functions in Rust)
#[derive(Parser)]
#[command(
    name = "examfn",
    after_help = "Through cargo: `cargo run --release -- up`, `cargo run -- test`, `cargo run -- token --email E`.\n\
                  `examfn help <command>` describes one command."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the whole platform locally on loopback (Ctrl-C stops it)
    #[command(long_about = "Start the whole platform locally on loopback: Kafka, MongoDB, S3 and SMTP servers and every \
function, wired as in the cluster, and an OpenAI-compatible LLM server (llama.cpp's llama-server) for exam-gen. Prints \
the endpoints (UI first) and writes them to <data-dir>/endpoints.json. Ctrl-C (or `examfn down`) stops it; a second \
`up` on the same data dir resumes with everything kept. The platform does not wait for the LLM server: on a first run \
it is built and its model downloaded in the background (about 6 min on 2 cores), and exam-gen writes questions with its rules \
until it is ready (`examfn status` shows its progress).")]
    Up(UpArgs),
    /// Start real servers on free ports and run every test (arguments after `--` go to `cargo test`)
    #[command(long_about = "Install what is missing, start tansu, MongoDB, the S3 server, the SMTP server and an LLM \
server (llama-server with SmolLM2) on free loopback ports, run `cargo test --workspace` against them, then the \
offline deployment checks. Arguments after `--` \
go to `cargo test`; with `-p CRATE` only those packages are tested.",
        after_help = "Examples:\n  cargo run -- test\n  cargo run -- test -- -p examfn-email\n  cargo run -- test -- -p examfn --test platform_e2e")]
    Test {
        /// Arguments for `cargo test`, after `--`
        #[arg(last = true, value_name = "CARGO TEST ARGS")]
        cargo_args: Vec<String>,
    },
    /// Stop a running `up`
    Down(Shared),
    /// Show what runs and whether it is ready
    Status(Shared),
    /// Print a JWT the local take-exam accepts
    #[command(after_help = "Example:\n  cargo run -- token --email student@examfn.local --role student")]
    Token {
        /// Email address the token is for
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Role the token carries
        #[arg(long, value_name = "ROLE", default_value = "student", ignore_case = true,
              value_parser = ["student", "educator"])]
        role: String,
        /// Lifetime of the token in minutes
        #[arg(long, value_name = "M", default_value_t = 60)]
        ttl_minutes: u64,
        #[command(flatten)]
        shared: Shared,
    },
    /// List the mail the local SMTP server received
    Mail {
        /// Print whole messages, not only their headers
        #[arg(long)]
        full: bool,
        /// Show the last N messages
        #[arg(long, value_name = "N", default_value_t = 20)]
        last: usize,
        #[command(flatten)]
        shared: Shared,
    },
    /// List <topic>.dlq; with --replay send its records back to <topic>
    #[command(after_help = "Example:\n  cargo run -- dlq email-topic --replay")]
    Dlq {
        /// The topic whose dead-letter topic (<topic>.dlq) is read, e.g. email-topic
        #[arg(value_name = "TOPIC")]
        topic: String,
        /// Send the records not replayed before back to <topic>
        #[arg(long)]
        replay: bool,
        /// Kafka bootstrap servers (default: the running platform's, from <data-dir>/endpoints.json)
        #[arg(long, value_name = "HOST:PORT")]
        brokers: Option<String>,
        #[command(flatten)]
        shared: Shared,
    },
    /// Run one function, configured from the environment (what the container image runs)
    Run {
        /// The function to run
        #[arg(value_name = "FUNCTION", value_parser = function_names())]
        function: String,
    },
}

/// The functions `run` starts; `probe` is the runtime tests' own.
fn function_names() -> [PossibleValue; 6] {
    [
        PossibleValue::new("exam-gen"),
        PossibleValue::new("take-exam"),
        PossibleValue::new("score-calc"),
        PossibleValue::new("email"),
        PossibleValue::new("cdc-relay"),
        PossibleValue::new("probe").hide(true),
    ]
}

/// `up`'s own options: the LLM server.
#[derive(Args)]
struct UpArgs {
    #[command(flatten)]
    shared: Shared,
    /// The LLM server's port (OpenAI API at http://127.0.0.1:P/v1) [default: 8090]
    #[arg(long, value_name = "P", help_heading = "LLM options")]
    llm_port: Option<u16>,
    /// The model the LLM server serves: qwen (Qwen2.5-Coder-1.5B-Instruct, 1.1 GB, ≈2 GB of memory), smollm2
    /// (SmolLM2-135M-Instruct, 98 MB: for small machines, weak questions) or off (as --no-llm) [default: qwen, or
    /// $EXAMFN_LLM_MODEL]
    #[arg(long, value_name = "MODEL", ignore_case = true, value_parser = ["qwen", "smollm2", "off"],
          help_heading = "LLM options")]
    llm_model: Option<String>,
    /// No LLM server: nothing installed or started, exam-gen writes questions with its rules only
    #[arg(long, conflicts_with_all = ["llm_port", "llm_model"], help_heading = "LLM options")]
    no_llm: bool,
}

impl UpArgs {
    fn options(self) -> Result<UpOptions> {
        let env = std::env::var("EXAMFN_LLM_MODEL").ok();
        self.options_with(env.as_deref())
    }

    /// The options, `env` being `$EXAMFN_LLM_MODEL`.
    fn options_with(self, env: Option<&str>) -> Result<UpOptions> {
        let mut o = self.shared.options();
        if let Some(p) = self.llm_port {
            o.llm_port = p;
        }
        o.llm_model = llm_choice(self.no_llm, self.llm_model.as_deref(), env)?;
        Ok(o)
    }
}

/// The model `up` serves: `--no-llm`, else `--llm-model`, else
/// `$EXAMFN_LLM_MODEL` (the test command sets it to `off`, so the platforms
/// the tests start run without their own LLM server), else qwen.
fn llm_choice(no_llm: bool, flag: Option<&str>, env: Option<&str>) -> Result<Option<examfn::tools::LlmModel>> {
    use examfn::tools::LlmModel;
    if no_llm {
        return Ok(None);
    }
    match flag.or(env.filter(|v| !v.is_empty())) {
        None => Ok(Some(LlmModel::Qwen)),
        Some(v) if v.eq_ignore_ascii_case("off") => Ok(None),
        Some(v) => LlmModel::from_key(v).map(Some).with_context(|| format!("EXAMFN_LLM_MODEL={v}: expected qwen, smollm2 or off")),
    }
}

/// Where the local platform keeps its data and which ports it uses.
#[derive(Args)]
#[command(next_help_heading = "Platform options")]
struct Shared {
    /// Where data lives [default: .examfn in the project]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Add N to every default port (a second platform beside the first)
    #[arg(long, value_name = "N")]
    port_offset: Option<u16>,
    /// take-exam's port; the other functions use P+1..P+4 [default: 8080]
    #[arg(long, value_name = "P")]
    http_port: Option<u16>,
    /// Kafka's port [default: 9092]
    #[arg(long, value_name = "P")]
    kafka_port: Option<u16>,
    /// MongoDB's port [default: 27017]
    #[arg(long, value_name = "P")]
    mongo_port: Option<u16>,
    /// The S3 port; its backend uses P+1 [default: 9000]
    #[arg(long, value_name = "P")]
    s3_port: Option<u16>,
    /// The SMTP server's port [default: 2525]
    #[arg(long, value_name = "P")]
    smtp_port: Option<u16>,
    /// The educator subscribed to notifications
    #[arg(long, value_name = "EMAIL", default_value = "educator@examfn.local")]
    educator: String,
}

impl Shared {
    fn options(self) -> UpOptions {
        let mut o = UpOptions::defaults(&project_dir());
        if let Some(d) = self.data_dir {
            o.data_dir = d;
        }
        if let Some(n) = self.port_offset {
            o.offset_ports(n);
        }
        if let Some(p) = self.http_port {
            o.http_port = p;
        }
        if let Some(p) = self.kafka_port {
            o.servers.kafka = p;
        }
        if let Some(p) = self.mongo_port {
            o.servers.mongo = p;
        }
        if let Some(p) = self.s3_port {
            o.servers.s3 = p;
            o.servers.s3_backend = p + 1;
        }
        if let Some(p) = self.smtp_port {
            o.servers.smtp = p;
        }
        o.educator = self.educator;
        o
    }
}

fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() -> Result<()> {
    let Some(command) = Cli::parse().command else {
        Cli::command().print_help()?;
        return Ok(());
    };
    // `run` starts a function, which builds its own Tokio runtime.
    let rt = || tokio::runtime::Builder::new_multi_thread().enable_all().build();
    match command {
        Command::Run { function } if function == "probe" => examfn::probe::main(),
        Command::Run { function } => examfn::functions::run(&function),
        Command::Up(args) => {
            init_logs();
            rt()?.block_on(platform::up(args.options()?))
        }
        Command::Down(shared) => rt()?.block_on(platform::down(&shared.options().data_dir)),
        Command::Status(shared) => rt()?.block_on(platform::status(&shared.options().data_dir)),
        Command::Mail { full, last, shared } => platform::mail(&shared.options().data_dir, full, last),
        Command::Token { email, role, ttl_minutes, shared } => {
            let ttl = Duration::from_secs(ttl_minutes.saturating_mul(60));
            println!("{}", examfn::functions::token(&shared.options().data_dir, &email, &role, ttl)?);
            Ok(())
        }
        Command::Dlq { topic, replay, brokers, shared } => {
            let brokers = match brokers {
                Some(b) => b,
                None => {
                    let path = shared.options().data_dir.join("endpoints.json");
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("no {}: is the platform up? (or pass --brokers)", path.display()))?;
                    let e: serde_json::Value = serde_json::from_str(&text)?;
                    e["kafka"]["bootstrap"].as_str().context("endpoints.json has no kafka")?.to_string()
                }
            };
            rt()?.block_on(examfn::dlq::run(&brokers, &topic, replay))
        }
        Command::Test { cargo_args } => {
            init_logs();
            let code = rt()?.block_on(examfn::testcmd::test(&project_dir(), &cargo_args))?;
            std::process::exit(code);
        }
    }
}

fn init_logs() {
    examfn_runtime::telemetry::init(examfn_runtime::config::LogFormat::Text, &std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn up(args: &[&str]) -> UpOptions {
        let cli = Cli::try_parse_from([&["examfn", "up"][..], args].concat()).unwrap();
        match cli.command {
            Some(Command::Up(a)) => a.options_with(None).unwrap(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn up_serves_qwen_on_8090_shifted_with_the_other_ports_unless_told_otherwise() {
        use examfn::tools::LlmModel;
        let o = up(&[]);
        assert_eq!((o.llm_port, o.llm_model), (8090, Some(LlmModel::Qwen)));
        let o = up(&["--port-offset", "300"]);
        assert_eq!((o.llm_port, o.http_port), (8390, 8380));
        let o = up(&["--port-offset", "300", "--llm-port", "9999", "--llm-model", "SmolLM2"]);
        assert_eq!((o.llm_port, o.llm_model), (9999, Some(LlmModel::SmolLm2)));
        assert_eq!(up(&["--no-llm"]).llm_model, None);
        assert_eq!(up(&["--llm-model", "off"]).llm_model, None);
        assert!(Cli::try_parse_from(["examfn", "up", "--no-llm", "--llm-port", "1"]).is_err());
        // $EXAMFN_LLM_MODEL when no option says otherwise.
        assert_eq!(llm_choice(false, None, Some("off")).unwrap(), None);
        assert_eq!(llm_choice(false, None, Some("smollm2")).unwrap(), Some(LlmModel::SmolLm2));
        assert_eq!(llm_choice(false, Some("smollm2"), Some("off")).unwrap(), Some(LlmModel::SmolLm2));
        assert_eq!(llm_choice(true, None, Some("qwen")).unwrap(), None);
        assert_eq!(llm_choice(false, None, Some("")).unwrap(), Some(LlmModel::Qwen));
        assert!(llm_choice(false, None, Some("gpt")).unwrap_err().to_string().contains("EXAMFN_LLM_MODEL=gpt"));
        assert!(Cli::try_parse_from(["examfn", "up", "--llm-model", "gpt"]).is_err());
        // exam-gen learns the server's address from the start, or nothing with --no-llm.
        let env = platform::llm_env(&up(&["--port-offset", "300"]));
        assert_eq!(env, vec![("LLM_BASE_URL", "http://127.0.0.1:8390/v1".to_string()), ("LLM_MODEL", "qwen2.5-coder-1.5b-instruct".to_string()), ("LLM_PARALLEL", "2".to_string())]);
        assert!(platform::llm_env(&up(&["--no-llm"])).is_empty());
    }

    #[test]
    fn up_help_names_the_llm_options_and_their_defaults() {
        let help = Cli::command().find_subcommand_mut("up").unwrap().render_long_help().to_string();
        for want in ["--llm-port <P>", "[default: 8090]", "--llm-model <MODEL>", "[default: qwen, or $EXAMFN_LLM_MODEL]", "qwen, smollm2, off", "--no-llm", "--port-offset <N>"] {
            assert!(help.contains(want), "up --help lacks {want:?}:\n{help}");
        }
    }
}
