//! Readers against the fixtures made by `scripts/make_reader_fixtures.py`: every format into
//! the same grid, typed cells, merges, hidden parts, the sparse sheet, and clear errors.

use chrono::{NaiveDate, NaiveTime};
use pharmacy_ingest::read::grid::{Cell, Grid, SourceFormat, Visibility};
use pharmacy_ingest::read::{ReadError, ReadOptions, read_path};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/readers")
        .join(name)
}

fn read(name: &str) -> Grid {
    read_path(&fixture(name), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{name} should read: {e}"))
}

fn read_err(name: &str) -> ReadError {
    match read_path(&fixture(name), &ReadOptions::default()) {
        Ok(g) => panic!("{name} should fail, read {} sheets", g.sheets.len()),
        Err(e) => e,
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn time(h: u32, m: u32) -> Cell {
    Cell::Time(NaiveTime::from_hms_opt(h, m, 0).unwrap())
}

/// Who wrote the file: LibreOffice's conversions change two cells (checked with xlrd and by
/// reading content.xml): its xls export stores the text-valued formula `=IF(1>2,"ON","OFF")`
/// as the number 0, and its ods export turns the boolean into the formula `=TRUE()` with the
/// float value 1; and ods stores the error as text. The readers report what the files hold.
#[derive(PartialEq)]
enum Producer {
    Xlsxwriter,
    LibreOfficeXls,
    LibreOfficeOds,
}

/// The feature workbook, whatever format it was saved in.
fn check_workbook(g: &Grid, writer: Producer) {
    assert_eq!(g.sheets.len(), 2);
    let week = &g.sheets[0];
    assert_eq!(&*week.name, "Week");
    assert_eq!(week.visibility, Visibility::Visible);
    assert_eq!(&*g.sheets[1].name, "Old week");
    assert_eq!(g.sheets[1].visibility, Visibility::Hidden);
    assert_eq!(g.sheets[1].get(0, 0), &text("kept but hidden"));

    let monday = NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
    assert_eq!(week.get(1, 0), &text("Employee"));
    assert_eq!(week.get(2, 0), &text("Doe, Jane"));
    assert_eq!(week.get(2, 1), &Cell::Date(monday));
    assert_eq!(week.get(2, 2), &time(9, 30));
    assert_eq!(week.get(2, 3), &time(17, 0));
    // Formula: its cached value.
    assert_eq!(week.get(2, 4), &Cell::Number(7.5));
    assert_eq!(
        week.get(2, 5),
        &Cell::DateTime(
            NaiveDate::from_ymd_opt(2025, 11, 25)
                .unwrap()
                .and_hms_opt(6, 0, 0)
                .unwrap()
        )
    );
    match writer {
        Producer::LibreOfficeXls => assert_eq!(week.get(3, 1), &Cell::Number(0.0)),
        _ => assert_eq!(week.get(3, 1), &text("OFF")),
    }
    assert_eq!(week.get(4, 1), &Cell::Number(42.0));
    match writer {
        Producer::LibreOfficeOds => assert_eq!(week.get(5, 1), &Cell::Number(1.0)),
        _ => assert_eq!(week.get(5, 1), &Cell::Bool(true)),
    }
    match writer {
        // ODS has no error type (LibreOffice's calcext:value-type="error" is an extension):
        // the cell holds the error's text.
        Producer::LibreOfficeOds => assert_eq!(week.get(6, 1), &text("#DIV/0!")),
        _ => assert_eq!(week.get(6, 1), &Cell::Error("#DIV/0!".into())),
    }

    // Merged title across A1:E1 and a name merged down A5:A7: the value fills the range.
    for col in 0..5 {
        assert_eq!(week.get(0, col), &text("Week of 11/24/2025"), "col {col}");
    }
    for row in 4..7 {
        assert_eq!(week.get(row, 0), &text("Poe, Pat"), "row {row}");
    }
    assert!(
        week.merged
            .iter()
            .any(|m| (m.first_row, m.first_col, m.last_row, m.last_col) == (0, 0, 0, 4))
    );
    assert!(
        week.merged
            .iter()
            .any(|m| (m.first_row, m.first_col, m.last_row, m.last_col) == (4, 0, 6, 0))
    );
    assert_eq!(week.hidden_rows, vec![3]);
    assert!(week.is_row_hidden(3));
}

#[test]
fn xlsx_1900_typed_cells_merges_and_hidden_parts() {
    let g = read("workbook_1900.xlsx");
    assert_eq!(g.format, SourceFormat::Xlsx);
    assert!(!g.date_1904);
    check_workbook(&g, Producer::Xlsxwriter);
}

#[test]
fn xlsx_1904_dates_are_the_same_dates() {
    let g = read("workbook_1904.xlsx");
    assert!(g.date_1904);
    check_workbook(&g, Producer::Xlsxwriter);
}

#[test]
fn xls_from_libreoffice() {
    let g = read("workbook_1900.xls");
    assert_eq!(g.format, SourceFormat::Xls);
    assert!(!g.date_1904);
    check_workbook(&g, Producer::LibreOfficeXls);
    let g = read("workbook_1904.xls");
    assert!(g.date_1904);
    check_workbook(&g, Producer::LibreOfficeXls);
}

#[test]
fn ods_from_libreoffice() {
    let g = read("workbook_1900.ods");
    assert_eq!(g.format, SourceFormat::Ods);
    check_workbook(&g, Producer::LibreOfficeOds);
}

#[test]
fn sparse_a1_xfd1048576_reads_into_two_rows() {
    let bytes = std::fs::metadata(fixture("sparse_a1_xfd1048576.xlsx"))
        .unwrap()
        .len();
    assert!(bytes < 2048, "fixture is {bytes} bytes");
    let g = read("sparse_a1_xfd1048576.xlsx");
    let s = &g.sheets[0];
    assert_eq!(s.row_count(), 2);
    assert_eq!(s.get(0, 0), &text("first"));
    assert_eq!(s.get(1_048_575, 16_383), &Cell::Number(2.0));
    assert_eq!(g.cell_count(), 1 + 16_384);
}

#[test]
fn cell_limit_refuses_before_allocating() {
    let mut opts = ReadOptions::default();
    opts.limits.max_cells = 1_000;
    let err = read_path(&fixture("sparse_a1_xfd1048576.xlsx"), &opts).unwrap_err();
    assert!(
        matches!(err, ReadError::TooManyCells { limit: 1_000, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("sparse_a1_xfd1048576.xlsx: sheet 'Sparse' is too large")
    );
    for name in ["workbook_1900.xls", "workbook_1900.ods", "utf8_comma.csv"] {
        opts.limits.max_cells = 4;
        let err = read_path(&fixture(name), &opts).unwrap_err();
        assert!(
            matches!(err, ReadError::TooManyCells { .. }),
            "{name}: {err}"
        );
    }
}

#[test]
fn format_comes_from_content_not_extension() {
    let g = read("really_xlsx.csv");
    assert_eq!(g.format, SourceFormat::Xlsx);
    check_workbook(&g, Producer::Xlsxwriter);
}

#[test]
fn unreadable_files_get_one_line_errors() {
    assert_eq!(
        read_err("empty.xlsx").to_string(),
        "empty.xlsx: the file is empty"
    );
    assert_eq!(
        read_err("picture.xlsx").to_string(),
        "picture.xlsx: not a spreadsheet, CSV or PDF (looks like a PNG image)"
    );
    let corrupt = read_err("corrupt_truncated.xlsx").to_string();
    assert!(
        corrupt.starts_with("corrupt_truncated.xlsx: the xlsx file is damaged ("),
        "{corrupt}"
    );
    for e in [
        read_err("empty.xlsx"),
        read_err("picture.xlsx"),
        read_err("corrupt_truncated.xlsx"),
    ] {
        assert!(!e.to_string().contains('\n'));
    }
}

#[test]
fn pdf_named_xlsx_goes_to_the_pdf_reader() {
    match read_path(&fixture("pdf_renamed.xlsx"), &ReadOptions::default()) {
        Ok(g) => assert_eq!(g.format, SourceFormat::Pdf),
        Err(e) => {
            assert!(matches!(e, ReadError::PdfFile { .. }), "{e}");
            assert!(e.to_string().starts_with("pdf_renamed.xlsx: "), "{e}");
        }
    }
}

#[test]
fn csv_in_every_encoding_and_delimiter() {
    for name in [
        "utf8_comma.csv",
        "utf8_bom_semicolon.csv",
        "utf16le_tab.csv",
        "utf16be_pipe.csv",
        "cp1252_semicolon.csv",
    ] {
        let g = read(name);
        assert_eq!(g.format, SourceFormat::Csv, "{name}");
        let s = &g.sheets[0];
        assert_eq!(&*s.name, name.trim_end_matches(".csv"), "{name}");
        assert_eq!(s.row_count(), 4, "{name}");
        assert_eq!(s.width(), 5, "{name}");
        assert_eq!(s.get(0, 4), &text("Notes"), "{name}");
        assert_eq!(s.get(1, 0), &text("0142"), "{name}");
        assert_eq!(s.get(1, 1), &text("Doe, Jane"), "{name}");
        assert_eq!(s.get(1, 4), &text("opens; keys"), "{name}");
        assert_eq!(s.get(2, 1), &text("José Müller"), "{name}");
        assert_eq!(s.get(2, 4), &text("line one\nline two"), "{name}");
        assert_eq!(s.get(3, 1), &text("Zoë | Ann"), "{name}");
        assert_eq!(s.get(3, 3), &text(" OFF "), "{name}");
        assert_eq!(s.get(3, 4), &Cell::Empty, "{name}");
    }
}

#[test]
fn hostile_extents_are_refused_before_calamine_allocates() {
    // An xls whose DIMENSIONS record claims 65,536 x 256 cells (calamine reserves that much
    // when it opens the file) and an ods with a row of values repeated a million times.
    for (name, sheet) in [
        ("hostile_dimensions.xls", "Week"),
        ("hostile_repeat.ods", "Week"),
    ] {
        let err = read_err(name);
        assert!(
            matches!(&err, ReadError::TooManyCells { sheet: s, limit: 1_000_000, .. } if s == sheet),
            "{name}: {err}"
        );
    }
}
