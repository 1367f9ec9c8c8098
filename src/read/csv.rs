//! CSV and other delimited text: decode, sniff the delimiter, read every field as text.
//!
//! Decoding: a BOM decides (UTF-8, UTF-16 LE/BE); without one, valid UTF-8 is UTF-8 and
//! anything else is Windows-1252 (what Excel on Windows writes for "CSV"). The delimiter is
//! the one among `,` `;` tab `|` whose first records have the most consistent column count
//! (quotes respected, so a quoted `;` or newline does not count). Every field becomes
//! [`Cell::Text`] exactly as written (typed interpretation is extraction's job); an empty field
//! is [`Cell::Empty`]. The one sheet is named after the file's stem.

use super::grid::{Cell, Grid, Sheet, SourceFormat};
use super::{ReadError, ReadLimits};
use std::borrow::Cow;

/// Delimiters we try, in order of preference when they score the same.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Records examined when sniffing the delimiter.
const SNIFF_RECORDS: usize = 50;
/// Bytes examined when sniffing the delimiter.
const SNIFF_BYTES: usize = 64 * 1024;

/// Read delimited text into a one-sheet grid named `sheet_name`.
pub fn read_csv(
    file: &str,
    sheet_name: &str,
    bytes: &[u8],
    limits: &ReadLimits,
) -> Result<Grid, ReadError> {
    let text = decode(bytes);
    let delimiter = sniff_delimiter(&text);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut sheet = Sheet::new(sheet_name);
    let mut record = ::csv::ByteRecord::new();
    let mut cells_seen = 0usize;
    let mut index: u32 = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(ReadError::Damaged {
                    file: file.to_owned(),
                    format: "csv".into(),
                    detail: csv_error_detail(&e),
                });
            }
        }
        cells_seen = cells_seen.saturating_add(record.len());
        if cells_seen > limits.max_cells {
            return Err(ReadError::TooManyCells {
                file: file.to_owned(),
                sheet: sheet_name.to_owned(),
                limit: limits.max_cells,
            });
        }
        let mut cells = Vec::with_capacity(record.len());
        for field in record.iter() {
            cells.push(if field.is_empty() {
                Cell::Empty
            } else {
                // The text was decoded to UTF-8 above and csv splits only on ASCII bytes.
                Cell::Text(String::from_utf8_lossy(field).into_owned())
            });
        }
        sheet.push_row(index, cells);
        index = index.saturating_add(1);
    }
    let mut grid = Grid::new(SourceFormat::Csv);
    grid.sheets.push(sheet);
    Ok(grid)
}

/// Decode bytes to text: BOM first, then UTF-8, then Windows-1252.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return text;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// The delimiter whose first records agree best on a column count above one.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut cut = text.len().min(SNIFF_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let sample = &text.as_bytes()[..cut];
    let mut best = (b',', 0.0f64, 0usize);
    for &d in &DELIMITERS {
        let (score, columns) = consistency(sample, d);
        if score > best.1 || (score == best.1 && columns > best.2 && score > 0.0) {
            best = (d, score, columns);
        }
    }
    best.0
}

/// How consistently `delimiter` splits the sample: the share of records that have the most
/// common field count (0 when that count is 1), and that count.
fn consistency(sample: &[u8], delimiter: u8) -> (f64, usize) {
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(sample);
    let mut counts: Vec<usize> = Vec::new();
    let mut record = ::csv::ByteRecord::new();
    while counts.len() < SNIFF_RECORDS {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                // Blank lines say nothing about the delimiter.
                if !(record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty())) {
                    counts.push(record.len());
                }
            }
            Ok(false) | Err(_) => break,
        }
    }
    if counts.is_empty() {
        return (0.0, 0);
    }
    // The last sampled record may be cut off by the sample window.
    if counts.len() > 2 && sample.len() == SNIFF_BYTES {
        counts.pop();
    }
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    let (mut mode, mut mode_n, mut i) = (0, 0, 0);
    while i < sorted.len() {
        let j = sorted[i..].iter().take_while(|&&c| c == sorted[i]).count();
        // Prefer the wider count on a tie: title lines are usually the narrow ones.
        if j >= mode_n {
            mode = sorted[i];
            mode_n = j;
        }
        i += j;
    }
    if mode <= 1 {
        return (0.0, mode);
    }
    // Only records of exactly the mode's width agree; titles and notes lines do not.
    let agreeing = counts.iter().filter(|&&c| c == mode).count();
    (agreeing as f64 / counts.len() as f64, mode)
}

/// A csv error without any field content.
fn csv_error_detail(e: &::csv::Error) -> String {
    match e.kind() {
        ::csv::ErrorKind::Io(io) => io.to_string(),
        _ => match e.position() {
            Some(p) => format!("unreadable record near line {}", p.line()),
            None => "unreadable record".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Grid {
        read_csv("t.csv", "t", bytes, &ReadLimits::default()).unwrap()
    }

    #[test]
    fn semicolon_with_quoted_newline_and_comma() {
        let g = read(b"Name;Date;Shift\n\"Doe, J\";11/24/2025;\"9a-5p\nlate\"\nX;Y;Z\n");
        let s = &g.sheets[0];
        assert_eq!(&*s.name, "t");
        assert_eq!(s.row_count(), 3);
        assert_eq!(s.get(1, 0), &Cell::Text("Doe, J".into()));
        assert_eq!(s.get(1, 2), &Cell::Text("9a-5p\nlate".into()));
        assert_eq!(s.get(2, 2), &Cell::Text("Z".into()));
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n1|2,5|3\n"), b'|');
        assert_eq!(sniff_delimiter("a,b;c\n1,2;3\n4,5;6\n"), b',');
        assert_eq!(sniff_delimiter("Week of 11/24\na;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("just one column\nvalue\n"), b',');
    }

    #[test]
    fn encodings() {
        // UTF-8 with BOM.
        let g = read("\u{feff}Név,Zoë\n".as_bytes());
        assert_eq!(g.sheets[0].get(0, 0), &Cell::Text("Név".into()));
        // UTF-16 LE with BOM.
        let mut le = vec![0xFF, 0xFE];
        for u in "José,9-5\n".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let g = read(&le);
        assert_eq!(g.sheets[0].get(0, 0), &Cell::Text("José".into()));
        assert_eq!(g.sheets[0].get(0, 1), &Cell::Text("9-5".into()));
        // UTF-16 BE with BOM.
        let mut be = vec![0xFE, 0xFF];
        for u in "José;9-5\n".encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(read(&be).sheets[0].get(0, 1), &Cell::Text("9-5".into()));
        // Windows-1252 (not valid UTF-8).
        let g = read(b"Jos\xe9,caf\xe9\x80\n");
        assert_eq!(g.sheets[0].get(0, 0), &Cell::Text("José".into()));
        assert_eq!(g.sheets[0].get(0, 1), &Cell::Text("café€".into()));
    }

    #[test]
    fn spaces_are_kept_and_empty_fields_are_empty() {
        let g = read(b" a ,,b\n");
        let s = &g.sheets[0];
        assert_eq!(s.get(0, 0), &Cell::Text(" a ".into()));
        assert_eq!(s.get(0, 1), &Cell::Empty);
        assert_eq!(s.get(0, 2), &Cell::Text("b".into()));
    }

    #[test]
    fn cell_limit_is_enforced() {
        let limits = ReadLimits {
            max_cells: 5,
            ..ReadLimits::default()
        };
        let err = read_csv("big.csv", "big", b"a,b,c\nd,e,f\n", &limits).unwrap_err();
        assert!(matches!(err, ReadError::TooManyCells { limit: 5, .. }));
    }
}
