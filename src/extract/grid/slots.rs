//! Shift slots × days: the shift times down the side (`7:00-15:00`, `Früh 6-14`, a legend
//! code) and the names of who works each slot in the day cells, several per cell (one per
//! line, or separated by `,` `;` `/` `&` `+`).

use super::super::{cells, quote, rows};
use super::Block;
use super::Legend;
use super::build::{Builder, get};
use super::cell::is_totals_label;
use crate::read::grid::{Cell, Row, Sheet};
use crate::schedule::Issue;
use crate::template::set::CompiledTemplate;
use crate::values::timespec::{self, Ranges};
use arcstr::ArcStr;

/// The shifts a slot label names: a range with or without a name (`Früh 6-14`,
/// `7:00-15:00 Early`), or a legend code (`F`, `Früh`).
fn label_ranges(label: &str, legend: &Legend) -> Option<Ranges> {
    if let Some(rs) = legend.lookup(label) {
        return Some(rs.clone());
    }
    if let Ok((rs, _)) = timespec::parse_with_note(label) {
        return Some(rs);
    }
    // `Früh (F)` or `F - Früh`: a legend code beside the shift's name.
    label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .find_map(|w| legend.lookup(w).cloned())
}

/// A day cell that holds people: text with letters and no digit.
fn holds_names(cell: &Cell, t: &CompiledTemplate) -> bool {
    cell.as_text().is_some_and(|s| {
        s.chars().any(char::is_alphabetic)
            && !s.bytes().any(|b| b.is_ascii_digit())
            && !t.is_no_shift(s)
    })
}

/// Whether the rows under the header are shift slots: their labels read as times and their
/// day cells hold names, never times.
pub(super) fn looks_like_slots(
    sheet: &Sheet,
    header_row: u32,
    block: &Block,
    t: &CompiledTemplate,
    legend: &Legend,
) -> bool {
    let (mut slot_rows, mut names, mut times) = (0, 0, 0);
    for row in sheet
        .rows()
        .iter()
        .filter(|r| r.index > header_row)
        .take(12)
    {
        let label = cells::text(get(row, block.employee_col));
        if label.is_none_or(|l| label_ranges(&l, legend).is_none()) {
            continue;
        }
        slot_rows += 1;
        for d in &block.days {
            let c = get(row, d.col);
            if holds_names(c, t) && legend.lookup(c.as_text().unwrap_or("")).is_none() {
                names += 1;
            } else if c
                .as_text()
                .is_some_and(|s| timespec::parse_with_note(s).is_ok())
                || matches!(c, Cell::Time(_))
            {
                times += 1;
            }
        }
    }
    slot_rows >= 2 && names >= 2 && times == 0
}

/// Split a cell of names: one per line, or separated by `;` `/` `&` `+` `und` `and`; commas
/// separate names only when every part is a whole name (`Garcia, Maria` is one person).
pub(super) fn split_names(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let spaced = s.replace(" und ", "\n").replace(" and ", "\n");
    for part in spaced.split(['\n', ';', '/', '&', '+']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let commas: Vec<&str> = part
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if commas.len() > 1 && commas.iter().all(|p| p.split_whitespace().count() >= 2) {
            out.extend(commas.into_iter().map(String::from));
        } else {
            out.push(part.to_string());
        }
    }
    out
}

/// A name with its role in parentheses (`Maria Garcia (PTA)`): the name and the role.
fn name_and_role(s: &str) -> (&str, Option<&str>) {
    match s.split_once('(') {
        Some((name, role)) if !name.trim().is_empty() => {
            let role = role.trim_end().trim_end_matches(')').trim();
            (name.trim(), (!role.is_empty()).then_some(role))
        }
        _ => (s, None),
    }
}

/// Words that mark a slot nobody works yet.
fn is_open_slot(s: &str) -> bool {
    matches!(
        crate::template::set::norm_key(s).as_str(),
        "open"
            | "openshift"
            | "unassigned"
            | "tbd"
            | "tba"
            | "offen"
            | "unbesetzt"
            | "nn"
            | "vacant"
    )
}

impl Builder<'_> {
    /// Read one slot row of one block: `None` when it is no slot row (a section, totals or
    /// legend row, or nobody in it), else whether it was read without error.
    pub(super) fn slot_row(
        &mut self,
        row: &Row,
        block: &Block,
        out: &mut super::Extraction,
    ) -> Option<bool> {
        let t = self.ctx.template;
        let label = cells::text(get(row, block.employee_col)).or_else(|| rows::section_label(row));
        if label
            .as_deref()
            .is_some_and(|s| t.is_skip_row(s) || is_totals_label(s))
        {
            return None;
        }
        let filled: Vec<_> = block
            .days
            .iter()
            .filter(|d| holds_names(get(row, d.col), t))
            .collect();
        if filled.is_empty() {
            return None;
        }
        let sheet = self.sheet;
        let label_ref = || sheet.cell_ref(row.index, block.employee_col);
        let Some(ranges) = label
            .as_deref()
            .and_then(|l| label_ranges(l, &self.layout.legend))
        else {
            out.issues.push(Issue::error(
                "unreadable_time",
                Some(label_ref()),
                match &label {
                    Some(l) => format!(
                        "cannot read the shift slot {}: write its times like 7:00-15:00",
                        quote(l)
                    ),
                    None => "a row of names has no shift time beside it".to_string(),
                },
            ));
            return Some(false);
        };
        let mut ok = true;
        for d in filled {
            let text = get(row, d.col).as_text().unwrap_or_default();
            for raw in split_names(text) {
                let source = sheet.cell_ref(row.index, d.col);
                if is_open_slot(&raw) || t.is_open_shift(&raw) {
                    out.issues.push(super::build::open_shift(source));
                    continue;
                }
                let (name, role) = name_and_role(&raw);
                let mut who = self.named(row, name);
                who.position = role.map(ArcStr::from);
                ok &= self.push(&who, d.date, (ranges.clone(), None), source, label_ref, out);
            }
        }
        Some(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_a_cell() {
        assert_eq!(
            split_names("Maria Garcia\nJosé Müller"),
            ["Maria Garcia", "José Müller"]
        );
        assert_eq!(
            split_names("Maria Garcia, José Müller"),
            ["Maria Garcia", "José Müller"]
        );
        assert_eq!(split_names("Garcia, Maria"), ["Garcia, Maria"]);
        assert_eq!(split_names("Anna / Ben & Carl"), ["Anna", "Ben", "Carl"]);
        assert_eq!(split_names("Anna und Ben"), ["Anna", "Ben"]);
        assert_eq!(
            name_and_role("Maria Garcia (PTA)"),
            ("Maria Garcia", Some("PTA"))
        );
    }
}
