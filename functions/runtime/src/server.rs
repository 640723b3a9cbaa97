//! Putting a function together and serving it in the configured transport.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::watch;

use crate::config::{CommonConfig, Transport};
use crate::handler::Handler;
use crate::http::{self, ReadyFn};
use crate::kafka;
use crate::metrics::Metrics;

/// A function ready to serve: its handler, extra HTTP routes and metrics.
pub struct Service<H> {
    name: &'static str,
    handler: Arc<H>,
    routes: Router,
    event_endpoint: bool,
    metrics: Arc<Metrics>,
}

impl<H: Handler> Service<H> {
    pub fn new(name: &'static str, handler: Arc<H>) -> Self {
        Self { name, handler, routes: Router::new(), event_endpoint: true, metrics: Arc::new(Metrics::new(name)) }
    }

    /// Extra HTTP routes (an API, a webhook), merged beside the event endpoint.
    pub fn routes(mut self, routes: Router) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// For HTTP-only functions (take-exam): no `POST /` event endpoint.
    pub fn without_event_endpoint(mut self) -> Self {
        self.event_endpoint = false;
        self
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The whole HTTP application: events, extra routes, health and metrics,
    /// with the body limit. Tests drive this without a socket.
    pub fn app(&self, max_body_bytes: usize) -> Router {
        let h = self.handler.clone();
        let ready: ReadyFn = Arc::new(move || {
            let h = h.clone();
            Box::pin(async move { h.ready().await })
        });
        let mut app = http::health_routes(ready, self.metrics.clone()).merge(self.routes.clone());
        if self.event_endpoint {
            app = app.merge(http::event_routes(self.handler.clone(), self.metrics.clone()));
        }
        http::limit_body(app.fallback(http::not_found), max_body_bytes)
    }

    /// [`Service::app`] as served: the body limit plus the deadline for
    /// receiving a request body (`HTTP_BODY_TIMEOUT_MS`, 408 past it).
    pub fn app_with(&self, common: &CommonConfig) -> Router {
        http::body_deadline(self.app(common.max_body_bytes), common.http_body_timeout)
    }
}

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on port {port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("http server failed: {0}")]
    Http(std::io::Error),
    #[error(transparent)]
    Kafka(#[from] kafka::KafkaSetupError),
}

/// A receiver that turns true on SIGTERM or Ctrl-C.
pub fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
        tracing::info!("shutdown requested: finishing in-flight work");
        let _ = tx.send(true);
    });
    rx
}

/// Serve until SIGTERM/Ctrl-C: HTTP always (health, metrics, routes, and the
/// event endpoint in HTTP transport), plus the Kafka consumer in Kafka transport.
pub async fn serve<H: Handler>(common: &CommonConfig, service: Service<H>) -> Result<(), ServeError> {
    serve_until(common, service, shutdown_signal()).await
}

/// [`serve`] with an explicit stop signal (tests, the local platform).
pub async fn serve_until<H: Handler>(
    common: &CommonConfig,
    service: Service<H>,
    stop: watch::Receiver<bool>,
) -> Result<(), ServeError> {
    let mut service = service;
    if common.transport == Transport::Kafka {
        // Events come from the topic; POST / stays off so nothing bypasses the consumer.
        service.event_endpoint = false;
    }
    let app = service.app_with(common);
    let addr = SocketAddr::from(([0, 0, 0, 0], common.port));
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { port: common.port, source })?;
    let local = listener.local_addr().map_err(ServeError::Http)?;
    tracing::info!(function = service.name, port = local.port(), transport = ?common.transport, "serving");

    let http = serve_http(listener, app, common.http_header_timeout, stop.clone());
    match (&common.transport, &common.consumer) {
        (Transport::Kafka, Some(cfg)) => {
            let consumer = kafka::consume(cfg, service.name, service.handler.clone(), service.metrics.clone(), stop);
            let (h, k) = tokio::join!(http, consumer);
            h?;
            k?;
        }
        _ => http.await?,
    }
    tracing::info!(function = service.name, "stopped");
    Ok(())
}

/// Serve `app` on `listener` over HTTP/1.1 until `stop` turns true, then let
/// in-flight requests finish. A client that has not sent complete request
/// headers within `header_timeout` (slowloris, an idle keep-alive connection)
/// is disconnected; bodies have their own deadline ([`http::body_deadline`]).
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ServeError> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    // Every connection task holds a sender; all senders gone = all connections closed.
    let (open_tx, mut open_rx) = tokio::sync::mpsc::channel::<()>(1);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, never spin or die.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let mut conn_stop = stop.clone();
        let open = open_tx.clone();
        tokio::spawn(async move {
            let _open = open;
            let mut conn = std::pin::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = stopped(&mut conn_stop) => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    drop(open_tx);
    let _ = open_rx.recv().await;
    Ok(())
}

/// Resolves once the stop signal is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Run `f` on the runtime `FUNC_WORKER_THREADS` asks for: the body of every
/// function's `main`. 1 gives a current-thread runtime (one thread in all:
/// the least memory and the fastest start, for a function scaled per
/// request), n > 1 that many workers, 0 one worker per core.
pub fn block_on_configured<F: Future>(common: &CommonConfig, f: F) -> F::Output {
    runtime(common.worker_threads).block_on(f)
}

fn runtime(worker_threads: usize) -> tokio::runtime::Runtime {
    let mut b = if worker_threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    if worker_threads > 1 {
        b.worker_threads(worker_threads);
    }
    b.enable_all().build().expect("the Tokio runtime starts")
}
