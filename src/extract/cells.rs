//! Typed cells read as the values extraction needs: text, a clock, a date-time.
//! Spreadsheet time and date-time cells and day-fraction numbers are exact; text goes through
//! the one grammar in [`super::timespec`].

use crate::read::grid::Cell;
use crate::values::dates::{self, DateOrder};
use crate::values::timespec::{self, Clock, TimeError};
use chrono::NaiveDateTime;

/// The text a person would read in the cell, trimmed; `None` when empty.
pub fn text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Empty => None,
        Cell::Text(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        other => Some(other.to_string()),
    }
}

/// A clock from a start or end cell.
pub fn clock(cell: &Cell, order: DateOrder) -> Result<Clock, TimeError> {
    match cell {
        Cell::Empty => Err(TimeError::Empty),
        Cell::Time(t) => Ok(Clock::exact(*t)),
        Cell::DateTime(dt) => Ok(Clock::exact(dt.time())),
        Cell::Number(n) if (0.0..1.0).contains(n) => timespec::day_fraction(*n)
            .map(Clock::exact)
            .ok_or(TimeError::OutOfRange),
        Cell::Number(n) if n.fract() != 0.0 && *n > 1.0 => {
            // A date-time serial: the fraction is the time.
            timespec::day_fraction(*n)
                .map(Clock::exact)
                .ok_or(TimeError::OutOfRange)
        }
        Cell::Number(n) if n.fract() == 0.0 && (0.0..=2400.0).contains(n) => {
            // `9` or `1730` typed as a number.
            timespec::parse_clock(&format!("{}", *n as i64))
        }
        Cell::Text(s) => match timespec::parse_clock(s) {
            Ok(c) => Ok(c),
            Err(e) => match dates::cell_datetime_text(s, order) {
                Some(dt) => Ok(Clock::exact(dt.time())),
                None => Err(e),
            },
        },
        _ => Err(TimeError::Unreadable),
    }
}

/// A full date and time from one cell (a date-time cell, a serial with a fraction, or text such
/// as `10/06/2025 22:00`).
pub fn datetime(cell: &Cell, order: DateOrder) -> Option<NaiveDateTime> {
    match cell {
        Cell::DateTime(dt) => Some(*dt),
        Cell::Number(n) if (20_000.0..80_000.0).contains(n) => {
            let d = dates::excel_serial(*n)?;
            Some(d.and_time(timespec::day_fraction(*n)?))
        }
        Cell::Text(s) => dates::cell_datetime_text(s, order),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    #[test]
    fn typed_and_written_clocks() {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        assert_eq!(
            clock(&Cell::Time(nine), DateOrder::Mdy).unwrap().alone(),
            nine
        );
        assert_eq!(
            clock(&Cell::Number(0.375), DateOrder::Mdy).unwrap().alone(),
            nine
        );
        assert_eq!(
            clock(&Cell::Text("9:00 AM".into()), DateOrder::Mdy)
                .unwrap()
                .alone(),
            nine
        );
        assert_eq!(
            clock(&Cell::Number(900.0), DateOrder::Mdy).unwrap().alone(),
            nine
        );
        assert!(clock(&Cell::Bool(true), DateOrder::Mdy).is_err());
    }

    #[test]
    fn datetimes() {
        let dt = datetime(&Cell::Text("10/06/2025 22:00".into()), DateOrder::Mdy).unwrap();
        assert_eq!(dt.date(), NaiveDate::from_ymd_opt(2025, 10, 6).unwrap());
        assert_eq!(
            datetime(&Cell::Number(45_985.75), DateOrder::Mdy)
                .unwrap()
                .time(),
            NaiveTime::from_hms_opt(18, 0, 0).unwrap()
        );
    }
}
