//! Ctrl-C and SIGTERM for the CLI.

use tokio::sync::mpsc;

/// A receiver that gets a message on each Ctrl-C or SIGTERM.
pub fn stop_signal() -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            #[cfg(unix)]
            let t = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let t = std::future::pending::<()>();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = t => {},
            }
            if tx.send(()).await.is_err() {
                return;
            }
        }
    });
    rx
}
