//! Shifts into `store_schedules` with binary `COPY … FROM STDIN`: the tuples are encoded here in
//! PostgreSQL's binary copy format and streamed on the import's connection, inside the
//! caller's transaction. The statement-level audit trigger fires for `COPY` as for `INSERT`
//! (one call with the transition table), so the audit trail is the same.
//!
//! Why binary `COPY` and not UNNEST arrays: the server parses no array literals and builds no
//! intermediate arrays, and the client builds no per-column `Vec`s; measured in
//! `bench/` (see `bench/README.md`). Small writes (below [`COPY_MIN_ROWS`]) keep the
//! single-statement UNNEST path, whose one round trip is cheaper than `COPY`'s two.
//!
//! Binary format (PostgreSQL docs, "COPY — Binary Format"): a signature, flags and header
//! extension length; per tuple the field count (int16) and each field as its length (int32,
//! -1 for NULL) and its binary send representation; a trailer of int16 -1. All big-endian.

use chrono::{NaiveDate, NaiveTime, Timelike};
use uuid::Uuid;

/// Below this many shifts, one UNNEST statement is cheaper than a `COPY`.
pub const COPY_MIN_ROWS: usize = 256;

/// Bytes sent per `CopyData` message batch: large enough to amortise the send, small enough
/// to keep the buffer bounded.
pub const COPY_FLUSH_BYTES: usize = 1 << 20;

/// The `store_schedules` columns an import writes, in the order of [`CopyShift`]'s fields: the
/// one list that both the binary `COPY` and the `UNNEST` insert use (a macro, so statements
/// stay `&'static str` through `concat!`). A new column is added here, to [`CopyShift`], to
/// [`CopyBuf::push`] and to the `UNNEST` select in `write.rs`; the test below checks the count.
macro_rules! shift_columns {
    () => {
        "store_id, employee_name, employee_phone, schedule_date, shift_start, shift_end, \
         position, notes, import_id, contact_id, source_cell"
    };
}
pub(crate) use shift_columns;

/// The `COPY` statement the tuples of [`CopyBuf::push`] are encoded for, column for column.
pub const COPY_SHIFTS: &str = concat!(
    "COPY store_schedules (",
    shift_columns!(),
    ") FROM STDIN (FORMAT binary)"
);

/// [`COPY_SHIFTS`] for a role row security applies to (PostgreSQL refuses `COPY FROM` into a
/// table with row security for such a role: the least-privilege worker role of the README):
/// the same tuples go into the temporary table `pharmacy_ingest_staged_shifts` (dropped at
/// commit, emptied by each move), then one `INSERT … SELECT` that the policies check moves
/// them (`write.rs`).
pub const COPY_STAGED: &str = concat!(
    "COPY pharmacy_ingest_staged_shifts (",
    shift_columns!(),
    ") FROM STDIN (FORMAT binary)"
);

/// Number of columns in [`COPY_SHIFTS`].
const COLUMNS: i16 = 11;

/// One shift as [`COPY_SHIFTS`] takes it.
pub struct CopyShift<'a> {
    pub store_id: Uuid,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub position: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub import_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub cell: &'a str,
}

/// A buffer of binary copy data: the header once, then tuples, then the trailer.
pub struct CopyBuf {
    buf: Vec<u8>,
}

/// The binary copy header: signature, flags (no OIDs), no header extension.
fn header(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes());
    buf.extend_from_slice(&0i32.to_be_bytes());
}

/// Days from the Unix epoch to PostgreSQL's epoch (2000-01-01), which dates count from.
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;

impl CopyBuf {
    /// A buffer starting with the binary copy header.
    pub fn new() -> CopyBuf {
        let mut buf = Vec::with_capacity(COPY_FLUSH_BYTES + 4096);
        header(&mut buf);
        CopyBuf { buf }
    }

    /// Encode one shift.
    pub fn push(&mut self, s: &CopyShift<'_>) {
        let b = &mut self.buf;
        b.extend_from_slice(&COLUMNS.to_be_bytes());
        uuid(b, Some(s.store_id));
        text(b, Some(s.name));
        text(b, s.phone);
        field(b, &date_days(s.date).to_be_bytes());
        field(b, &time_micros(s.start).to_be_bytes());
        field(b, &time_micros(s.end).to_be_bytes());
        text(b, s.position);
        text(b, s.notes);
        uuid(b, Some(s.import_id));
        uuid(b, s.contact_id);
        text(b, Some(s.cell));
    }

    /// Bytes waiting to be sent.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing waits to be sent.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Hand over the bytes encoded so far, keeping the allocation for what follows.
    pub fn take(&mut self) -> Vec<u8> {
        let cap = self.buf.capacity();
        std::mem::replace(&mut self.buf, Vec::with_capacity(cap))
    }

    /// Append the trailer; the buffer then holds the last bytes of the copy.
    pub fn finish(&mut self) {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
    }
}

/// The binary copy stream of one `import_files` row (`sha256, bytes, size`) around its bytes:
/// what goes before them (header, field count, the sha256, the bytes' length) and after them
/// (the size, the trailer). The bytes themselves are sent as they are, in chunks.
pub fn file_row_frame(sha256: &str, len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut head = Vec::new();
    header(&mut head);
    head.extend_from_slice(&3i16.to_be_bytes());
    text(&mut head, Some(sha256));
    // Past 2 GiB the server refuses the value (a bytea holds at most 1 GB).
    head.extend_from_slice(&i32::try_from(len).unwrap_or(i32::MAX).to_be_bytes());
    let mut tail = CopyBuf { buf: Vec::new() };
    field(&mut tail.buf, &(len as i64).to_be_bytes());
    tail.finish();
    (head, tail.buf)
}

impl Default for CopyBuf {
    fn default() -> Self {
        CopyBuf::new()
    }
}

fn field(b: &mut Vec<u8>, bytes: &[u8]) {
    b.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    b.extend_from_slice(bytes);
}

fn null(b: &mut Vec<u8>) {
    b.extend_from_slice(&(-1i32).to_be_bytes());
}

fn text(b: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => field(b, s.as_bytes()),
        None => null(b),
    }
}

fn uuid(b: &mut Vec<u8>, u: Option<Uuid>) {
    match u {
        Some(u) => field(b, u.as_bytes()),
        None => null(b),
    }
}

/// A date as PostgreSQL sends it: days since 2000-01-01.
fn date_days(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE
}

/// A time of day as PostgreSQL sends it: microseconds since midnight.
fn time_micros(t: NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_list_matches_the_encoded_tuple() {
        let n = shift_columns!().split(',').count();
        assert_eq!(n, COLUMNS as usize);
    }

    #[test]
    fn dates_and_times_use_postgres_epochs() {
        assert_eq!(date_days(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()), 0);
        assert_eq!(
            date_days(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()),
            -1
        );
        assert_eq!(
            date_days(NaiveDate::from_ymd_opt(2025, 11, 24).unwrap()),
            9459
        );
        assert_eq!(
            time_micros(NaiveTime::from_hms_opt(9, 30, 0).unwrap()),
            34_200_000_000
        );
    }

    #[test]
    fn a_tuple_has_its_field_count_and_nulls() {
        let mut c = CopyBuf::new();
        let header = c.len();
        c.push(&CopyShift {
            store_id: Uuid::nil(),
            name: "A",
            phone: None,
            date: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            start: NaiveTime::MIN,
            end: NaiveTime::MIN,
            position: None,
            notes: None,
            import_id: Uuid::nil(),
            contact_id: None,
            cell: "S!A1",
        });
        let bytes = c.take();
        assert_eq!(&bytes[..11], b"PGCOPY\n\xff\r\n\0");
        assert_eq!(&bytes[header..header + 2], &11i16.to_be_bytes());
        // 2 + 4 uuids of 16 (+4) but two null, 3 texts null, dates/times, 2 texts set.
        let expect =
            2 + (4 + 16) + (4 + 1) + 4 + (4 + 4) + 2 * (4 + 8) + 4 + 4 + (4 + 16) + 4 + (4 + 4);
        assert_eq!(bytes.len() - header, expect);
    }
}
