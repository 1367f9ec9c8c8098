//! Wake-ups for the claim loop: LISTEN on [`JOBS_CHANNEL`](super::JOBS_CHANNEL) over a direct
//! session connection, with polling as the fallback (and the only way through a transaction
//! pooler when no direct URL is configured). The LISTEN is in place before the first claim, so
//! a job queued between the claim and the wait still wakes the loop.

use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio::time::Instant;

/// Whether a URL points at a transaction pooler (Supabase's Supavisor/PgBouncer port 6543),
/// where LISTEN and other session state do not work.
pub fn is_transaction_pooler(url: &str) -> bool {
    crate::db::pooler::detect(url) == crate::db::pooler::Pooler::Transaction
}

/// Waits for a job notification or the poll interval, whichever comes first.
pub struct Waker {
    listener: Option<PgListener>,
    url: Option<String>,
    retry_listen_at: Option<Instant>,
    poll: Duration,
}

impl Waker {
    /// Listen on `url` (a direct session URL), or poll only when `url` is `None`.
    /// A failed LISTEN is logged and retried later; polling covers the gap.
    pub async fn new(url: Option<String>, poll: Duration) -> Waker {
        let mut w = Waker {
            listener: None,
            url,
            retry_listen_at: None,
            poll,
        };
        w.try_listen().await;
        w
    }

    /// Whether LISTEN is active (for `/healthz` and tests).
    pub fn is_listening(&self) -> bool {
        self.listener.is_some()
    }

    async fn try_listen(&mut self) {
        let Some(url) = self.url.clone() else { return };
        let res = async {
            let mut l = PgListener::connect(&url).await?;
            l.listen(super::JOBS_CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        }
        .await;
        match res {
            Ok(l) => {
                tracing::debug!("listening for job notifications");
                self.listener = Some(l);
                self.retry_listen_at = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN failed; polling for jobs until it works");
                self.retry_listen_at = Some(Instant::now() + Duration::from_secs(10));
            }
        }
    }

    /// Return when a job was announced or the poll interval passed.
    pub async fn wait(&mut self) {
        if self.listener.is_none() && self.retry_listen_at.is_some_and(|t| Instant::now() >= t) {
            self.try_listen().await;
        }
        let Some(listener) = self.listener.as_mut() else {
            tokio::time::sleep(self.poll).await;
            return;
        };
        match tokio::time::timeout(self.poll, listener.recv()).await {
            Ok(Ok(_)) => take_received(listener).await,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "job notifications interrupted; polling");
                self.listener = None;
                self.retry_listen_at = Some(Instant::now() + Duration::from_secs(5));
            }
            Err(_) => {}
        }
    }
}

/// Most notifications taken after a wake-up before the claim round runs.
const TAKE_AT_MOST: usize = 100_000;

/// Take every notification that has already arrived, so that one claim round serves them all.
/// A batch of 1,000 jobs queued in one transaction sends 1,000 notifications at its commit;
/// taken one per wake-up, they made 1,000 empty claims after the batch was done. `recv` is
/// cancel-safe: it is polled once, and when nothing is at hand the ready branch ends the take
/// at once (a zero timeout instead waited for the timer's next millisecond tick, 1 ms added to
/// every job's way from its notification to its claim). An error is left to the next wait,
/// which reconnects.
async fn take_received(listener: &mut PgListener) {
    for _ in 0..TAKE_AT_MOST {
        tokio::select! {
            biased;
            received = listener.recv() => {
                if received.is_err() {
                    return;
                }
            }
            () = std::future::ready(()) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooler_port_detected() {
        assert!(is_transaction_pooler(
            "postgres://u:p@aws-0-eu.pooler.supabase.com:6543/postgres"
        ));
        assert!(is_transaction_pooler(
            "postgres://h:6543/db?sslmode=require"
        ));
        assert!(!is_transaction_pooler(
            "postgres://u:p@db.x.supabase.co:5432/postgres"
        ));
        assert!(!is_transaction_pooler("postgres://u:6543@host/db"));
    }
}
