//! The accept loop: plain TCP or TLS connections served by hyper (HTTP/1.1 and HTTP/2), each
//! closed gracefully when the simulator shuts down.

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A TLS handshake that takes longer than this is dropped (a stuck client must not pin a task).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accept connections until `stop` is cancelled.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    stop: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Running out of file descriptors and similar: back off, keep serving.
                tracing::warn!(target: "snow_connect::simulator", error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop.clone();
        match tls.clone() {
            None => {
                tracker.spawn(serve_connection(stream, app, stop));
            }
            Some(acceptor) => {
                tracker.spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => serve_connection(tls_stream, app, stop).await,
                        Ok(Err(e)) => tracing::info!(
                            target: "snow_connect::simulator",
                            %peer,
                            error = %e,
                            "TLS handshake failed"
                        ),
                        Err(_) => tracing::info!(
                            target: "snow_connect::simulator",
                            %peer,
                            "TLS handshake timed out"
                        ),
                    }
                });
            }
        }
    }
}

async fn serve_connection<IO>(io: IO, app: Router, stop: CancellationToken)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let service = TowerToHyperService::new(app);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(target: "snow_connect::simulator", error = %e, "connection ended");
            }
        }
        _ = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
