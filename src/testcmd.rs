//! `test`: the one test command. Installs what is missing, starts the real
//! servers on free loopback ports (and llama-server with SmolLM2, the LLM the
//! tests talk to), runs `cargo test --workspace` against them, then the
//! offline deployment checks, and stops everything.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::procs::free_port;
use crate::servers::{self, Secrets, ServerPorts};
use crate::tools::{Cache, LlmModel};

/// The model the tests' LLM server serves: small and fast (its questions are
/// weak; the tests check the wire, not the writing).
const TEST_LLM: LlmModel = LlmModel::SmolLm2;

pub async fn test(project: &Path, cargo_args: &[String]) -> Result<i32> {
    let started = Instant::now();
    let cache = Cache::from_env();
    let data = project.join("target/examfn-test");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    use crate::tools::Tool;
    cache.prepare(&[
        Tool::Tansu,
        Tool::S3sFs,
        Tool::LlamaServer,
        Tool::Python,
        Tool::EmbedModel,
        Tool::Llm(TEST_LLM),
        Tool::Playwright,
        Tool::Chromium,
    ])?;
    let chromium = cache.chromium()?;
    let playwright = cache.playwright()?;
    let embed_model = match cache.embed_model() {
        Ok(dir) => dir.display().to_string(),
        Err(e) => {
            eprintln!("!!  the embedding model could not be installed ({e:#}); its tests say they are skipped");
            String::new()
        }
    };
    let ports = ServerPorts { kafka: free_port()?, mongo: free_port()?, s3: free_port()?, s3_backend: free_port()?, smtp: free_port()? };
    let secrets = Secrets::load_or_create(&data)?;
    eprintln!("==> starting the test servers (data in {})", data.display());
    let mut s = servers::start(&cache, &data, ports, &secrets).await?;
    let llm = match start_llm(&cache, &data).await {
        Ok(l) => l,
        Err(e) => {
            s.stop().await;
            return Err(e);
        }
    };
    let (mut llm_proc, llm_env) = llm;
    let (s3_access, s3_secret) = (secrets.s3_access_key.clone(), secrets.s3_secret_key.clone());
    let mut env = vec![
        ("EXAMFN_TEST_KAFKA", s.kafka.clone()),
        ("EXAMFN_TEST_MONGODB_URI", s.mongodb_uri.clone()),
        ("EXAMFN_TEST_S3_ENDPOINT", s.s3_endpoint.clone()),
        ("EXAMFN_TEST_S3_ACCESS_KEY", s3_access),
        ("EXAMFN_TEST_S3_SECRET_KEY", s3_secret),
        ("EXAMFN_TEST_SMTP", s.smtp.clone()),
        ("EXAMFN_TEST_MAILDIR", s.maildir.display().to_string()),
        ("EXAMFN_TEST_PLAYWRIGHT_DIR", playwright.display().to_string()),
        ("EXAMFN_TEST_CHROMIUM", chromium.display().to_string()),
        ("EXAMFN_TEST_DATA_DIR", data.display().to_string()),
    ];
    env.extend(llm_env);
    // The platforms tests start with `examfn up` run without an LLM server
    // of their own (as before it had one: no 8090, no 2 GB model per
    // platform); a test that wants one passes `--llm-model` and `--llm-port`.
    env.push(("EXAMFN_LLM_MODEL", "off".to_string()));
    if !embed_model.is_empty() {
        env.push(("EXAMFN_EMBED_MODEL_DIR", embed_model));
    }
    // `cargo run -- test -- -p CRATE ...` narrows the run; the default is the workspace.
    let narrowed = cargo_args.iter().any(|a| a == "-p" || a.starts_with("--package"));
    let scope: &[&str] = if narrowed { &[] } else { &["--workspace"] };
    eprintln!("==> cargo test {} {}", scope.join(" "), cargo_args.join(" "));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = tokio::process::Command::new(&cargo);
    // The inner build must see the environment the outer `cargo run` built
    // in, or build scripts rerun and the dependencies above them rebuild.
    for v in crate::tools::package_vars() {
        cmd.env_remove(v);
    }
    let mut child = cmd
        .current_dir(project)
        .args(["test", "--no-fail-fast"])
        .args(scope)
        .args(cargo_args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .spawn()
        .context("cannot run cargo test")?;
    let mut stop = crate::signals::stop_signal();
    let status = tokio::select! {
        st = child.wait() => st?,
        _ = stop.recv() => {
            let _ = child.kill().await;
            llm_proc.stop(Duration::from_secs(10)).await;
            s.stop().await;
            anyhow::bail!("interrupted");
        }
    };
    llm_proc.stop(Duration::from_secs(10)).await;
    s.stop().await;
    let mut code = status.code().unwrap_or(1);

    let check = project.join("knative/check.sh");
    if check.exists() {
        eprintln!("==> offline deployment checks (knative/check.sh)");
        let st = tokio::process::Command::new("bash").arg(&check).current_dir(project).status().await?;
        if !st.success() {
            eprintln!("!!  deployment checks failed");
            if code == 0 {
                code = st.code().unwrap_or(1);
            }
        }
    }
    eprintln!("==> tests finished in {:.0} s with exit code {code}", started.elapsed().as_secs_f64());
    if code == 0 {
        let _ = std::fs::remove_dir_all(&data);
    } else {
        eprintln!("    server logs kept in {}", data.join("logs").display());
    }
    Ok(code)
}

/// Start llama-server with the test model on a free loopback port and wait
/// until it answers `/health` with 200; the variables that tell the tests
/// where it is (`EXAMFN_TEST_LLM_URL` ends in `/v1`, as `LLM_BASE_URL` does).
async fn start_llm(cache: &Cache, data: &Path) -> Result<(crate::procs::Proc, Vec<(&'static str, String)>)> {
    let bin = cache.llama_server()?;
    let gguf = cache.llm_model(TEST_LLM)?;
    let port = free_port()?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let spec = servers::llm_spec(&bin, &gguf, port, threads, TEST_LLM.alias(), data.join("logs/llm.log"));
    let mut p = spec.spawn()?;
    match crate::llm::wait_ready(&mut p, Duration::from_secs(120)).await {
        Ok(took) => eprintln!("    llm (llama-server)   127.0.0.1:{port}  {} ready in {} ms", TEST_LLM.alias(), took.as_millis()),
        Err(e) => {
            p.stop(Duration::from_secs(5)).await;
            return Err(e);
        }
    }
    let env = vec![
        ("EXAMFN_TEST_LLM_URL", crate::llm::base_url(port)),
        ("EXAMFN_TEST_LLM_MODEL", TEST_LLM.alias().to_string()),
        ("EXAMFN_TEST_LLAMA_SERVER", bin.display().to_string()),
        ("EXAMFN_TEST_LLM_GGUF", gguf.display().to_string()),
    ];
    Ok((p, env))
}
