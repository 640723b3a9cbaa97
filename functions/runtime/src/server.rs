//! Putting a function together and serving it in the configured transport.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
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
    let app = service.app(common.max_body_bytes);
    let addr = SocketAddr::from(([0, 0, 0, 0], common.port));
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { port: common.port, source })?;
    let local = listener.local_addr().map_err(ServeError::Http)?;
    tracing::info!(function = service.name, port = local.port(), transport = ?common.transport, "serving");

    let mut http_stop = stop.clone();
    let http = async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await
            .map_err(ServeError::Http)
    };
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

/// Run `f` on a multi-threaded Tokio runtime: the body of every function's `main`.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the Tokio runtime starts")
        .block_on(f)
}
