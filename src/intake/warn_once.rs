//! Folder problems are reported once, not on every rescan: a read-only or unlistable inbox
//! would otherwise warn every second. A problem is reported again when its error changes or
//! after a long interval, and its recovery is reported once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A problem that does not change is reported again after this long.
pub const REWARN_AFTER: Duration = Duration::from_secs(600);

/// The problems reported so far, by key (what failed and where).
#[derive(Debug, Default)]
pub struct WarnOnce {
    seen: HashMap<String, (String, Instant)>,
}

impl WarnOnce {
    /// Whether `error` for `key` should be reported at `now` (and remember that it was).
    pub fn should_warn(&mut self, key: &str, error: &str, now: Instant) -> bool {
        let again = match self.seen.get(key) {
            Some((last, at)) => last != error || now.duration_since(*at) >= REWARN_AFTER,
            None => true,
        };
        if again {
            self.seen.insert(key.to_string(), (error.to_string(), now));
        }
        again
    }

    /// The problem of `key` went away: `true` when it had been reported (report the recovery).
    pub fn recovered(&mut self, key: &str) -> bool {
        self.seen.remove(key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding11_a_read_only_inbox_is_reported_once_not_every_second() {
        let mut w = WarnOnce::default();
        let t0 = Instant::now();
        let err = "Read-only file system (os error 30)";
        let reported = (0..600)
            .filter(|s| w.should_warn("take:/srv/inbox", err, t0 + Duration::from_secs(*s)))
            .count();
        assert_eq!(reported, 1, "once in ten minutes of one-second rescans");
        assert!(w.should_warn("take:/srv/inbox", err, t0 + REWARN_AFTER));
        assert!(w.should_warn("take:/srv/inbox", "Permission denied", t0 + REWARN_AFTER));
        assert!(w.should_warn("list:/srv/other", err, t0));
        assert!(w.recovered("take:/srv/inbox"));
        assert!(!w.recovered("take:/srv/inbox"));
        assert!(w.should_warn("take:/srv/inbox", err, t0 + REWARN_AFTER));
    }
}
