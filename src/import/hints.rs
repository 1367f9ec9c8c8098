//! "Did you mean …?" for a cell the time grammar could not read: the usual typing slips of a
//! schedule (`9:3O` with the letter O, `5:30pn`, `9;30`, `l0a` with the letter l) are undone
//! one at a time, and a correction is offered only when the corrected text reads as a time or
//! a shift with the same grammar the import uses. The hint quotes the cell's own time text,
//! which is not personal data; it goes only into the manager's reports, never into logs.

use crate::values::timespec::{parse_clock, parse_ranges};

/// A likely correction of a cell's text and why it is likely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The text as it probably was meant.
    pub text: String,
    /// Why, in a few plain words.
    pub why: &'static str,
}

impl Hint {
    /// `did you mean 9:30? the letter O looks like a zero`
    pub fn sentence(&self) -> String {
        format!("did you mean {}? {}", self.text, self.why)
    }
}

/// Longest cell text looked at (a schedule cell is short; a paragraph is no typo).
const MAX_LEN: usize = 60;

/// One kind of slip undone: the corrected text, if the slip is there.
type Fix = fn(&str) -> Option<String>;

/// A correction of `text` that the time grammar reads, if one of the known slips explains
/// why it could not be read.
pub fn for_time(text: &str) -> Option<Hint> {
    let t = text.trim();
    if t.is_empty() || t.len() > MAX_LEN || reads(t) {
        return None;
    }
    let fixes: [(Fix, &'static str); 5] = [
        (letter_o, "the letter O looks like a zero"),
        (letter_l, "the letter l or I looks like a one"),
        (
            meridiem_typo,
            "\"pn\", \"an\" or \"om\" looks like a typo for pm or am",
        ),
        (colon_typo, "a colon is expected between hours and minutes"),
        (doubled, "a character is typed twice"),
    ];
    for (fix, why) in fixes {
        if let Some(fixed) = fix(t)
            && fixed != t
            && reads(&fixed)
        {
            return Some(Hint { text: fixed, why });
        }
    }
    None
}

/// Whether the grammar reads `t` as a shift or a single clock.
fn reads(t: &str) -> bool {
    parse_ranges(t).is_ok() || parse_clock(t).is_ok()
}

/// Replace each character `from` that touches a digit with `to`.
fn beside_digits(t: &str, from: &[char], to: char) -> Option<String> {
    let chars: Vec<char> = t.chars().collect();
    let mut changed = false;
    let out: String = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let touches = (i > 0 && chars[i - 1].is_ascii_digit())
                || chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if from.contains(&c) && touches {
                changed = true;
                to
            } else {
                c
            }
        })
        .collect();
    changed.then_some(out)
}

fn letter_o(t: &str) -> Option<String> {
    beside_digits(t, &['O', 'o'], '0')
}

fn letter_l(t: &str) -> Option<String> {
    beside_digits(t, &['l', 'I', '|'], '1')
}

/// `pn`, `an`, `om`, `pmm` after a clock → `pm` / `am`.
fn meridiem_typo(t: &str) -> Option<String> {
    let lower = t.to_ascii_lowercase();
    let mut out = lower.clone();
    for (typo, fix) in [
        ("pmm", "pm"),
        ("amm", "am"),
        ("pn", "pm"),
        ("an", "am"),
        ("om", "pm"),
        ("p.n", "p.m"),
        ("a.n", "a.m"),
    ] {
        out = replace_after_digit(&out, typo, fix);
    }
    (out != lower).then_some(out)
}

/// Replace `typo` where it follows a digit (possibly after a space).
fn replace_after_digit(t: &str, typo: &str, fix: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(i) = rest.find(typo) {
        let before = rest[..i].trim_end_matches(' ');
        let after_digit = before.ends_with(|c: char| c.is_ascii_digit())
            || (before.is_empty() && out.trim_end().ends_with(|c: char| c.is_ascii_digit()));
        let next = rest[i + typo.len()..].chars().next();
        let word_ends = next.is_none_or(|c| !c.is_ascii_alphabetic());
        out.push_str(&rest[..i]);
        out.push_str(if after_digit && word_ends { fix } else { typo });
        rest = &rest[i + typo.len()..];
    }
    out.push_str(rest);
    out
}

/// `9;30`, `9.30`, `9,30` → `9:30` (between digits only).
fn colon_typo(t: &str) -> Option<String> {
    let chars: Vec<char> = t.chars().collect();
    let mut changed = false;
    let out: String = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between = i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
                && chars.get(i + 2).is_some_and(|n| n.is_ascii_digit());
            if matches!(c, ';' | '.' | ',' | '\'') && between {
                changed = true;
                ':'
            } else {
                c
            }
        })
        .collect();
    changed.then_some(out)
}

/// `9::30`, `5--6` → one of each.
fn doubled(t: &str) -> Option<String> {
    let mut out = String::with_capacity(t.len());
    let mut prev = None;
    for c in t.chars() {
        if matches!(c, ':' | '-') && prev == Some(c) {
            continue;
        }
        out.push(c);
        prev = Some(c);
    }
    (out.len() != t.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letter_o_for_zero() {
        let h = for_time("9:3O").unwrap();
        assert_eq!(h.text, "9:30");
        assert_eq!(
            h.sentence(),
            "did you mean 9:30? the letter O looks like a zero"
        );
        assert_eq!(for_time("9a-5:3O").unwrap().text, "9a-5:30");
    }

    #[test]
    fn pm_typed_pn() {
        let h = for_time("9:00am-5:30pn").unwrap();
        assert_eq!(h.text, "9:00am-5:30pm");
        assert!(h.why.contains("pm"));
        assert_eq!(for_time("5:30pn").unwrap().text, "5:30pm");
    }

    #[test]
    fn other_slips() {
        assert_eq!(for_time("9;30-17:00").unwrap().text, "9:30-17:00");
        assert_eq!(for_time("l0a-6p").unwrap().text, "10a-6p");
        assert_eq!(for_time("9::30-17:00").unwrap().text, "9:30-17:00");
    }

    #[test]
    fn no_hint_for_readable_or_hopeless_text() {
        assert_eq!(for_time("9a-5:30p"), None);
        assert_eq!(for_time("see manager"), None);
        assert_eq!(for_time(""), None);
        assert_eq!(for_time("Open to close"), None);
    }
}
