//! The loopback HTTP server: `/healthz` (the database answers) and `/metrics` (Prometheus).

use super::metrics::Metrics;
use super::{HttpSettings, OpsError};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the handlers read.
#[derive(Clone)]
pub struct OpsState {
    pub pool: PgPool,
    pub metrics: Arc<Metrics>,
    pub worker_id: String,
}

/// The address to bind, refusing non-loopback ones unless allowed. `None`: server disabled.
pub fn address(settings: &HttpSettings) -> Result<Option<SocketAddr>, OpsError> {
    if settings.listen.trim().is_empty() {
        return Ok(None);
    }
    let addr: SocketAddr = settings
        .listen
        .parse()
        .map_err(|e: std::net::AddrParseError| OpsError::BadAddress {
            addr: settings.listen.clone(),
            reason: format!("{e} (expected e.g. 127.0.0.1:9187)"),
        })?;
    if !addr.ip().is_loopback() && !settings.allow_non_loopback {
        return Err(OpsError::BadAddress {
            addr: settings.listen.clone(),
            reason: "not a loopback address; set http.allow_non_loopback = true to expose it"
                .into(),
        });
    }
    Ok(Some(addr))
}

/// Bind now (so a bad address fails at start-up), serve until `shutdown`.
pub async fn bind(
    addr: SocketAddr,
    state: OpsState,
    shutdown: CancellationToken,
) -> Result<(SocketAddr, tokio::task::JoinHandle<Result<(), OpsError>>), OpsError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| OpsError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let bound = listener.local_addr().map_err(OpsError::Serve)?;
    let app = router(state);
    let handle = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
            .map_err(OpsError::Serve)
    });
    Ok((bound, handle))
}

/// The routes.
pub fn router(state: OpsState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn healthz(State(st): State<OpsState>) -> impl IntoResponse {
    let db = tokio::time::timeout(Duration::from_secs(2), crate::db::ping(&st.pool)).await;
    let ok = matches!(db, Ok(Ok(())));
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "database": if ok { "ok" } else { "unreachable" },
        "worker_id": st.worker_id,
    });
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body))
}

async fn metrics(State(st): State<OpsState>) -> impl IntoResponse {
    let jobs = tokio::time::timeout(
        Duration::from_secs(2),
        crate::queue::admin::counts_by_state(&st.pool),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(&jobs),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_unless_allowed() {
        let mut s = HttpSettings::default();
        assert!(address(&s).unwrap().is_some());
        s.listen = "0.0.0.0:9187".into();
        assert!(address(&s).is_err());
        s.allow_non_loopback = true;
        assert!(address(&s).unwrap().is_some());
        s.listen = "[::1]:9187".into();
        s.allow_non_loopback = false;
        assert!(address(&s).unwrap().is_some());
        s.listen = String::new();
        assert_eq!(address(&s).unwrap(), None);
        s.listen = "localhost".into();
        assert!(address(&s).is_err());
    }
}
