//! The one shift-time grammar, used by every layout.
//!
//! A *clock* is one written time: `9`, `9a`, `9am`, `9:30 AM`, `9.30pm`, `0930`, `21:00`,
//! `noon`, `midnight`, or a typed spreadsheet time. A *range* is two clocks joined by `-`, `–`,
//! `—` or `to` (`9a-5:30p`, `9-5:30`, `10p-6a`); a cell may hold several ranges separated by
//! `,` `;` `&` `+` `/` or a line break (`8-12, 1-5` is a split shift: two ranges).
//!
//! Clocks that do not say AM/PM and are not unambiguously 24-hour (`13:00`, `0930`, `00:30`)
//! are resolved with the other end of the range:
//! - one end explicit: the other end takes the reading that gives the shortest positive
//!   shift (`9-5p` → 09:00–17:00, `10-6a` → 22:00–06:00);
//! - neither end explicit: the start reads 7–11 as morning, 12 as noon and 1–6 as afternoon
//!   (or the first reading not before the previous range's end, for a split shift's later
//!   part), then the end takes the shortest positive shift (`9-5:30` → 09:00–17:30,
//!   `8-12, 1-5` → 08:00–12:00 and 13:00–17:00).
//!
//! An end earlier than its start means the shift ends the next day (overnight).

use chrono::{NaiveTime, Timelike};
use smallvec::SmallVec;
use std::borrow::Cow;

/// The ranges of one cell: nearly always one or two, kept inline (no allocation per cell).
pub type Ranges = SmallVec<[TimeRange; 2]>;

/// Minutes in a day.
const DAY: u32 = 24 * 60;

/// Why a time or range could not be read. Messages quote no cell content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Nothing to read.
    #[error("the time is empty")]
    Empty,
    /// The text is not a time this grammar knows.
    #[error("not a time (expected e.g. 9:30 AM, 9a, 0930 or 21:00)")]
    Unreadable,
    /// Hours or minutes out of range (`25:00`, `9:75`, `13pm`).
    #[error("hour or minute out of range")]
    OutOfRange,
    /// A range needs a start and an end (`9a-5p`).
    #[error("not a shift range (expected e.g. 9a-5:30p, 8-12, 1-5 or 10p-6a)")]
    NotARange,
}

/// AM or PM, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meridiem {
    Am,
    Pm,
}

/// One written time before AM/PM resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    hour: u32,
    minute: u32,
    meridiem: Option<Meridiem>,
    /// Unambiguous as written: 24-hour form (`13:00`, `0930`, `00:15`), a word (`noon`), or a
    /// typed spreadsheet time.
    exact: bool,
}

impl Clock {
    /// A clock that is exactly this time (a spreadsheet time cell).
    pub fn exact(t: NaiveTime) -> Clock {
        Clock {
            hour: t.hour(),
            minute: t.minute(),
            meridiem: None,
            exact: true,
        }
    }

    /// Whether the clock needs the other end of its range to be resolved.
    pub fn is_ambiguous(&self) -> bool {
        !self.exact && self.meridiem.is_none()
    }

    /// The minutes-of-day readings this clock allows (one or two).
    fn readings(&self) -> SmallVec<[u32; 2]> {
        let h12 = self.hour % 12;
        match (self.exact, self.meridiem) {
            (true, _) => smallvec::smallvec![(self.hour % 24) * 60 + self.minute],
            (false, Some(Meridiem::Am)) => smallvec::smallvec![h12 * 60 + self.minute],
            (false, Some(Meridiem::Pm)) => smallvec::smallvec![(h12 + 12) * 60 + self.minute],
            (false, None) => {
                smallvec::smallvec![h12 * 60 + self.minute, (h12 + 12) * 60 + self.minute]
            }
        }
    }

    /// The reading of this clock on its own: its 24-hour value for exact or bare clocks.
    pub fn alone(&self) -> NaiveTime {
        let m = match self.meridiem {
            Some(_) => self.readings()[0],
            None => (self.hour % 24) * 60 + self.minute,
        };
        to_time(m)
    }
}

/// A resolved shift range; `end < start` means it ends the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl TimeRange {
    /// Length in minutes (0 when end equals start).
    pub fn minutes(&self) -> u32 {
        let s = minutes_of(self.start);
        let e = minutes_of(self.end);
        (e + DAY - s) % DAY
    }
}

fn minutes_of(t: NaiveTime) -> u32 {
    t.hour() * 60 + t.minute()
}

fn to_time(m: u32) -> NaiveTime {
    let m = m % DAY;
    NaiveTime::from_hms_opt(m / 60, m % 60, 0).expect("minutes of day are below 24h")
}

/// `str::trim`, with a quicker byte-level path for ASCII text (same result: the ASCII
/// characters that `char::is_whitespace` accepts, vertical tab included).
fn trim(s: &str) -> &str {
    if !s.is_ascii() {
        return s.trim();
    }
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let b = s.as_bytes();
    let from = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let to = b.iter().rposition(|c| !ws(c)).map_or(from, |i| i + 1);
    &s[from..to]
}

/// Read one written clock (`9`, `9a`, `9:30 AM`, `0930`, `21:00`, `noon`).
pub fn parse_clock(text: &str) -> Result<Clock, TimeError> {
    let trimmed = trim(text);
    match plain_clock(trimmed.as_bytes()) {
        Some(parts) => clock_from_parts(parts),
        None => parse_clock_general(trimmed),
    }
}

/// [`parse_clock`] for every shape (words, `h` separators, Unicode): lower-case, split off
/// AM/PM, then hours and minutes.
fn parse_clock_general(trimmed: &str) -> Result<Clock, TimeError> {
    let mut buf = [0u8; 24];
    let lower = crate::values::lowercase_in(trimmed, &mut buf);
    let s: &str = &lower;
    if s.is_empty() {
        return Err(TimeError::Empty);
    }
    // `08:00:00`, `8:00:00 AM` (databases, pandas, Excel h:mm:ss): the seconds are dropped.
    let without_seconds;
    let s = match seconds_at(s) {
        Some(i) => {
            without_seconds = format!("{}{}", &s[..i], &s[i + 3..]);
            without_seconds.as_str()
        }
        None => s,
    };
    match s {
        "noon" | "12 noon" | "midday" => return Ok(exact(12, 0)),
        "midnight" | "12 midnight" => return Ok(exact(0, 0)),
        _ => {}
    }
    let (body, meridiem) = split_meridiem(s);
    let body = body.trim();
    if body.is_empty() || body.len() > 5 || !body.is_ascii() {
        return Err(TimeError::Unreadable);
    }
    let (hour_txt, minute_txt) = match body.find([':', '.', 'h']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None if body.len() >= 3 => (&body[..body.len() - 2], Some(&body[body.len() - 2..])),
        None => (body, None),
    };
    if hour_txt.is_empty() || hour_txt.len() > 2 || !hour_txt.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError::Unreadable);
    }
    let minute_txt = match minute_txt {
        None => None,
        Some(m) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()) => Some(m),
        Some(_) => return Err(TimeError::Unreadable),
    };
    let military = body.len() == 4 && body.bytes().all(|b| b.is_ascii_digit());
    clock_from_parts(ClockParts {
        hour: hour_txt.as_bytes(),
        minute: minute_txt.map(str::as_bytes),
        meridiem,
        military,
    })
}

/// A clock's pieces as written: hour digits (1–2), minute digits (2), AM/PM, and whether it
/// was four digits with no separator (`0930`, a 24-hour clock).
struct ClockParts<'a> {
    hour: &'a [u8],
    minute: Option<&'a [u8]>,
    meridiem: Option<Meridiem>,
    military: bool,
}

fn digits_value(d: &[u8]) -> u32 {
    d.iter().fold(0, |n, b| n * 10 + (b - b'0') as u32)
}

/// The common shapes (`9`, `9a`, `9:30`, `9:30 PM`, `0930`, `9.30pm`) read byte by byte
/// without copying; `None` hands anything else to the general reader.
fn plain_clock(b: &[u8]) -> Option<ClockParts<'_>> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let (hour, minute, rest) = match n {
        1 | 2
            if matches!(b.get(n), Some(b':' | b'.'))
                && b.len() >= n + 3
                && b[n + 1].is_ascii_digit()
                && b[n + 2].is_ascii_digit() =>
        {
            (&b[..n], Some(&b[n + 1..n + 3]), &b[n + 3..])
        }
        1 | 2 => (&b[..n], None, &b[n..]),
        3 | 4 => (&b[..n - 2], Some(&b[n - 2..n]), &b[n..]),
        _ => return None,
    };
    let rest = rest.trim_ascii_start();
    let meridiem = match rest.len() {
        0 => None,
        1..=4 => {
            let m = match rest[0].to_ascii_lowercase() {
                b'a' => Meridiem::Am,
                b'p' => Meridiem::Pm,
                _ => return None,
            };
            let tail = &rest[1..];
            let ok = tail.is_empty()
                || tail.eq_ignore_ascii_case(b"m")
                || tail.eq_ignore_ascii_case(b"m.")
                || tail.eq_ignore_ascii_case(b".m")
                || tail.eq_ignore_ascii_case(b".m.")
                || tail == b".";
            if !ok {
                return None;
            }
            Some(m)
        }
        _ => return None,
    };
    Some(ClockParts {
        hour,
        minute,
        meridiem,
        military: n == 4 && minute.is_some() && b.len() == 4,
    })
}

fn clock_from_parts(p: ClockParts<'_>) -> Result<Clock, TimeError> {
    let hour = digits_value(p.hour);
    let minute = p.minute.map(digits_value).unwrap_or(0);
    if minute > 59 {
        return Err(TimeError::OutOfRange);
    }
    match p.meridiem {
        Some(m) => {
            if !(1..=12).contains(&hour) {
                // `0:30 am` is written by some tools for half past midnight.
                if hour == 0 && m == Meridiem::Am {
                    return Ok(exact(0, minute));
                }
                return Err(TimeError::OutOfRange);
            }
            Ok(Clock {
                hour,
                minute,
                meridiem: Some(m),
                exact: false,
            })
        }
        None => {
            if hour > 24 || (hour == 24 && minute != 0) {
                return Err(TimeError::OutOfRange);
            }
            // `09:00` and four-digit military `1000` are written on a 24-hour clock.
            let leading_zero = p.hour.len() == 2 && p.hour[0] == b'0';
            Ok(Clock {
                hour: hour % 24,
                minute,
                meridiem: None,
                exact: hour == 0 || hour >= 13 || leading_zero || p.military,
            })
        }
    }
}

/// Where the `:SS` of an `H:MM:SS` clock starts, if the text begins with one.
fn seconds_at(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let h = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let shape = |i: usize| {
        b.get(i) == Some(&b':')
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            && b.get(i + 2).is_some_and(u8::is_ascii_digit)
    };
    ((1..=2).contains(&h) && shape(h) && shape(h + 3)).then_some(h + 3)
}

fn exact(hour: u32, minute: u32) -> Clock {
    Clock {
        hour,
        minute,
        meridiem: None,
        exact: true,
    }
}

fn split_meridiem(s: &str) -> (&str, Option<Meridiem>) {
    let t = s.trim_end_matches('.').trim_end();
    for (suffix, m) in [
        ("a.m", Meridiem::Am),
        ("p.m", Meridiem::Pm),
        ("am", Meridiem::Am),
        ("pm", Meridiem::Pm),
        ("a", Meridiem::Am),
        ("p", Meridiem::Pm),
    ] {
        if let Some(body) = t.strip_suffix(suffix) {
            return (body, Some(m));
        }
    }
    (s, None)
}

/// Resolve a start and end clock into a range. `after` is the end (minutes of day) of the
/// previous part of a split shift, used to place an ambiguous start after it.
pub fn resolve(start: Clock, end: Clock, after: Option<u32>) -> TimeRange {
    let starts = start.readings();
    let ends = end.readings();
    let duration = |s: u32, e: u32| (e + DAY - s) % DAY;
    let pick_start = |starts: &[u32]| -> u32 {
        if starts.len() == 1 {
            return starts[0];
        }
        if let Some(a) = after
            && let Some(s) = starts.iter().copied().find(|&s| s >= a)
        {
            return s;
        }
        // 7–11 morning, 12 noon, 1–6 afternoon.
        match start.hour {
            1..=6 => starts[1],
            12 => starts[1],
            _ => starts[0],
        }
    };
    let (s, e) = match (start.is_ambiguous(), end.is_ambiguous()) {
        (true, false) => {
            let e = ends[0];
            let s = *starts
                .iter()
                .filter(|&&s| duration(s, e) > 0)
                .min_by_key(|&&s| duration(s, e))
                .unwrap_or(&starts[0]);
            (s, e)
        }
        _ => {
            let s = pick_start(&starts);
            let e = *ends
                .iter()
                .filter(|&&e| duration(s, e) > 0)
                .min_by_key(|&&e| duration(s, e))
                .unwrap_or(&ends[0]);
            (s, e)
        }
    };
    TimeRange {
        start: to_time(s),
        end: to_time(e),
    }
}

/// Read a cell's text as one or more shift ranges (`9a-5p`, `8-12, 1-5`, `10p-6a`).
pub fn parse_ranges(text: &str) -> Result<Ranges, TimeError> {
    let norm = normalize(text);
    if trim(&norm).is_empty() {
        return Err(TimeError::Empty);
    }
    let mut out = Ranges::new();
    let mut after = None;
    // The separators are ASCII: cutting at their byte positions keeps char boundaries.
    let bytes = norm.as_bytes();
    let cuts = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, b',' | b';' | b'&' | b'+' | b'/' | b'\n'))
        .map(|(i, _)| i)
        .chain(std::iter::once(bytes.len()));
    let mut from = 0;
    for to in cuts {
        let part = trim(&norm[from..to]);
        from = to + 1;
        if part.is_empty() {
            continue;
        }
        let dash = memchr::memchr(b'-', part.as_bytes()).ok_or(TimeError::NotARange)?;
        let (a, b) = (&part[..dash], &part[dash + 1..]);
        if memchr::memchr(b'-', b.as_bytes()).is_some() {
            return Err(TimeError::NotARange);
        }
        let start = parse_clock(a)?;
        let end = parse_clock(b)?;
        let r = resolve(start, end, after);
        after = Some(minutes_of(r.end));
        out.push(r);
    }
    if out.is_empty() {
        return Err(TimeError::Empty);
    }
    Ok(out)
}

/// A shift cell that may carry a note in parentheses, on its own line, or before or after the
/// times (`9a-5p (Training)`, `9a-5p Covering`, `9a-5p` + line break + `Pharmacy Tech`,
/// `Training 9a-5p`): the ranges and the note. A note is words without digits, and never a
/// word the times need (`9 - 5 pm`).
pub fn parse_with_note(text: &str) -> Result<(Ranges, Option<String>), TimeError> {
    let first = match parse_ranges(text) {
        Ok(rs) => return Ok((rs, None)),
        Err(e) => e,
    };
    let t = text.trim();
    let note = |s: &str| {
        let s = s
            .trim()
            .trim_matches(['(', ')', '[', ']', '-', ':', ','])
            .trim();
        (!s.is_empty()).then(|| crate::values::names::collapse(s))
    };
    // `… (note)` / `… [note]`
    if let Some(open) = t.find(['(', '['])
        && let Ok(rs) = parse_ranges(&t[..open])
    {
        return Ok((rs, note(&t[open..])));
    }
    // Times on some lines, words on the others.
    if t.contains('\n') {
        let (times, words): (Vec<&str>, Vec<&str>) = t
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .partition(|l| l.bytes().any(|b| b.is_ascii_digit()));
        if !times.is_empty()
            && !words.is_empty()
            && words.iter().all(|w| is_note_text(w))
            && let Ok(rs) = parse_ranges(&times.join("\n"))
        {
            return Ok((rs, note(&words.join(" "))));
        }
    }
    // Words after the times (`9a-5p Pharmacy Tech`): cut at each space, left to right.
    for (i, _) in t.match_indices(char::is_whitespace) {
        let (head, tail) = (&t[..i], &t[i..]);
        if is_note_text(tail)
            && let Ok(rs) = parse_ranges(head)
        {
            return Ok((rs, note(tail)));
        }
    }
    // Words before the times (`Training 9a-5p`).
    if let Some(i) = t.find(|c: char| c.is_ascii_digit())
        && is_note_text(&t[..i])
        && let Ok(rs) = parse_ranges(&t[i..])
    {
        return Ok((rs, note(&t[..i])));
    }
    Err(first)
}

/// Text that can be a note beside the times: words with no digit, the first of which is not
/// an AM/PM marker or a clock word.
fn is_note_text(s: &str) -> bool {
    let s = s
        .trim()
        .trim_start_matches(['(', '[', '-', ':', ','])
        .trim();
    let Some(first) = s.split_whitespace().next() else {
        return false;
    };
    let lower = first.to_lowercase();
    let clock_word = matches!(
        lower.trim_end_matches(['.', ',']),
        "a" | "p" | "am" | "pm" | "a.m" | "p.m" | "noon" | "midnight" | "midday" | "to" | "until"
    );
    !clock_word
        && first.chars().next().is_some_and(char::is_alphabetic)
        && !s.bytes().any(|b| b.is_ascii_digit())
}

/// A split shift whose last part was cut off when printed (`8:00 AM-12:00 PM, 1:0`,
/// `8a-12p, 1:`): the ranges before the cut and where the cut-off part starts. `None` when the
/// text is not of that shape.
pub fn parse_clipped(text: &str) -> Option<(Ranges, NaiveTime)> {
    let norm = normalize(text);
    let (head, tail) = norm.rsplit_once([',', ';', '&', '+', '/'])?;
    let head = parse_ranges(head).ok()?;
    let tail = tail.trim();
    // The start of the last part, cut anywhere: `1`, `1:`, `1:0`, `1:00 p`.
    let (body, meridiem) = split_meridiem(tail);
    let body = body.trim();
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h, m),
        None => (body, ""),
    };
    if h.is_empty() || h.len() > 2 || !h.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if m.len() > 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour: u32 = h.parse().ok()?;
    let minute: u32 = format!("{m:0<2}").parse().ok()?;
    if hour > 23 || minute > 59 || (meridiem.is_some() && !(1..=12).contains(&hour)) {
        return None;
    }
    let clock = Clock {
        hour,
        minute,
        meridiem,
        exact: meridiem.is_none() && (hour == 0 || hour >= 13),
    };
    let after = head.last().map(|r| minutes_of(r.end));
    let readings = clock.readings();
    let start = match after {
        Some(a) => readings
            .iter()
            .copied()
            .find(|&s| s >= a)
            .unwrap_or(readings[0]),
        None => readings[0],
    };
    Some((head, to_time(start)))
}

/// Dashes of every kind and the word `to`/`until` become `-`; `and` becomes `,`.
fn normalize(text: &str) -> Cow<'_, str> {
    // Most cells (`9a-5:30p`, `8:00 AM-4:00 PM`) are plain ASCII with nothing to rewrite
    // (`parse_clock` ignores case itself): only those with a dash variant, `~` or a joining
    // word are copied.
    let plain = text.bytes().all(|b| b.is_ascii() && b != b'~');
    let has_joiner = |s: &str| {
        s.contains(' ')
            && JOINERS.iter().any(|(w, _)| {
                s.as_bytes()
                    .windows(w.len())
                    .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
            })
    };
    if plain && !has_joiner(text) {
        return Cow::Borrowed(text);
    }
    let mut s: String = text
        .chars()
        .map(|c| match c {
            '–' | '—' | '−' | '‐' | '‑' | '~' => '-',
            '\u{a0}' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    for (word, with) in JOINERS {
        if s.contains(word) {
            s = s.replace(word, with);
        }
    }
    Cow::Owned(s)
}

/// Words that join two clocks or two ranges, and what they stand for.
const JOINERS: [(&str, &str); 3] = [(" to ", "-"), (" until ", "-"), (" and ", ",")];

/// A day fraction (Excel's time serial: 0.375 = 09:00) as a time, rounded to the minute.
pub fn day_fraction(f: f64) -> Option<NaiveTime> {
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    let frac = f.fract();
    let m = (frac * DAY as f64).round() as u32;
    Some(to_time(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn r(s: &str) -> Vec<(NaiveTime, NaiveTime)> {
        parse_ranges(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .into_iter()
            .map(|r| (r.start, r.end))
            .collect()
    }

    #[test]
    fn clocks() {
        assert_eq!(parse_clock("9a").unwrap().alone(), t(9, 0));
        assert_eq!(parse_clock("9am").unwrap().alone(), t(9, 0));
        assert_eq!(parse_clock("9:30 AM").unwrap().alone(), t(9, 30));
        assert_eq!(parse_clock("9:30 p.m.").unwrap().alone(), t(21, 30));
        assert_eq!(parse_clock("12:00 PM").unwrap().alone(), t(12, 0));
        assert_eq!(parse_clock("12:15 AM").unwrap().alone(), t(0, 15));
        assert_eq!(parse_clock("0930").unwrap().alone(), t(9, 30));
        assert_eq!(parse_clock("21:00").unwrap().alone(), t(21, 0));
        assert_eq!(parse_clock("noon").unwrap().alone(), t(12, 0));
        assert_eq!(parse_clock("24:00").unwrap().alone(), t(0, 0));
        assert!(parse_clock("0930").unwrap().exact);
        assert!(parse_clock("9:30").unwrap().is_ambiguous());
    }

    #[test]
    fn bad_clocks() {
        assert_eq!(parse_clock(""), Err(TimeError::Empty));
        assert_eq!(parse_clock("25:00"), Err(TimeError::OutOfRange));
        assert_eq!(parse_clock("9:75"), Err(TimeError::OutOfRange));
        assert_eq!(parse_clock("13pm"), Err(TimeError::OutOfRange));
        assert_eq!(parse_clock("9;30"), Err(TimeError::Unreadable));
        assert_eq!(parse_clock("late"), Err(TimeError::Unreadable));
        assert_eq!(parse_clock("9:3"), Err(TimeError::Unreadable));
    }

    #[test]
    fn ranges_from_the_issue() {
        assert_eq!(r("9a-5:30p"), vec![(t(9, 0), t(17, 30))]);
        assert_eq!(r("9-5:30"), vec![(t(9, 0), t(17, 30))]);
        assert_eq!(r("9:00 AM - 5:30 PM"), vec![(t(9, 0), t(17, 30))]);
        assert_eq!(r("0930-1800"), vec![(t(9, 30), t(18, 0))]);
        assert_eq!(r("21:00 to 05:00"), vec![(t(21, 0), t(5, 0))]);
        assert_eq!(r("10p-6a"), vec![(t(22, 0), t(6, 0))]);
        assert_eq!(r("10p–6a"), vec![(t(22, 0), t(6, 0))]);
        assert_eq!(
            r("8-12, 1-5"),
            vec![(t(8, 0), t(12, 0)), (t(13, 0), t(17, 0))]
        );
        assert_eq!(
            r("8:00 AM-12:00 PM, 1:00 PM-5:00 PM"),
            vec![(t(8, 0), t(12, 0)), (t(13, 0), t(17, 0))]
        );
        assert_eq!(r("12p-9p"), vec![(t(12, 0), t(21, 0))]);
        assert_eq!(r("1p-9:30p"), vec![(t(13, 0), t(21, 30))]);
    }

    #[test]
    fn one_explicit_end_decides_the_other() {
        assert_eq!(r("9-5p"), vec![(t(9, 0), t(17, 0))]);
        assert_eq!(r("10-6a"), vec![(t(22, 0), t(6, 0))]);
        assert_eq!(r("7-3p"), vec![(t(7, 0), t(15, 0))]);
        assert_eq!(r("9-17"), vec![(t(9, 0), t(17, 0))]);
        assert_eq!(r("21:00-5"), vec![(t(21, 0), t(5, 0))]);
        assert_eq!(r("3p-11"), vec![(t(15, 0), t(23, 0))]);
    }

    #[test]
    fn bare_ranges_read_like_a_pharmacy_day() {
        assert_eq!(r("7-3"), vec![(t(7, 0), t(15, 0))]);
        assert_eq!(r("3-11"), vec![(t(15, 0), t(23, 0))]);
        assert_eq!(r("12-8"), vec![(t(12, 0), t(20, 0))]);
        assert_eq!(r("11-7"), vec![(t(11, 0), t(19, 0))]);
    }

    #[test]
    fn not_ranges() {
        assert_eq!(parse_ranges("OFF"), Err(TimeError::NotARange));
        assert_eq!(parse_ranges("9a"), Err(TimeError::NotARange));
        assert_eq!(parse_ranges("9-5-3"), Err(TimeError::NotARange));
        assert_eq!(parse_ranges("  "), Err(TimeError::Empty));
        assert_eq!(parse_ranges("9:3o-5"), Err(TimeError::Unreadable));
    }

    #[test]
    fn notes_beside_the_times() {
        let (rs, note) = parse_with_note("9a-5p (Training)").unwrap();
        assert_eq!(
            (rs[0].start, rs[0].end, note.as_deref()),
            (t(9, 0), t(17, 0), Some("Training"))
        );
        let (_, note) = parse_with_note("9a-5p Covering").unwrap();
        assert_eq!(note.as_deref(), Some("Covering"));
        let (rs, note) = parse_with_note("9 - 5 pm").unwrap();
        assert_eq!((rs[0].end, note), (t(17, 0), None));
        assert!(parse_with_note("Training").is_err());
        let (rs, note) = parse_with_note("9a-5p\nPharmacy Tech").unwrap();
        assert_eq!(
            (rs[0].end, note.as_deref()),
            (t(17, 0), Some("Pharmacy Tech"))
        );
        let (rs, note) = parse_with_note("Pharmacist\n8-12\n1-5").unwrap();
        assert_eq!((rs.len(), note.as_deref()), (2, Some("Pharmacist")));
        let (rs, note) = parse_with_note("Training 9a-5p").unwrap();
        assert_eq!((rs[0].start, note.as_deref()), (t(9, 0), Some("Training")));
        let (_, note) = parse_with_note("9a-5p Pharmacy Tech").unwrap();
        assert_eq!(note.as_deref(), Some("Pharmacy Tech"));
        assert!(parse_with_note("9a-5p see 2").is_err());
    }

    #[test]
    fn clocks_with_seconds() {
        assert_eq!(parse_clock("08:00:00").unwrap().alone(), t(8, 0));
        assert_eq!(parse_clock("4:30:00 PM").unwrap().alone(), t(16, 30));
        assert!(parse_clock("08:00:00:00").is_err());
        assert_eq!(r("08:00:00-16:30:00"), vec![(t(8, 0), t(16, 30))]);
    }

    #[test]
    fn clipped_split_shifts() {
        let (head, start) = parse_clipped("8:00 AM-12:00 PM, 1:0").unwrap();
        assert_eq!(head.len(), 1);
        assert_eq!(start, t(13, 0));
        assert_eq!(parse_clipped("8a-12p, 1:").unwrap().1, t(13, 0));
        assert_eq!(parse_clipped("8a-12p, 4:3").unwrap().1, t(16, 30));
        assert!(parse_clipped("8a-12p").is_none());
        assert!(parse_clipped("8a-12p, OFF").is_none());
        assert!(parse_clipped("late, 1:").is_none());
    }

    #[test]
    fn day_fractions() {
        assert_eq!(day_fraction(0.375), Some(t(9, 0)));
        assert_eq!(day_fraction(0.729_166_666_7), Some(t(17, 30)));
        assert_eq!(day_fraction(45_000.5), Some(t(12, 0)));
        assert_eq!(day_fraction(-1.0), None);
    }

    fn fmt12(h: u32, m: u32, style: u8) -> String {
        let (h12, ap) = match h {
            0 => (12, "AM"),
            1..=11 => (h, "AM"),
            12 => (12, "PM"),
            _ => (h - 12, "PM"),
        };
        match style % 4 {
            0 => format!("{h12}:{m:02} {ap}"),
            1 => format!("{h12}:{m:02}{}", &ap[..1].to_lowercase()),
            2 => format!("{h:02}:{m:02}"),
            _ => format!("{h:02}{m:02}"),
        }
    }

    proptest! {
        #[test]
        fn ascii_trim_agrees_with_str_trim(s in "[ \t\n\x0b\x0c\r a-z0-9:]{0,12}") {
            prop_assert_eq!(trim(&s), s.trim());
        }
    }

    proptest! {
        /// The byte-level fast path reads every clock it accepts exactly as the general
        /// reader does.
        #[test]
        fn fast_clock_path_agrees_with_the_general_one(
            s in "[0-9]{0,5}([:.h][0-9]{1,3})? ?([aApP]\\.?[mM]?\\.?)?",
        ) {
            if let Some(parts) = plain_clock(s.trim().as_bytes()) {
                prop_assert_eq!(clock_from_parts(parts), parse_clock_general(s.trim()));
            }
        }
    }

    proptest! {
        #[test]
        fn explicit_clocks_round_trip(h in 0u32..24, m in 0u32..60, style in 0u8..4) {
            let c = parse_clock(&fmt12(h, m, style)).unwrap();
            prop_assert_eq!(c.alone(), t(h, m));
        }

        #[test]
        fn explicit_ranges_round_trip(
            h1 in 0u32..24, m1 in 0u32..60, h2 in 0u32..24, m2 in 0u32..60,
            s1 in 0u8..4, s2 in 0u8..4, dash in 0usize..4,
        ) {
            prop_assume!((h1, m1) != (h2, m2));
            let sep = ["-", " - ", "–", " to "][dash];
            // `10:00`..`12:59` without AM/PM is ambiguous by nature: write those in 12-hour form.
            let style = |h: u32, s: u8| if s % 4 == 2 && (10..13).contains(&h) { 0 } else { s };
            let text = format!("{}{sep}{}", fmt12(h1, m1, style(h1, s1)), fmt12(h2, m2, style(h2, s2)));
            let got = parse_ranges(&text).unwrap();
            prop_assert_eq!(got.len(), 1);
            prop_assert_eq!((got[0].start, got[0].end), (t(h1, m1), t(h2, m2)));
        }

        #[test]
        fn ambiguous_ranges_are_shorter_than_a_day(h1 in 1u32..13, h2 in 1u32..13, m in 0u32..60) {
            prop_assume!(h1 != h2);
            let got = parse_ranges(&format!("{h1}:{m:02}-{h2}")).unwrap();
            prop_assert!(got[0].minutes() > 0 && got[0].minutes() <= 12 * 60);
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_ranges(&s);
            let _ = parse_clock(&s);
        }
    }
}
