//! Store inboxes: a watched folder named after a store (`inbox/2207/`, `Store 2207/`,
//! `filiale_12/`) gives that store number to the files dropped into it. The number is a
//! fallback: a store named in the file itself (a column, a title, the sheet or file name)
//! wins. The intake queues the job with the number and the worker passes it to planning as
//! [`crate::pipeline::plan::PlanOptions::fallback_store`].

use crate::extract::store;
use crate::template::model::DEFAULT_STORE_PATTERN;
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

static STORE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(DEFAULT_STORE_PATTERN).expect("the default store pattern compiles")
});

/// The store number an inbox folder's name gives: all digits (`2207`), or a store title
/// (`Store 2207`, `store_2207`, `Filiale 12`).
pub fn store_of_inbox(inbox: &Path) -> Option<i32> {
    let name = inbox.file_name()?.to_str()?;
    store::from_text(name, &STORE_RE).filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_folders() {
        for (p, n) in [
            ("/srv/inbox/2207", Some(2207)),
            ("/srv/inbox/Store 4410", Some(4410)),
            ("/srv/filiale_12", Some(12)),
            ("/srv/inbox", None),
            ("/srv/inbox/2025-11", None),
        ] {
            assert_eq!(store_of_inbox(Path::new(p)), n, "{p}");
        }
    }
}
