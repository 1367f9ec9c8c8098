//! Shift codes and their times, from a legend on the sheet: text entries (`F = 06:00-14:00`,
//! `S 14-22`, `N: Nacht 22:00 - 06:00`, `1 = 6-14`, several in one cell), a small table under
//! a `Code | Start | End` (`Kürzel | Beginn | Ende`, `Code | Time`) header, or rows of a code
//! followed by its times (`F` | `Früh` | `06:00` | `14:00`). The legend is in the sheet's own
//! language: where it says `F` is a shift, `F` is not "frei".

use super::super::cells;
use crate::read::grid::{Cell, Row, Sheet};
use crate::template::set::{CompiledTemplate, norm_key};
use crate::values::timespec::{self, Ranges};

/// The codes of one sheet and the rows the legend stands on (never read as employees).
#[derive(Debug, Clone, Default)]
pub struct Legend {
    /// Lower-cased code and its shifts.
    codes: Vec<(String, Ranges)>,
    /// `(row, column)` of each entry's first cell, in row order.
    cells: Vec<(u32, u32)>,
}

impl Legend {
    /// The legend of a sheet; empty when fewer than two codes are found.
    pub fn find(sheet: &Sheet, t: &CompiledTemplate) -> Legend {
        let mut l = Legend::default();
        let order = t.def.values.date_order;
        let mut table: Option<TableCols> = None;
        for row in sheet.rows() {
            if let Some(cols) = &table {
                if let Some((code, rs)) = cols.entry(row, order) {
                    l.add((row.index, cols.code as u32), code, rs);
                    continue;
                }
                table = None;
            }
            if let Some(cols) = TableCols::of(row) {
                l.cells.push((row.index, cols.code as u32));
                table = Some(cols);
                continue;
            }
            if let Some((col, code, rs)) = row_entry(row, order) {
                l.add((row.index, col), code, rs);
                continue;
            }
            for (i, c) in row.cells.iter().enumerate() {
                if let Cell::Text(s) = c {
                    for (code, rs) in text_entries(s) {
                        l.add((row.index, i as u32), code, rs);
                    }
                }
            }
        }
        if l.codes.len() < 2 {
            l = Legend::default();
        }
        l.cells.dedup();
        // The template's code table fills in what the sheet's legend does not say.
        for (code, times) in &t.def.values.shift_codes {
            if let Ok(rs) = timespec::parse_ranges(times) {
                let code = code.to_lowercase();
                if !l.codes.iter().any(|(c, _)| *c == code) {
                    l.codes.push((code, rs));
                }
            }
        }
        l
    }

    fn add(&mut self, at: (u32, u32), code: String, rs: Ranges) {
        self.cells.push(at);
        let code = code.to_lowercase();
        if !self.codes.iter().any(|(c, _)| *c == code) {
            self.codes.push((code, rs));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The shifts of a code (case ignored).
    pub fn lookup(&self, code: &str) -> Option<&Ranges> {
        let code = code.trim();
        if code.is_empty() || code.len() > 24 {
            return None;
        }
        let code = code.to_lowercase();
        self.codes.iter().find(|(c, _)| *c == code).map(|(_, r)| r)
    }

    /// Whether a row is a legend row: an entry starts left of `first_day_col` (in the names'
    /// columns). A legend to the right of the grid shares rows with employees.
    pub fn holds_row(&self, row: u32, first_day_col: u32) -> bool {
        if self.cells.is_empty() {
            return false;
        }
        let from = self.cells.partition_point(|(r, _)| *r < row);
        self.cells[from..]
            .iter()
            .take_while(|(r, _)| *r == row)
            .any(|(_, c)| *c < first_day_col)
    }
}

/// A code as legends write it: letters and digits (`F`, `S1`, `Früh`, `1`), not starting with
/// a digit unless all digits (`9a` is a time, not a code).
fn is_code(w: &str, max: usize) -> bool {
    let n = w.chars().count();
    n >= 1
        && n <= max
        && w.chars().all(char::is_alphanumeric)
        && (w.chars().all(|c| c.is_ascii_digit()) || !w.starts_with(|c: char| c.is_ascii_digit()))
}

/// The entries of one text cell: `F = 06:00-14:00`, `S 14-22`, `N: Nacht 22-6`,
/// `Früh (F): 6-14`, several separated by lines, `;`, `|` or (with `=`) commas.
fn text_entries(s: &str) -> Vec<(String, Ranges)> {
    if s.len() > 200 || !s.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let t = s.trim_start();
    let first_word = &t[..t.find(|c: char| !c.is_alphanumeric()).unwrap_or(t.len())];
    // One entry starts with its code; a cell of one entry whose first word is no code (a
    // time such as `8a-4:30p`, the bulk of a big grid) is left at once.
    let several = || s.bytes().any(|b| matches!(b, b'\n' | b';' | b'|' | b'='));
    if first_word.is_empty() || !(is_code(first_word, 12) || several()) {
        return Vec::new();
    }
    let many_eq = s.matches('=').count() > 1;
    s.split(|c: char| matches!(c, '\n' | ';' | '|') || (many_eq && c == ','))
        .filter_map(text_entry)
        .collect()
}

fn text_entry(part: &str) -> Option<(String, Ranges)> {
    let p = part.trim();
    let end = p.find(|c: char| !c.is_alphanumeric()).unwrap_or(p.len());
    let (mut code, mut rest) = (&p[..end], p[end..].trim_start());
    // `Früh (F): …`: the code in parentheses after its name.
    if let Some(inner) = rest.strip_prefix('(')
        && let Some((c, after)) = inner.split_once(')')
        && is_code(c.trim(), 3)
    {
        code = c.trim();
        rest = after.trim_start();
    }
    let sep = ["=", ":", "–", "—", "- "]
        .iter()
        .find_map(|s| rest.strip_prefix(s));
    let has_sep = sep.is_some();
    let rest = sep.unwrap_or(rest).trim();
    let numbered = code.chars().all(|c| c.is_ascii_digit());
    if !is_code(code, 12) || !(has_sep || (code.chars().count() <= 3 && !numbered)) {
        return None;
    }
    // A name of the shift before its times (`Früh`, `Early (`).
    let digit = rest.find(|c: char| c.is_ascii_digit())?;
    let label = &rest[..digit];
    // `Key: E = 7-15`: a title before the first entry.
    if label.contains('=') {
        return text_entry(rest);
    }
    if label.chars().any(|c| {
        !(c.is_alphabetic() || c.is_whitespace() || matches!(c, '(' | '[' | '-' | ':' | ',' | '.'))
    }) {
        return None;
    }
    let times = rest[digit..].trim().trim_end_matches([')', ']']).trim_end();
    let times = strip_suffix_word(times, &["uhr", "h", "hrs"]);
    let rs = timespec::parse_ranges(times).ok()?;
    Some((code.to_string(), rs))
}

fn strip_suffix_word<'a>(s: &'a str, words: &[&str]) -> &'a str {
    for w in words {
        let cut = s.len().saturating_sub(w.len());
        if cut > 0
            && let (Some(head), Some(tail)) = (s.get(..cut), s.get(cut..))
            && tail.eq_ignore_ascii_case(w)
            && head.ends_with(|c: char| c.is_whitespace() || c.is_ascii_digit())
        {
            return head.trim_end();
        }
    }
    s
}

/// A legend row without a header: a short upper-case (or numbered) code, an optional `=` and
/// name, then a range or two times: `F` | `Früh` | `06:00` | `14:00`, `N` | `22:00-06:00`.
fn row_entry(row: &Row, order: crate::values::dates::DateOrder) -> Option<(u32, String, Ranges)> {
    if !(2..=5).contains(&row.cells.iter().filter(|c| !c.is_empty()).count()) {
        return None;
    }
    let filled: Vec<&Cell> = row.cells.iter().filter(|c| !c.is_empty()).collect();
    let col = row.cells.iter().position(|c| !c.is_empty())? as u32;
    let code = match filled[0] {
        Cell::Text(s) => s.trim().trim_end_matches([':', '=']).trim().to_string(),
        Cell::Number(n) if n.fract() == 0.0 && (0.0..100.0).contains(n) => format!("{}", *n as i64),
        _ => return None,
    };
    let upper = code.chars().all(|c| c.is_uppercase() || c.is_ascii_digit());
    if !is_code(&code, 3) || !upper {
        return None;
    }
    let rest: Vec<&Cell> = filled[1..]
        .iter()
        .copied()
        // Texts without a digit (the shift's name) are left out.
        .filter(|c| {
            c.as_text()
                .is_none_or(|s| s.bytes().any(|b| b.is_ascii_digit()))
        })
        .collect();
    let rs = match rest.as_slice() {
        [Cell::Text(s)] => timespec::parse_ranges(s).ok()?,
        [a, b] => pair(a, b, order)?,
        _ => return None,
    };
    Some((col, code, rs))
}

fn pair(a: &Cell, b: &Cell, order: crate::values::dates::DateOrder) -> Option<Ranges> {
    let s = cells::clock(a, order).ok()?;
    let e = cells::clock(b, order).ok()?;
    let mut rs = Ranges::new();
    rs.push(timespec::resolve(s, e, None));
    Some(rs)
}

const CODE_HEADERS: &[&str] = &[
    "code",
    "codes",
    "shiftcode",
    "kurzel",
    "kuerzel",
    "kürzel",
    "abk",
    "abkurzung",
    "abkürzung",
    "key",
    "legend",
    "legende",
    "symbol",
    "zeichen",
];

/// The columns of a legend table under a `Code | Start | End` or `Code | Time` header.
struct TableCols {
    code: usize,
    start: usize,
    /// The end column, or none when the start column holds whole ranges.
    end: Option<usize>,
}

impl TableCols {
    /// A legend table's header: a code cell with its time cells in the next few columns
    /// (the header may stand beside a grid's own header).
    fn of(row: &Row) -> Option<TableCols> {
        let is = |i: usize, names: &[&str]| {
            row.cells[i].as_text().is_some_and(|s| {
                // Cheap tests first: every cell of a big grid passes through here.
                let first = s.trim_start().bytes().next().unwrap_or(b' ');
                s.len() <= 14
                    && first.is_ascii_alphabetic()
                    && names
                        .iter()
                        .any(|n| n.as_bytes()[0] == first.to_ascii_lowercase())
                    && names.contains(&norm_key(s).as_str())
            })
        };
        let code = (0..row.cells.len()).find(|&i| is(i, CODE_HEADERS))?;
        let near = code + 1..(code + 5).min(row.cells.len());
        let find = |names: &[&str]| near.clone().find(|&i| is(i, names));
        if let Some(start) = find(&[
            "start",
            "begin",
            "beginn",
            "von",
            "from",
            "starttime",
            "timein",
        ]) {
            let end = find(&["end", "ende", "bis", "to", "until", "endtime", "timeout"])?;
            return Some(TableCols {
                code,
                start,
                end: Some(end),
            });
        }
        let time = find(&[
            "time",
            "times",
            "zeit",
            "uhrzeit",
            "arbeitszeit",
            "hours",
            "dienstzeit",
            "shifttime",
        ])?;
        Some(TableCols {
            code,
            start: time,
            end: None,
        })
    }

    fn entry(&self, row: &Row, order: crate::values::dates::DateOrder) -> Option<(String, Ranges)> {
        let get = |i: usize| row.cells.get(i).unwrap_or(&Cell::Empty);
        let code = cells::text(get(self.code))?;
        if !is_code(&code, 12) {
            return None;
        }
        let rs = match self.end {
            Some(end) => pair(get(self.start), get(end), order)?,
            None => timespec::parse_ranges(&cells::text(get(self.start))?).ok()?,
        };
        Some((code, rs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn one(s: &str) -> Option<(String, (NaiveTime, NaiveTime))> {
        let mut v = text_entries(s);
        (v.len() == 1).then(|| {
            let (c, rs) = v.remove(0);
            (c, (rs[0].start, rs[0].end))
        })
    }

    /// `values.shift_codes` fills in codes no legend on the sheet gives; a code whose times do
    /// not read refuses the template.
    #[test]
    fn template_code_table() {
        use crate::template::set::TemplateSet;
        let set = TemplateSet::embedded().unwrap();
        let mut def = set.get("weekly-grid").unwrap().def.clone();
        def.values
            .shift_codes
            .insert("ND".into(), "08:00-20:00".into());
        let t = CompiledTemplate::compile(def.clone(), String::new(), "test".into()).unwrap();
        let mut sheet = Sheet::new("Plan");
        sheet.push_row(0, vec![Cell::Text("F = 6-14".into())]);
        sheet.push_row(1, vec![Cell::Text("S = 14-22".into())]);
        let legend = Legend::find(&sheet, &t);
        let nd = legend.lookup("nd").unwrap();
        assert_eq!((nd[0].start, nd[0].end), (hm(8, 0), hm(20, 0)));
        assert_eq!(legend.lookup("F").unwrap()[0].start, hm(6, 0));
        assert!(legend.holds_row(1, 1));

        def.values.shift_codes.insert("X".into(), "later".into());
        let err = CompiledTemplate::compile(def, String::new(), "test".into()).unwrap_err();
        assert!(err.to_string().contains("values.shift_codes.X"), "{err}");
    }

    #[test]
    fn text_entries_in_many_spellings() {
        assert_eq!(
            one("F = 06:00-14:00"),
            Some(("F".into(), (hm(6, 0), hm(14, 0))))
        );
        assert_eq!(one("S 14-22"), Some(("S".into(), (hm(14, 0), hm(22, 0)))));
        assert_eq!(
            one("N: Nacht 22:00 - 06:00 Uhr"),
            Some(("N".into(), (hm(22, 0), hm(6, 0))))
        );
        assert_eq!(
            one("Früh (F): 6-14"),
            Some(("F".into(), (hm(6, 0), hm(14, 0))))
        );
        assert_eq!(
            one("1 = 7:00-15:30"),
            Some(("1".into(), (hm(7, 0), hm(15, 30))))
        );
        assert_eq!(
            one("E = Early (7:00-15:00)"),
            Some(("E".into(), (hm(7, 0), hm(15, 0))))
        );
        assert_eq!(text_entries("F = 6-14, S = 14-22, N = 22-6").len(), 3);
        assert_eq!(text_entries("F=6-14\nS=14-22").len(), 2);
        for not in [
            "9a-5p",
            "Training 9a-5p",
            "Store 1042",
            "Dienstplan März 2025",
            "Week of 11/24/2025",
            "Maria Garcia",
        ] {
            assert!(text_entries(not).is_empty(), "{not}");
        }
    }
}
