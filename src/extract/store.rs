//! Store numbers: from a store column (`1042`, `Store 2207`, `Pharmacy #4120`), or, when no
//! column has one, from the template's sources in order: the title cells above the header,
//! the sheet name, the file name.

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
                .find_map(|s| {
                    t.store_re
                        .captures(s)
                        .and_then(|c| c.get(1)?.as_str().parse().ok())
                }),
            StoreSource::SheetName => t
                .store_re
                .captures(&sheet.name)
                .and_then(|c| c.get(1)?.as_str().parse().ok()),
            StoreSource::FileName => t
                .store_re
                .captures(file_name)
                .and_then(|c| c.get(1)?.as_str().parse().ok()),
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
