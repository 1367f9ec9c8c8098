//! The retry delay: steep polynomial growth with jitter (River's `attempt^4` seconds), so a
//! database that blinks is retried in seconds and one that is down for long is not hammered.

use std::time::Duration;

/// The delay before attempt `attempt + 1`, after `attempt` attempts failed:
/// `base * attempt^4` seconds, ±10 % jitter, capped at one day.
pub fn retry_delay(attempt: i32, base_secs: f64) -> Duration {
    let n = f64::from(attempt.max(1));
    let nominal = (base_secs * n.powi(4)).min(86_400.0);
    let jitter = 1.0 + (jitter_unit() * 0.2 - 0.1);
    Duration::from_secs_f64((nominal * jitter).max(0.0))
}

/// A number in `[0, 1)` that differs between calls and processes (no cryptographic need).
fn jitter_unit() -> f64 {
    let u = uuid::Uuid::new_v4();
    let b = u.as_bytes();
    let x = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    f64::from(x) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_steeply_within_jitter() {
        for (attempt, nominal) in [(1, 1.0), (2, 16.0), (3, 81.0), (5, 625.0)] {
            for _ in 0..50 {
                let d = retry_delay(attempt, 1.0).as_secs_f64();
                assert!(
                    d >= nominal * 0.9 - 1e-9 && d <= nominal * 1.1 + 1e-9,
                    "{attempt}: {d}"
                );
            }
        }
    }

    #[test]
    fn capped_at_a_day_and_scaled_by_base() {
        assert!(retry_delay(100, 1.0).as_secs_f64() <= 86_400.0 * 1.1);
        assert!(retry_delay(2, 0.01).as_secs_f64() < 0.2);
    }

    #[test]
    fn jitter_spreads_retries() {
        let a: Vec<_> = (0..20).map(|_| retry_delay(3, 1.0)).collect();
        assert!(a.iter().any(|d| *d != a[0]));
    }
}
