//! Store numbers: from a store column (`1042`, `Store 2207`, `Pharmacy #4120`), or, when no
//! column has one, from the template's sources in order: the title cells above the header,
//! the sheet name, the file name. In each place the template's pattern (`Store 1042`,
//! `Filiale 12`) is tried first, then a number after `#` in a brand title (`Walgreens #4410 -
//! Pharmacy`, never `Week #48`). Last comes the caller's fallback (an inbox folder named after
//! the store).

use super::cells;
use crate::read::grid::{Cell, Sheet};
use crate::template::model::StoreSource;
use crate::template::set::CompiledTemplate;
use regex::Regex;

/// A store number from text: the template's pattern, or the whole text being a number
/// (`1042`, `#1042`).
pub fn from_text(text: &str, re: &Regex) -> Option<i32> {
    if let Some(c) = re.captures(text) {
        return c.get(1)?.as_str().parse().ok();
    }
    let t = text.trim().trim_start_matches('#').trim();
    if !t.is_empty() && t.len() <= 6 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    None
}

/// A store number from a store column's text: as [`from_text`], else the one number the text
/// holds (`1042 - Springfield`, `CVS #1042`, `Loc 1042`, `1042.0`). Two numbers are ambiguous.
fn from_column_text(text: &str, re: &Regex) -> Option<i32> {
    if let Some(n) = from_text(text, re) {
        return Some(n);
    }
    let t = text.trim();
    let t = t.strip_suffix(".0").unwrap_or(t);
    let mut runs = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty());
    let only = runs.next()?;
    (runs.next().is_none() && only.len() <= 6)
        .then(|| only.parse().ok())
        .flatten()
}

/// A store number from a store-column cell.
pub fn from_cell(cell: &Cell, re: &Regex) -> Option<i32> {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 && *n > 0.0 && *n < 1_000_000.0 => Some(*n as i32),
        other => from_column_text(&cells::text(other)?, re),
    }
}

/// Words before `#` that number something other than a store (`Week #48`, `Page #2`).
const NOT_STORE_WORDS: [&str; 14] = [
    "week", "wk", "kw", "page", "pg", "employee", "emp", "id", "invoice", "order", "ticket",
    "version", "rev", "run",
];

/// A store number written after `#` in a title (`<Brand> #4410 - Pharmacy`): two to six
/// digits, not after a word that numbers something else.
pub fn hash_number(text: &str) -> Option<i32> {
    text.match_indices('#').find_map(|(i, _)| {
        let before = text[..i].trim_end();
        let word = before
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("")
            .to_lowercase();
        if NOT_STORE_WORDS.contains(&word.as_str()) {
            return None;
        }
        let rest = text[i + 1..].trim_start();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let after = rest[digits..].chars().next();
        ((2..=6).contains(&digits) && !after.is_some_and(char::is_alphanumeric))
            .then(|| rest[..digits].parse().ok())
            .flatten()
    })
}

/// The store a title, sheet name or file name gives: the template's pattern, else `#4410`.
fn in_text(text: &str, re: &Regex) -> Option<i32> {
    re.captures(text)
        .and_then(|c| c.get(1)?.as_str().parse().ok())
        .or_else(|| hash_number(text))
}

/// The store number a sheet states outside any column, trying the template's sources in order.
/// `above` is the header row: only cells above it count as the title.
pub fn sheet_store(
    sheet: &Sheet,
    above: u32,
    file_name: &str,
    t: &CompiledTemplate,
) -> Option<i32> {
    for source in &t.def.store.from {
        let found = match source {
            StoreSource::Title => sheet
                .rows()
                .iter()
                .take_while(|r| r.index < above)
                .flat_map(|r| r.cells.iter())
                .filter_map(|c| c.as_text())
                .find_map(|s| in_text(s, &t.store_re)),
            StoreSource::SheetName => in_text(&sheet.name, &t.store_re),
            StoreSource::FileName => in_text(file_name, &t.store_re),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::model::DEFAULT_STORE_PATTERN;

    #[test]
    fn store_column_cells_with_one_number() {
        let re = Regex::new(DEFAULT_STORE_PATTERN).unwrap();
        for (s, n) in [
            ("1042 - Springfield", Some(1042)),
            ("CVS #1042", Some(1042)),
            ("Loc 1042", Some(1042)),
            ("1042.0", Some(1042)),
            ("Springfield 12 / Peoria 14", None),
            ("Springfield", None),
        ] {
            assert_eq!(from_cell(&Cell::Text(s.into()), &re), n, "{s}");
        }
    }

    #[test]
    fn brand_titles_give_the_number_after_the_hash() {
        let re = Regex::new(DEFAULT_STORE_PATTERN).unwrap();
        for (s, n) in [
            ("Walgreens #4410 - Pharmacy", Some(4410)),
            ("ACME Drug # 0712 Weekly Schedule", Some(712)),
            ("Week #48 Schedule", None),
            ("Page #2", None),
            ("Team #1", None),
            ("Filiale 12", Some(12)),
            ("Store 1042 schedule.xlsx", Some(1042)),
            ("Apotheke am Markt - Filiale 7", Some(7)),
        ] {
            assert_eq!(in_text(s, &re), n, "{s}");
        }
    }

    #[test]
    fn store_texts() {
        let re = Regex::new(DEFAULT_STORE_PATTERN).unwrap();
        assert_eq!(from_text("Store 2207", &re), Some(2207));
        assert_eq!(from_text("Pharmacy #4120", &re), Some(4120));
        assert_eq!(
            from_text("Store #2207 - Pharmacy Schedule", &re),
            Some(2207)
        );
        assert_eq!(from_text("store_1042_week48.xlsx", &re), Some(1042));
        assert_eq!(from_text("Location: 12", &re), Some(12));
        assert_eq!(from_text("#1042", &re), Some(1042));
        assert_eq!(from_text("Weekly Pharmacy Staff Schedule", &re), None);
        assert_eq!(from_cell(&Cell::Number(5009.0), &re), Some(5009));
    }
}
