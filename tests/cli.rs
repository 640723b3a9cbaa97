//! The `examfn` command line as a user meets it: every command has its own
//! help, and a mistake is answered with what to type. These run the built
//! binary and need no servers (nothing here gets past argument parsing,
//! except `token`, which only writes a key pair into a temporary data dir).

use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_examfn");

const COMMANDS: [&str; 8] = ["up", "test", "down", "status", "token", "mail", "dlq", "run"];

fn examfn(args: &[&str]) -> Output {
    Command::new(EXE).args(args).env("NO_COLOR", "1").output().expect("the examfn binary runs")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn help_lists_every_command() {
    for args in [&["--help"][..], &["help"], &["-h"], &[]] {
        let out = examfn(args);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "examfn {args:?}: {stderr}");
        for c in COMMANDS {
            assert!(stdout.lines().any(|l| l.trim_start().starts_with(&format!("{c} "))), "examfn {args:?} does not list {c}:\n{stdout}");
        }
        assert!(!stdout.contains("probe"), "the test-only function is not advertised:\n{stdout}");
    }
}

#[test]
fn every_command_has_its_own_help() {
    for c in COMMANDS {
        let out = examfn(&[c, "--help"]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "examfn {c} --help: {stderr}");
        assert!(stdout.contains(&format!("Usage: examfn {c}")), "examfn {c} --help:\n{stdout}");
        // `help <command>` says the same.
        let (via_help, _) = text(&examfn(&["help", c]));
        assert_eq!(via_help, stdout, "examfn help {c}");
    }
}

#[test]
fn token_help_names_its_options_and_defaults() {
    let out = examfn(&["token", "--help"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for want in ["--email <EMAIL>", "--role <ROLE>", "[default: student]", "student, educator", "--ttl-minutes <M>", "[default: 60]", "--data-dir <DIR>"] {
        assert!(stdout.contains(want), "token --help lacks {want:?}:\n{stdout}");
    }
}

#[test]
fn shared_options_and_defaults_are_documented() {
    let (stdout, _) = text(&examfn(&["up", "--help"]));
    for want in [
        "--data-dir <DIR>",
        "--port-offset <N>",
        "--http-port <P>",
        "[default: 8080]",
        "--kafka-port <P>",
        "[default: 9092]",
        "--mongo-port <P>",
        "[default: 27017]",
        "--s3-port <P>",
        "[default: 9000]",
        "--smtp-port <P>",
        "[default: 2525]",
        "--educator <EMAIL>",
        "[default: educator@examfn.local]",
    ] {
        assert!(stdout.contains(want), "up --help lacks {want:?}:\n{stdout}");
    }
    let (stdout, _) = text(&examfn(&["mail", "--help"]));
    assert!(stdout.contains("--full") && stdout.contains("--last <N>") && stdout.contains("[default: 20]"), "{stdout}");
    let (stdout, _) = text(&examfn(&["dlq", "--help"]));
    assert!(stdout.contains("<TOPIC>") && stdout.contains("--replay") && stdout.contains("--brokers <HOST:PORT>"), "{stdout}");
    let (stdout, _) = text(&examfn(&["test", "--help"]));
    assert!(stdout.contains("Usage: examfn test [-- <CARGO TEST ARGS>...]"), "{stdout}");
}

#[test]
fn token_without_email_says_what_to_type() {
    let out = examfn(&["token", "--role", "educator"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("--email <EMAIL>"), "{stderr}");
    assert!(stderr.contains("Usage: examfn token"), "{stderr}");
    assert!(stdout.is_empty(), "no token is printed: {stdout}");
}

#[test]
fn a_mistyped_command_or_option_gets_a_suggestion() {
    let out = examfn(&["tokn", "--email", "a@b.c"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unrecognized subcommand 'tokn'") && stderr.contains("similar subcommand exists: 'token'"), "{stderr}");

    let (_, stderr) = text(&examfn(&["token", "--emial", "a@b.c"]));
    assert!(stderr.contains("--emial") && stderr.contains("a similar argument exists: '--email'"), "{stderr}");

    let (_, stderr) = text(&examfn(&["run", "scorecalc"]));
    assert!(stderr.contains("score-calc") && stderr.contains("possible values"), "{stderr}");
    assert!(!stderr.contains("probe"), "{stderr}");
}

#[test]
fn bad_values_and_missing_arguments_are_refused_by_name() {
    let out = examfn(&["up", "--kafka-port", "ninety"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--kafka-port <P>") && stderr.contains("ninety"), "{stderr}");

    let (_, stderr) = text(&examfn(&["token", "--email", "a@b.c", "--role", "admin"]));
    assert!(stderr.contains("admin") && stderr.contains("student, educator"), "{stderr}");

    let out = examfn(&["dlq"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("<TOPIC>"), "{stderr}");

    let out = examfn(&["down", "stray"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("'stray'"), "{stderr}");

    // `test` takes cargo's arguments only after `--`.
    let (_, stderr) = text(&examfn(&["test", "-p", "examfn-email"]));
    assert!(stderr.contains("'-p'") && stderr.contains("--"), "{stderr}");
}

#[test]
fn token_prints_a_jwt_for_the_data_dir() {
    let dir = std::env::temp_dir().join(format!("examfn-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let out = examfn(&["token", "--email", "stu@example.org", "--data-dir", d]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let jwt = stdout.trim();
    assert_eq!(jwt.split('.').count(), 3, "not a JWT: {stdout}");
    assert!(dir.join("dev-auth").is_dir(), "the key pair is kept in the data dir");
    // Options after or before the value, role in any case, as before.
    let out = examfn(&["token", "--data-dir", d, "--role", "Educator", "--ttl-minutes", "5", "--email", "ed@example.org"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let _ = std::fs::remove_dir_all(&dir);
}
