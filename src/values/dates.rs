//! Dates as schedules write them: typed date cells, Excel serial numbers, `11/24/2025`,
//! `24.11.2025`, `2025-11-24`, `Nov 24, 2025`, and the day headers of a weekly grid
//! (`Mon 11/24`, `Monday`, `Mon 24.11.`).
//!
//! Numeric dates follow the template's [`DateOrder`] (US month-first by default); ISO
//! `YYYY-MM-DD` is always year-first whatever the order says.

use crate::read::grid::Cell;
use crate::values::timespec;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// How a numeric date orders its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// `11/24/2025` (United States, the default).
    #[default]
    Mdy,
    /// `24.11.2025`, `24/11/2025`.
    Dmy,
    /// `2025/11/24`.
    Ymd,
}

impl DateOrder {
    /// How an operator reads the order: `month-first (11/24/2025)`.
    pub fn describe(self) -> &'static str {
        match self {
            DateOrder::Mdy => "month-first (11/24/2025)",
            DateOrder::Dmy => "day-first (24.11.2025)",
            DateOrder::Ymd => "year-first (2025/11/24)",
        }
    }
}

/// A date that may lack its year (`Mon 11/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialDate {
    pub month: u32,
    pub day: u32,
    pub year: Option<i32>,
}

impl PartialDate {
    /// The full date when the year is known.
    pub fn full(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year?, self.month, self.day)
    }

    /// The date in the year that puts it closest to `near`.
    pub fn nearest(&self, near: NaiveDate) -> Option<NaiveDate> {
        if let Some(d) = self.full() {
            return Some(d);
        }
        (near.year() - 1..=near.year() + 1)
            .filter_map(|y| NaiveDate::from_ymd_opt(y, self.month, self.day))
            .min_by_key(|d| (*d - near).num_days().abs())
    }
}

/// What a grid's day column header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayHeader {
    pub weekday: Option<Weekday>,
    pub date: Option<PartialDate>,
}

static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,4})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?\.?$").expect("valid date regex")
});

fn year_of(txt: &str) -> Option<i32> {
    let y: i32 = txt.parse().ok()?;
    match txt.len() {
        2 => Some(2000 + y),
        4 => Some(y),
        _ => None,
    }
}

/// A numeric date, with or without its year (`11/24`, `11/24/25`, `24.11.2025`, `2025-11-24`).
pub fn parse_numeric(text: &str, order: DateOrder) -> Option<PartialDate> {
    let t = text.trim();
    // Digits and separators only (a shift like `9a-5p` is turned away before the regex).
    if t.len() > 11
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'/' | b'.' | b'-'))
    {
        return None;
    }
    let caps = NUMERIC.captures(t)?;
    let a = caps.get(1)?.as_str();
    let b = caps.get(2)?.as_str();
    let c = caps.get(3).map(|m| m.as_str());
    let num = |s: &str| s.parse::<u32>().ok();
    let (month, day, year) = if a.len() == 4 {
        // Year first: ISO and `2025/11/24`.
        (num(b)?, num(c?)?, Some(year_of(a)?))
    } else {
        let year = match c {
            Some(c) => Some(year_of(c)?),
            None => None,
        };
        match order {
            DateOrder::Mdy => (num(a)?, num(b)?, year),
            DateOrder::Dmy => (num(b)?, num(a)?, year),
            DateOrder::Ymd => return None,
        }
    };
    let pd = PartialDate { month, day, year };
    // Validate month and day (29 February is checked against a leap year when none is given).
    NaiveDate::from_ymd_opt(year.unwrap_or(2024), month, day)?;
    Some(pd)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_word(w: &str) -> Option<u32> {
    let mut buf = [0u8; 16];
    let w = crate::values::lowercase_in(w, &mut buf);
    if w.len() < 3 {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .zip(full)
        .position(|(short, long)| long.starts_with(&*w) && w.starts_with(short))
        .map(|i| i as u32 + 1)
}

/// German weekdays: the two-letter abbreviations and the full names only (a prefix such as
/// `frei`, `Don` or `Sam` is a word or a name, not a day).
const GERMAN_WEEKDAYS: [(&str, &str, Weekday); 8] = [
    ("mo", "montag", Weekday::Mon),
    ("di", "dienstag", Weekday::Tue),
    ("mi", "mittwoch", Weekday::Wed),
    ("do", "donnerstag", Weekday::Thu),
    ("fr", "freitag", Weekday::Fri),
    ("sa", "samstag", Weekday::Sat),
    ("so", "sonntag", Weekday::Sun),
    ("sa", "sonnabend", Weekday::Sat),
];

/// A weekday word: `Mon`, `Monday`, `Tues`, `Thurs`, `Sa`, and German `Mo` `Di` `Mi` `Do` `Fr`
/// `Sa` `So`, `Montag` … `Sonntag`.
pub fn weekday_word(w: &str) -> Option<Weekday> {
    let mut buf = [0u8; 16];
    let w = crate::values::lowercase_in(w.trim().trim_end_matches(['.', ',', ':']), &mut buf);
    if w.len() < 2 {
        return None;
    }
    let days = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    days.iter()
        .find(|(name, _)| {
            name.starts_with(&*w)
                && (w.len() >= 3
                    || matches!(&w[..], "mo" | "tu" | "we" | "th" | "fr" | "sa" | "su"))
        })
        .map(|(_, d)| *d)
        .or_else(|| {
            GERMAN_WEEKDAYS
                .iter()
                .find(|(short, long, _)| *short == w || *long == w)
                .map(|(_, _, d)| *d)
        })
}

/// A date written with a month name: `Nov 24, 2025`, `24 November 2025`, `Monday, Nov 24`.
fn parse_named(text: &str) -> Option<PartialDate> {
    // A month name has three letters in a row at least (`9a-5p`, `1/2` are over here).
    let mut run = 0;
    if !text.chars().any(|c| {
        run = if c.is_alphabetic() { run + 1 } else { 0 };
        run >= 3
    }) {
        return None;
    }
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut month = None;
    let mut weekday = None;
    let mut numbers = Vec::new();
    for w in &words {
        if let Some(m) = month_word(w) {
            if month.is_some() {
                return None;
            }
            month = Some(m);
        } else if w.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(*w);
        } else if let Some(d) = weekday_word(w) {
            weekday = Some(d);
        } else if !matches!(w.to_lowercase().as_str(), "st" | "nd" | "rd" | "th" | "of") {
            // Ordinals like `24th` are allowed below; any other word means this is no date.
            let digits = w.trim_end_matches(|c: char| c.is_alphabetic());
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            numbers.push(digits);
        }
    }
    let month = month?;
    let (day, year) = match numbers.as_slice() {
        [d] => (d.parse().ok()?, None),
        [d, y] if d.len() <= 2 => (d.parse().ok()?, Some(year_of(y)?)),
        [y, d] if y.len() == 4 => (d.parse().ok()?, Some(year_of(y)?)),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year.unwrap_or(2024), month, day)?;
    let pd = PartialDate { month, day, year };
    agrees(pd, weekday).then_some(pd)
}

/// Whether a date agrees with the weekday written beside it (always, when either the weekday
/// or the year is missing).
pub fn agrees(pd: PartialDate, weekday: Option<Weekday>) -> bool {
    match (pd.full(), weekday) {
        (Some(d), Some(w)) => d.weekday() == w,
        _ => true,
    }
}

/// A numeric date with a weekday name before or after it (`Thursday 06/03/2025`,
/// `Thu, 06/03/2025`, `06/03/2025 (Thu)`). A weekday that contradicts the date in this order
/// makes it no date: `Thursday 06/03/2025` is 6 March day-first and nothing month-first.
fn parse_weekday_numeric(t: &str, order: DateOrder) -> Option<PartialDate> {
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    let (wd, date) = match words.as_slice() {
        [a, b] => match weekday_word(a) {
            Some(w) => (w, *b),
            None => (weekday_word(b)?, *a),
        },
        _ => return None,
    };
    let pd = parse_numeric(date, order)?;
    agrees(pd, Some(wd)).then_some(pd)
}

/// Any written date, with or without its year.
pub fn parse_partial(text: &str, order: DateOrder) -> Option<PartialDate> {
    let t = text.trim();
    parse_numeric(t, order)
        .or_else(|| parse_named(t))
        .or_else(|| parse_weekday_numeric(t, order))
}

/// A full written date (`11/24/2025`, `24.11.2025` with [`DateOrder::Dmy`], `2025-11-24`,
/// `Nov 24, 2025`).
pub fn parse_date(text: &str, order: DateOrder) -> Option<NaiveDate> {
    parse_partial(text, order)?.full()
}

/// Excel's serial day number (1900 date system) as a date.
pub fn excel_serial(n: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&n) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(Duration::days(n.floor() as i64))
}

/// The date a cell holds: a date or date-time cell, a plausible serial number, or text.
pub fn cell_date(cell: &Cell, order: DateOrder) -> Option<NaiveDate> {
    match cell {
        Cell::Date(d) => Some(*d),
        Cell::DateTime(dt) => Some(dt.date()),
        Cell::Number(n) if (20_000.0..80_000.0).contains(n) => excel_serial(*n),
        Cell::Text(s) => {
            parse_date(s, order).or_else(|| cell_datetime_text(s, order).map(|d| d.date()))
        }
        _ => None,
    }
}

/// Most words a written date spans (`Monday, 24 de noviembre de 2025`).
const MAX_DATE_WORDS: usize = 6;

/// A date and time written in one text (`10/06/2025 09:00`, `2025-10-06T21:30`,
/// `Nov 24, 2025 9:00 PM`).
pub fn cell_datetime_text(text: &str, order: DateOrder) -> Option<NaiveDateTime> {
    let t = text.trim();
    let (date_part, time_part) = if let Some((d, rest)) = t.split_once('T') {
        (d.to_string(), rest.to_string())
    } else {
        let words: Vec<&str> = t.split_whitespace().collect();
        // A date is a few words at most (`Monday, 24 de noviembre de 2025`): only that many
        // prefixes are tried, so a long multi-word cell costs linear time, not one join and
        // parse per word (issue 9: a 390 KB cell took 56 s).
        (1..words.len().min(MAX_DATE_WORDS + 1))
            .filter_map(|n| {
                let d = words[..n].join(" ");
                parse_date(d.trim_end_matches(','), order).map(|_| (d, words[n..].join(" ")))
            })
            .next()?
    };
    let date = parse_date(date_part.trim_end_matches(','), order)?;
    let time_part = time_part.trim_end_matches('Z');
    // Drop seconds: `09:00:00`.
    let time_txt = match time_part.matches(':').count() {
        2 => time_part
            .rsplit_once(':')
            .map(|(a, _)| a)
            .unwrap_or(time_part),
        _ => time_part,
    };
    let clock = timespec::parse_clock(time_txt).ok()?;
    Some(date.and_time(clock.alone()))
}

/// A grid day header: `Mon 11/24`, `Monday`, `11/24`, `Mon 24.11.`, `Monday, Nov 24`, or a
/// typed date cell.
pub fn day_header(cell: &Cell, order: DateOrder) -> Option<DayHeader> {
    match cell {
        Cell::Date(d) => Some(DayHeader {
            weekday: Some(d.weekday()),
            date: Some(PartialDate {
                month: d.month(),
                day: d.day(),
                year: Some(d.year()),
            }),
        }),
        Cell::DateTime(dt) => day_header(&Cell::Date(dt.date()), order),
        Cell::Text(s) => day_header_text(s, order),
        _ => None,
    }
}

fn day_header_text(text: &str, order: DateOrder) -> Option<DayHeader> {
    let t = text.trim();
    if t.is_empty() || t.len() > 40 {
        return None;
    }
    // A shift (`9:30a-5p`) is no day header: a clock's colon after a leading digit.
    if t.starts_with(|c: char| c.is_ascii_digit()) && t.contains(':') {
        return None;
    }
    let mut weekday = None;
    let mut rest = String::new();
    for w in t.split(|c: char| c.is_whitespace() || c == ',' || c == '\n') {
        if w.is_empty() {
            continue;
        }
        if weekday.is_none()
            && w.chars().next().is_some_and(char::is_alphabetic)
            && let Some(d) = weekday_word(w)
        {
            weekday = Some(d);
            continue;
        }
        if !rest.is_empty() {
            rest.push(' ');
        }
        rest.push_str(w);
    }
    let rest = rest.trim().trim_matches(['(', ')']);
    let date = if rest.is_empty() {
        None
    } else {
        Some(parse_partial(rest, order)?)
    };
    if weekday.is_none() && date.is_none() {
        return None;
    }
    Some(DayHeader { weekday, date })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_weekday_may_stand_before_a_numeric_date() {
        for s in ["Mon 11/24/2025", "Monday, 11/24/2025", "mon 11/24/2025"] {
            assert_eq!(parse_date(s, DateOrder::Mdy), Some(d(2025, 11, 24)), "{s}");
        }
        assert_eq!(parse_date("Fun 11/24/2025", DateOrder::Mdy), None);
    }

    #[test]
    fn german_weekdays_are_abbreviations_or_full_names() {
        for (w, d) in [
            ("Di", Weekday::Tue),
            ("Mi.", Weekday::Wed),
            ("Do", Weekday::Thu),
            ("So", Weekday::Sun),
            ("Sonntag", Weekday::Sun),
            ("Sonnabend", Weekday::Sat),
            ("Donnerstag", Weekday::Thu),
        ] {
            assert_eq!(weekday_word(w), Some(d), "{w}");
        }
        for w in ["frei", "Don", "Die", "Mit", "Sonn"] {
            assert_eq!(weekday_word(w), None, "{w}");
        }
        assert_eq!(
            day_header_text("Di 25.11.", DateOrder::Dmy).and_then(|h| h.weekday),
            Some(Weekday::Tue)
        );
    }

    /// `Thursday 06/03/2025` is 6 March (a Thursday), never 3 June (a Tuesday).
    #[test]
    fn a_weekday_beside_a_date_decides_its_order() {
        for s in ["Thursday 06/03/2025", "Thu, 06/03/2025", "06/03/2025 (Thu)"] {
            assert_eq!(parse_date(s, DateOrder::Dmy), Some(d(2025, 3, 6)), "{s}");
            assert_eq!(parse_date(s, DateOrder::Mdy), None, "{s}");
        }
        assert_eq!(
            parse_date("Tue, Jun 3, 2025", DateOrder::Mdy),
            Some(d(2025, 6, 3))
        );
        assert_eq!(parse_date("Thu, Jun 3, 2025", DateOrder::Mdy), None);
    }

    #[test]
    fn numeric_dates() {
        assert_eq!(
            parse_date("11/24/2025", DateOrder::Mdy),
            Some(d(2025, 11, 24))
        );
        assert_eq!(parse_date("3/2/26", DateOrder::Mdy), Some(d(2026, 3, 2)));
        assert_eq!(
            parse_date("24.11.2025", DateOrder::Dmy),
            Some(d(2025, 11, 24))
        );
        assert_eq!(parse_date("24.11.2025", DateOrder::Mdy), None);
        assert_eq!(
            parse_date("2025-11-24", DateOrder::Dmy),
            Some(d(2025, 11, 24))
        );
        assert_eq!(parse_date("2/30/2025", DateOrder::Mdy), None);
        assert_eq!(parse_date("11/24", DateOrder::Mdy), None);
    }

    #[test]
    fn named_dates() {
        assert_eq!(
            parse_date("Nov 24, 2025", DateOrder::Mdy),
            Some(d(2025, 11, 24))
        );
        assert_eq!(
            parse_date("24 November 2025", DateOrder::Mdy),
            Some(d(2025, 11, 24))
        );
        assert_eq!(
            parse_date("Monday, November 24th, 2025", DateOrder::Mdy),
            Some(d(2025, 11, 24))
        );
        assert_eq!(parse_date("Store 1042", DateOrder::Mdy), None);
    }

    #[test]
    fn datetimes() {
        let dt = cell_datetime_text("10/06/2025 09:00", DateOrder::Mdy).unwrap();
        assert_eq!(dt, d(2025, 10, 6).and_hms_opt(9, 0, 0).unwrap());
        let dt = cell_datetime_text("2025-10-06T21:30:00", DateOrder::Mdy).unwrap();
        assert_eq!(dt, d(2025, 10, 6).and_hms_opt(21, 30, 0).unwrap());
        let dt = cell_datetime_text("Nov 24, 2025 9:00 PM", DateOrder::Mdy).unwrap();
        assert_eq!(dt, d(2025, 11, 24).and_hms_opt(21, 0, 0).unwrap());
    }

    #[test]
    fn day_headers() {
        let h = day_header(&Cell::Text("Mon 11/24".into()), DateOrder::Mdy).unwrap();
        assert_eq!(h.weekday, Some(Weekday::Mon));
        assert_eq!(
            h.date.unwrap().nearest(d(2025, 11, 20)),
            Some(d(2025, 11, 24))
        );
        let h = day_header(&Cell::Text("Tuesday".into()), DateOrder::Mdy).unwrap();
        assert_eq!((h.weekday, h.date), (Some(Weekday::Tue), None));
        let h = day_header(&Cell::Text("Mo 24.11.".into()), DateOrder::Dmy).unwrap();
        assert_eq!(h.date.unwrap().month, 11);
        assert!(day_header(&Cell::Text("Total Hrs".into()), DateOrder::Mdy).is_none());
        assert!(day_header(&Cell::Text("Employee".into()), DateOrder::Mdy).is_none());
        assert!(day_header(&Cell::Text("Role".into()), DateOrder::Mdy).is_none());
        let h = day_header(&Cell::Date(d(2025, 11, 24)), DateOrder::Mdy).unwrap();
        assert_eq!(h.weekday, Some(Weekday::Mon));
    }

    #[test]
    fn serials() {
        assert_eq!(excel_serial(45_985.0), Some(d(2025, 11, 24)));
        assert_eq!(
            cell_date(&Cell::Number(45_985.0), DateOrder::Mdy),
            Some(d(2025, 11, 24))
        );
    }
}
