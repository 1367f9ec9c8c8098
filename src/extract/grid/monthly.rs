//! Monthly rosters: the day numbers `1.` … `31.` (or `1` … `31`) across, usually under or over
//! a row of weekday abbreviations (`Mo Di Mi`, `Mon Tue`), with the month and year only in
//! the title (`Dienstplan März 2025`, `Schedule - March 2025`, `03/2025`) or the sheet name.
//! The weekday row must agree with the month: a title that disagrees is an error, never a
//! guess; a title without a year takes the year in which the weekdays fall right.

use super::Found;
use super::header::{Header, parse_header};
use crate::read::grid::{Cell, Row, Sheet};
use crate::template::set::CompiledTemplate;
use crate::values::dates;
use chrono::{Datelike, NaiveDate, Weekday};

/// A monthly roster's header, when the sheet has a row of day numbers from 1 to at least 28.
pub(super) fn locate(
    sheet: &Sheet,
    t: &CompiledTemplate,
    today: NaiveDate,
) -> Option<Result<Found, String>> {
    let top: Vec<&Row> = sheet
        .rows()
        .iter()
        .take(t.def.values.header_search_rows as usize)
        .collect();
    let (at, numbers) = top.iter().enumerate().find_map(|(i, r)| {
        let n = day_numbers(&r.cells);
        (n.len() >= 28).then_some((i, n))
    })?;
    Some(read_month(sheet, &top, at, &numbers, t, today))
}

fn read_month(
    sheet: &Sheet,
    top: &[&Row],
    at: usize,
    numbers: &[(u32, u32, Option<Weekday>)],
    t: &CompiledTemplate,
    today: NaiveDate,
) -> Result<Found, String> {
    let num_row = top[at];
    // The weekday row just above or below (or the weekdays in the number cells themselves).
    let neighbours = [at.checked_sub(1), Some(at + 1)];
    let wd_row = neighbours
        .into_iter()
        .flatten()
        .filter_map(|i| top.get(i).copied())
        .find(|r| {
            let hits = numbers
                .iter()
                .filter(|(c, _, _)| weekday_of(r.cells.get(*c as usize)).is_some())
                .count();
            hits * 2 >= numbers.len()
        });
    let weekdays: Vec<Option<Weekday>> = numbers
        .iter()
        .map(|(c, _, w)| w.or_else(|| wd_row.and_then(|r| weekday_of(r.cells.get(*c as usize)))))
        .collect();
    let first_row = wd_row.map_or(num_row.index, |r| r.index.min(num_row.index));
    let last_row = wd_row.map_or(num_row.index, |r| r.index.max(num_row.index));
    let (month, year) = title_month(sheet, first_row)
        .ok_or("day numbers 1 to 31 across, but no month and year in the title (e.g. \"Schedule - March 2025\")")?;
    let first_wd = numbers
        .iter()
        .zip(&weekdays)
        .find_map(|((_, n, _), w)| w.map(|w| (*n, w)));
    let (year, guessed) = match (year, first_wd) {
        (Some(y), _) => (y, false),
        (None, Some((n, w))) => (
            (today.year() - 2..=today.year() + 1)
                .filter(|y| NaiveDate::from_ymd_opt(*y, month, n).is_some_and(|d| d.weekday() == w))
                .min_by_key(|y| (y - today.year()).abs())
                .ok_or("the title's month and the weekday row do not agree in any recent year")?,
            false,
        ),
        (None, None) => (today.year(), true),
    };
    let mut days = Vec::new();
    let mut wrong = 0;
    for ((col, n, _), wd) in numbers.iter().zip(&weekdays) {
        let Some(date) = NaiveDate::from_ymd_opt(year, month, *n) else {
            continue;
        };
        if wd.is_some_and(|w| w != date.weekday()) {
            wrong += 1;
        }
        days.push((*col, date));
    }
    if wrong > 0 {
        return Err(format!(
            "the weekdays in row {} do not match {year}-{month:02} from the title ({wrong} days differ): check the title's month and year",
            wd_row.map_or(num_row.index, |r| r.index) + 1
        ));
    }
    Ok(Found {
        header: merged_header(num_row, wd_row, last_row, t),
        days,
        week_of: None,
        year_guessed: guessed,
        bonus: 10,
    })
}

/// The employee and other mapped columns, labelled on the number row or the weekday row.
fn merged_header(
    num_row: &Row,
    wd_row: Option<&Row>,
    last_row: u32,
    t: &CompiledTemplate,
) -> Header {
    let mut h = parse_header(&num_row.cells, t);
    if let Some(w) = wd_row {
        let o = parse_header(&w.cells, t);
        if h.employee_col.is_none() {
            h.employee_col = o.employee_col;
            h.name_cols = o.name_cols;
            h.first_name_col = o.first_name_col;
            h.last_name_col = o.last_name_col;
        }
        for (f, c) in o.columns {
            if !h.columns.iter().any(|(x, _)| *x == f) {
                h.columns.push((f, c));
            }
        }
    }
    h.row = last_row;
    h.days.clear();
    h
}

/// `(column, day number, weekday written in the same cell)` of the longest run 1, 2, 3, …
/// across a row.
fn day_numbers(cells: &[Cell]) -> Vec<(u32, u32, Option<Weekday>)> {
    let mut run = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let Some((n, wd)) = day_number(c) else {
            continue;
        };
        if n == run.len() as u32 + 1 {
            run.push((i as u32, n, wd));
        } else if n == 1 && run.len() < 28 {
            run = vec![(i as u32, n, wd)];
        }
    }
    run
}

/// A day number cell: `1`, `1.`, `01`, a number 1 to 31, or with its weekday (`Mo 1.`,
/// `1` / `Mo` on two lines).
fn day_number(c: &Cell) -> Option<(u32, Option<Weekday>)> {
    match c {
        Cell::Number(n) if n.fract() == 0.0 && (1.0..=31.0).contains(n) => Some((*n as u32, None)),
        Cell::Text(s) if s.len() <= 16 => {
            let mut n = None;
            let mut wd = None;
            for w in s.split(|c: char| c.is_whitespace() || c == ',') {
                let w = w.trim();
                if w.is_empty() {
                    continue;
                }
                let digits = w.trim_end_matches('.');
                if n.is_none()
                    && !digits.is_empty()
                    && digits.len() <= 2
                    && digits.bytes().all(|b| b.is_ascii_digit())
                {
                    n = Some(
                        digits
                            .parse::<u32>()
                            .ok()
                            .filter(|n| (1..=31).contains(n))?,
                    );
                } else if wd.is_none() {
                    wd = Some(dates::weekday_word(w)?);
                } else {
                    return None;
                }
            }
            Some((n?, wd))
        }
        _ => None,
    }
}

fn weekday_of(c: Option<&Cell>) -> Option<Weekday> {
    match c? {
        Cell::Text(s) => dates::weekday_word(s.trim()),
        _ => None,
    }
}

/// A month in English or German (`March`, `Mar`, `März`, `Maerz`, `Mrz`, `Okt`, `Dez`).
fn month_word(w: &str) -> Option<u32> {
    let w = w.trim_end_matches('.').to_lowercase();
    if w.len() < 3 {
        return None;
    }
    const NAMES: [&[&str]; 12] = [
        &["january", "januar", "jänner", "jaenner"],
        &["february", "februar", "feber"],
        &["march", "märz", "maerz", "mrz"],
        &["april"],
        &["may", "mai"],
        &["june", "juni"],
        &["july", "juli"],
        &["august"],
        &["september"],
        &["october", "oktober"],
        &["november"],
        &["december", "dezember"],
    ];
    NAMES
        .iter()
        .position(|names| names.iter().any(|n| n.starts_with(w.as_str())))
        .map(|i| i as u32 + 1)
}

/// The month (and year, when written) from the cells above the header or the sheet's name:
/// `März 2025`, `March 2025`, `Schedule - Mar 2025`, `03/2025`, `2025-03`.
fn title_month(sheet: &Sheet, header_row: u32) -> Option<(u32, Option<i32>)> {
    let texts = sheet
        .rows()
        .iter()
        .take_while(|r| r.index < header_row)
        .flat_map(|r| r.cells.iter())
        .filter_map(|c| match c {
            Cell::Text(s) => Some(s.clone()),
            Cell::Date(d) => Some(format!("{:02}/{}", d.month(), d.year())),
            _ => None,
        })
        .chain(std::iter::once(sheet.name.to_string()));
    let mut month_only = None;
    for s in texts {
        match month_in(&s) {
            Some((m, Some(y))) => return Some((m, Some(y))),
            Some((m, None)) => {
                month_only.get_or_insert((m, None));
            }
            None => {}
        }
    }
    month_only
}

fn month_in(s: &str) -> Option<(u32, Option<i32>)> {
    let words: Vec<&str> = s
        .split(|c: char| !(c.is_alphanumeric() || c == '/' || c == '.' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let year_of = |w: &str| {
        let w = w.trim_matches(['.', '-', '/']);
        (w.len() == 4)
            .then(|| w.parse::<i32>().ok())
            .flatten()
            .filter(|y| (2000..2100).contains(y))
    };
    let month = words
        .iter()
        .find_map(|w| month_word(w.trim_matches(['.', '-', '/'])));
    if let Some(m) = month {
        return Some((m, words.iter().find_map(|w| year_of(w))));
    }
    // `03/2025`, `03.2025`, `2025-03`.
    words.iter().find_map(|w| {
        let (a, b) = w.split_once(['/', '.', '-'])?;
        let (m, y) = if a.len() == 4 { (b, a) } else { (a, b) };
        let m: u32 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
        Some((m, Some(year_of(y)?)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_in_titles() {
        assert_eq!(month_in("Dienstplan März 2025"), Some((3, Some(2025))));
        assert_eq!(month_in("Schedule - March 2025"), Some((3, Some(2025))));
        assert_eq!(
            month_in("Roster Oct. 2025 Store 12"),
            Some((10, Some(2025)))
        );
        assert_eq!(month_in("Dienstplan 03/2025"), Some((3, Some(2025))));
        assert_eq!(month_in("Plan Dezember"), Some((12, None)));
        assert_eq!(month_in("Store 1042"), None);
        assert_eq!(month_in("Maria Garcia"), None);
    }

    #[test]
    fn day_numbers_and_weekdays() {
        let t = |s: &str| Cell::Text(s.into());
        assert_eq!(day_number(&t("1.")), Some((1, None)));
        assert_eq!(day_number(&t("Mo 3.")), Some((3, Some(Weekday::Mon))));
        assert_eq!(day_number(&t("12\nDi")), Some((12, Some(Weekday::Tue))));
        assert_eq!(day_number(&Cell::Number(31.0)), Some((31, None)));
        assert_eq!(day_number(&t("32")), None);
        assert_eq!(day_number(&t("Maria")), None);
        assert_eq!(dates::weekday_word("Do"), Some(Weekday::Thu));
        assert_eq!(dates::weekday_word("Mi."), Some(Weekday::Wed));
        assert_eq!(dates::weekday_word("So"), Some(Weekday::Sun));
        assert_eq!(dates::weekday_word("Sonnabend"), Some(Weekday::Sat));
    }
}
