//! Child processes of the local platform: started with their output in a log
//! file, waited for until their port answers, stopped with SIGTERM (then
//! SIGKILL after a grace period).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::process::{Child, Command};

/// One running child.
#[derive(Debug)]
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
    pub port: u16,
}

impl Proc {
    /// Start `cmd` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path, port: u16) -> Result<Self> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let out = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        let err = out.try_clone()?;
        cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err)).stdin(Stdio::null()).kill_on_drop(true);
        // Own process group: a Ctrl-C in the terminal reaches `examfn` only,
        // which then stops the children in order.
        #[cfg(unix)]
        cmd.process_group(0);
        let child = cmd.spawn().with_context(|| format!("cannot start {name}"))?;
        Ok(Self { name: name.to_string(), child, log: log.to_path_buf(), port })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Wait until the port accepts connections; fail if the child exits first.
    pub async fn wait_port(&mut self, timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Ok(started.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("{} exited during start-up ({status}); its log: {}\n{}", self.name, self.log.display(), tail(&self.log, 15));
            }
            if started.elapsed() > timeout {
                bail!("{} did not open port {} within {:?}; its log: {}\n{}", self.name, self.port, timeout, self.log.display(), tail(&self.log, 15));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL.
    pub async fn stop(&mut self, grace: Duration) {
        if let Some(pid) = self.child.id() {
            terminate(pid);
            if tokio::time::timeout(grace, self.child.wait()).await.is_err() {
                eprintln!("    {} did not stop within {grace:?}; killing it", self.name);
                let _ = self.child.kill().await;
            }
        }
    }
}

/// Send SIGTERM to a process.
pub fn terminate(pid: u32) {
    #[cfg(unix)]
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
}

/// Whether a process is alive (a zombie, exited but not yet reaped by its
/// parent, counts as gone).
pub fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        if unsafe { libc::kill(pid as i32, 0) } != 0 {
            return false;
        }
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // The state follows the command name in parentheses.
            Ok(stat) => !stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
            Err(_) => true,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        false
    }
}

/// A free loopback port for a server started next. It is drawn below the
/// kernel's ephemeral range (32768+), so no outgoing connection can take it
/// between this check and the server's bind.
pub fn free_port() -> Result<u16> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos() as u64).unwrap_or(0)
        ^ ((std::process::id() as u64) << 16);
    for _ in 0..1000 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20000 + (seed.wrapping_add(n.wrapping_mul(7919)).wrapping_mul(2654435761) % 12000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Whether something listens on the port.
pub fn port_in_use(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_millis(200)).is_ok()
}

/// The last `n` lines of a log file.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| format!("      | {l}")).collect::<Vec<_>>().join("\n")
}
