//! Employee names and phones as the schedule writes them, normalised for storage:
//! `Last, First` becomes `First Last`, whitespace is collapsed, separate first/last columns are
//! joined. Nothing here logs: names and phones are personal data.

/// Collapse runs of whitespace and trim.
pub fn collapse(s: &str) -> String {
    // Most values are already single-spaced: copy them as they are.
    let mut prev_space = true;
    let clean = s.chars().all(|c| {
        let ok = if c.is_whitespace() {
            c == ' ' && !prev_space
        } else {
            true
        };
        prev_space = c.is_whitespace();
        ok
    }) && !prev_space;
    if clean {
        return s.to_string();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A display name: `Silva, Hannah` → `Hannah Silva`; `Hannah Silva` unchanged; empty → `None`.
pub fn display_name(raw: &str) -> Option<String> {
    let s = collapse(raw);
    if s.is_empty() {
        return None;
    }
    match s.split_once(',') {
        Some((last, first)) => {
            let last = last.trim();
            let first = first.trim();
            // `Smith, Jr.` style suffixes and stray commas keep the written order.
            if first.is_empty() || last.is_empty() || first.contains(',') {
                return Some(s.replace(',', "").trim().to_string());
            }
            Some(format!("{first} {last}"))
        }
        None => Some(s),
    }
}

/// Join separate first and last name cells; either may be missing.
pub fn join_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let first = first.map(collapse).filter(|s| !s.is_empty());
    let last = last.map(collapse).filter(|s| !s.is_empty());
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(f), None) => Some(f),
        (None, Some(l)) => Some(l),
        (None, None) => None,
    }
}

/// A phone as written, trimmed; a number cell (`15555550123`) becomes its digits.
pub fn phone_text(raw: &str) -> Option<String> {
    let s = collapse(raw);
    if s.is_empty() || !s.chars().any(|c| c.is_ascii_digit()) {
        None
    } else {
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            display_name("Silva, Hannah").as_deref(),
            Some("Hannah Silva")
        );
        assert_eq!(
            display_name("  Hannah   Silva ").as_deref(),
            Some("Hannah Silva")
        );
        assert_eq!(display_name("Müller,Nia").as_deref(), Some("Nia Müller"));
        assert_eq!(display_name("Silva,").as_deref(), Some("Silva"));
        assert_eq!(display_name("   "), None);
        assert_eq!(
            join_name(Some("Grace"), Some("Lopez")).as_deref(),
            Some("Grace Lopez")
        );
        assert_eq!(join_name(None, Some("Lopez")).as_deref(), Some("Lopez"));
        assert_eq!(
            phone_text("(555) 707-8364").as_deref(),
            Some("(555) 707-8364")
        );
        assert_eq!(phone_text("n/a"), None);
    }
}
