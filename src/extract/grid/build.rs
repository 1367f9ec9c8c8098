//! The one shift builder every grid family uses: who a row is about (name, store, position,
//! phone, notes) and the shifts pushed for them, with the missing-name and missing-store
//! errors said once and in the same words whatever the grid's shape.

use super::super::{Context, Extracted, Extraction, cells, store};
use super::cell::Cellshifts;
use super::{Block, GridLayout};
use crate::read::grid::{Cell, CellRef, Row, Sheet};
use crate::schedule::{Issue, Shift};
use crate::template::model::Field;
use crate::values::names;
use arcstr::ArcStr;
use chrono::NaiveDate;

/// Who a row's (or a cell's) shifts belong to.
#[derive(Debug, Clone, Default)]
pub(super) struct Who {
    pub(super) name: Option<ArcStr>,
    pub(super) store: Option<i32>,
    pub(super) position: Option<ArcStr>,
    pub(super) phone: Option<ArcStr>,
    pub(super) notes: Option<ArcStr>,
}

/// Builds shifts for one sheet's extraction.
pub(super) struct Builder<'a> {
    pub(super) sheet: &'a Sheet,
    pub(super) layout: &'a GridLayout,
    pub(super) ctx: &'a Context<'a>,
    sheet_store: Option<i32>,
    no_store_reported: bool,
}

impl<'a> Builder<'a> {
    pub(super) fn new(sheet: &'a Sheet, layout: &'a GridLayout, ctx: &'a Context<'a>) -> Self {
        let sheet_store = ctx
            .store_override
            .or_else(|| store::sheet_store(sheet, layout.header_row, ctx.file_name, ctx.template))
            .or(ctx.store_fallback);
        Builder {
            sheet,
            layout,
            ctx,
            sheet_store,
            no_store_reported: false,
        }
    }

    /// A mapped column of the layout (position, notes, total hours, …).
    pub(super) fn col(&self, f: Field) -> Option<u32> {
        self.layout
            .columns
            .iter()
            .find(|(x, _)| *x == f)
            .map(|(_, c)| *c)
    }

    /// The store of a row: the caller's, the row's store column, or the sheet's.
    fn row_store(&self, row: &Row) -> Option<i32> {
        self.ctx.store_override.or_else(|| {
            self.col(Field::StoreNumber)
                .and_then(|c| store::from_cell(get(row, c), &self.ctx.template.store_re))
                .or(self.sheet_store)
        })
    }

    /// Who an employee row is about. A name cell of two or more lines holds the name on the
    /// first and the role below (`Maria Garcia` / `Pharmacist`): the role is the position
    /// when no position column gives one.
    pub(super) fn who(&self, row: &Row, block: &Block) -> Who {
        let text = |c: u32| cells::text(get(row, c));
        let (name, role) = match block.name_parts {
            Some((first, last)) => (
                names::join_name(text(first).as_deref(), text(last).as_deref()),
                None,
            ),
            None => match text(block.employee_col) {
                Some(s) => split_name_and_role(&s),
                None => (None, None),
            },
        };
        let position = self
            .col(Field::Position)
            .and_then(text)
            .map(|s| names::collapse(&s))
            .or(role)
            .map(ArcStr::from);
        Who {
            name: name.map(ArcStr::from),
            store: self.row_store(row),
            position,
            phone: self
                .col(Field::EmployeePhone)
                .and_then(text)
                .and_then(|s| names::phone_text(&s))
                .map(ArcStr::from),
            notes: self
                .col(Field::Notes)
                .and_then(text)
                .map(|s| ArcStr::from(names::collapse(&s))),
        }
    }

    /// Who a name written in a slot cell is: the name and the sheet's (or row's) store.
    pub(super) fn named(&self, row: &Row, name: &str) -> Who {
        Who {
            name: names::display_name(name).map(ArcStr::from),
            store: self.row_store(row),
            ..Who::default()
        }
    }

    /// Push the shifts of one cell (and the note beside them) for `who`; false (and an issue)
    /// when they cannot be stored: no name, or no store.
    pub(super) fn push(
        &mut self,
        who: &Who,
        date: NaiveDate,
        (ranges, note): Cellshifts,
        source: CellRef,
        name_ref: impl FnOnce() -> CellRef,
        out: &mut Extraction,
    ) -> bool {
        let Some(name) = who.name.clone() else {
            out.issues.push(Issue::error(
                "missing_employee",
                Some(name_ref()),
                "a row with shifts has no employee name: fill in who works them",
            ));
            return false;
        };
        let Some(store_number) = who.store else {
            if !self.no_store_reported {
                self.no_store_reported = true;
                out.issues.push(Issue::error(
                    "missing_store",
                    Some(name_ref()),
                    "no store number: add a title such as \"Store 1042\" above the grid, name the sheet after the store, or give the store when importing",
                ));
            }
            return false;
        };
        let note: Option<ArcStr> = note.map(ArcStr::from);
        for r in ranges {
            out.shifts.push(Extracted::new(
                Shift {
                    store_number,
                    employee_name: name.clone(),
                    employee_phone: who.phone.clone(),
                    date,
                    start: r.start,
                    end: r.end,
                    position: who.position.clone(),
                    notes: note.clone().or_else(|| who.notes.clone()),
                    source: source.clone(),
                },
                // The day cell is the time cell; the date comes from the header.
                r.minutes() as i64,
                None,
                None,
            ));
        }
        true
    }
}

/// The notice for a shift nobody is assigned to (an `Open Shifts` row, an `OPEN` slot): not
/// imported, not an error.
pub(super) fn open_shift(at: CellRef) -> Issue {
    Issue::notice(
        "open_shift",
        Some(at),
        "an open shift (nobody assigned): not imported; it is imported once someone is assigned",
    )
}

/// A cell of a row, empty past its end.
pub(super) fn get(row: &Row, c: u32) -> &Cell {
    row.cells.get(c as usize).unwrap_or(&Cell::Empty)
}

/// A name cell's name (first line, `Last, First` turned around) and the role on the lines
/// below it, if any.
fn split_name_and_role(text: &str) -> (Option<String>, Option<String>) {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return (None, None);
    };
    let rest: Vec<&str> = lines.collect();
    // A first line of one word is half a name written on two lines (`Maria` / `Garcia`).
    let whole = first.split_whitespace().count() >= 2 && !first.ends_with(',');
    if !whole {
        return (names::display_name(text), None);
    }
    let role = (!rest.is_empty())
        .then(|| names::collapse(&rest.join(" ")))
        .map(|r| r.trim_matches(['(', ')', '[', ']']).trim().to_string())
        .filter(|r| !r.is_empty());
    (names::display_name(first), role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_below_the_name_is_the_position() {
        assert_eq!(
            split_name_and_role("Garcia, Maria\nPharmacist"),
            (Some("Maria Garcia".into()), Some("Pharmacist".into()))
        );
        assert_eq!(
            split_name_and_role("Maria Garcia\n(Cashier)"),
            (Some("Maria Garcia".into()), Some("Cashier".into()))
        );
        assert_eq!(
            split_name_and_role("Garcia,\nMaria"),
            (Some("Maria Garcia".into()), None)
        );
        assert_eq!(
            split_name_and_role("Maria  Garcia"),
            (Some("Maria Garcia".into()), None)
        );
    }
}
