//! Whether a database error is a blink worth another attempt, for every caller (the queue's
//! retries, an import's or a revert's "retry later"): one list, so the worker and the CLI
//! never disagree about what is transient.

/// Whether `e` is a connection-level, resource or concurrency failure that a later attempt may
/// not meet: the connection or pool was lost or timed out, the server is shutting down or out
/// of connections, memory or disk (class 53), or the transaction lost a serialization,
/// deadlock or lock-wait race. Constraint violations and other errors caused by the data are
/// not: running the same import again would fail the same way.
pub fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| is_transient_code(&c)),
        _ => false,
    }
}

/// [`is_transient`] for a SQLSTATE: 40001 serialization_failure, 40P01 deadlock_detected,
/// 55P03 lock_not_available, class 08 (connection exceptions), class 53 (insufficient
/// resources: too many connections, out of memory, disk full) and 57P0x (shutdown, cannot
/// connect now, idle session timeout).
pub fn is_transient_code(code: &str) -> bool {
    matches!(code, "40001" | "40P01" | "55P03")
        || code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
}

#[cfg(test)]
mod tests {
    use super::is_transient_code;

    #[test]
    fn concurrency_connection_and_resource_states_are_transient_data_errors_are_not() {
        for code in [
            "40001", "40P01", "55P03", "08006", "53300", "53100", "57P01", "57P03",
        ] {
            assert!(is_transient_code(code), "{code}");
        }
        for code in [
            "23505", "23503", "22023", "42501", "P0001", "54000", "57014",
        ] {
            assert!(!is_transient_code(code), "{code}");
        }
    }
}
