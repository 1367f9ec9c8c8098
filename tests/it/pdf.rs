//! PDF reading: fixtures from reportlab, LibreOffice and WeasyPrint read into the same grid a
//! spreadsheet gives, words agree with pdfplumber's, and broken files get their clear error.
//! Fixtures come from `scripts/make_pdf_fixtures.py`.

use pharmacy_ingest::read::ReadOptions;
use pharmacy_ingest::read::grid::{Grid, Sheet};
use pharmacy_ingest::read::pdf::content::{FontCache, Limits, read_page};
use pharmacy_ingest::read::pdf::{PdfError, extract_words, read_pdf};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pdf")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

fn read(name: &str) -> Grid {
    read_pdf(&fixture(&format!("{name}.pdf")), &ReadOptions::default()).unwrap()
}

fn row_texts(sheet: &Sheet, row: u32) -> Vec<String> {
    sheet.row(row).iter().map(|c| c.to_string()).collect()
}

/// The shift cells the fixture generator writes, as (start, end) pairs.
fn cell_shifts(text: &str) -> Option<Vec<(&'static str, &'static str)>> {
    Some(match text {
        "9a-5:30p" => vec![("09:00", "17:30")],
        "8a-4p" => vec![("08:00", "16:00")],
        "12p-9p" => vec![("12:00", "21:00")],
        "10p-6a" => vec![("22:00", "06:00")],
        "7:30a-3:30p" => vec![("07:30", "15:30")],
        "8a-12p, 1p-5p" => vec![("08:00", "12:00"), ("13:00", "17:00")],
        "OFF" | "PTO" => vec![],
        _ => return None,
    })
}

type ShiftKey = (i64, String, String, String, String, String);

fn expected(name: &str) -> BTreeSet<ShiftKey> {
    json(&format!("{name}.expected.json"))["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let t = |k: &str| s[k].as_str().unwrap().to_string();
            (
                s["store_number"].as_i64().unwrap(),
                t("employee_name"),
                t("date"),
                t("start"),
                t("end"),
                t("position"),
            )
        })
        .collect()
}

/// Read a grid-layout sheet the way the grid template does: store from the title, week from
/// the `Week of:` cell, days from the header, one employee per row.
fn grid_shifts(grid: &Grid) -> BTreeSet<ShiftKey> {
    assert_eq!(grid.sheets.len(), 1, "one table");
    let sheet = &grid.sheets[0];
    let title = sheet.get(0, 0).to_string();
    let store: i64 = title
        .trim_start_matches("Store #")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(row_texts(sheet, 1)[0], "Week of:");
    let week = chrono::NaiveDate::parse_from_str(&sheet.get(1, 1).to_string(), "%m/%d/%Y").unwrap();
    let header = row_texts(sheet, 2);
    assert_eq!(header[0], "Employee");
    assert_eq!(header[2], format!("Mon {}", week.format("%-m/%-d")));
    assert_eq!(header.last().unwrap(), "Total Hrs");
    let mut out = BTreeSet::new();
    for row in &sheet.rows()[3..] {
        let cells: Vec<String> = row.cells.iter().map(|c| c.to_string()).collect();
        let Some((last, first)) = cells[0].split_once(", ") else {
            assert!(
                cells.len() == 1,
                "section/total rows are one cell: {cells:?}"
            );
            continue;
        };
        assert_eq!(
            cells.len(),
            10,
            "an employee row has every column: {cells:?}"
        );
        for day in 0..7 {
            let date = week + chrono::Duration::days(day as i64);
            let shifts =
                cell_shifts(&cells[2 + day]).unwrap_or_else(|| panic!("cell {:?}", cells[2 + day]));
            for (start, end) in shifts {
                out.insert((
                    store,
                    format!("{first} {last}"),
                    date.to_string(),
                    start.into(),
                    end.into(),
                    cells[1].clone(),
                ));
            }
        }
    }
    out
}

#[test]
fn grid_layouts_from_three_producers_read_their_expected_shifts() {
    for name in [
        "grid_reportlab",
        "grid_reportlab_rotated",
        "grid_libreoffice",
        "grid_libreoffice_multipage",
        "grid_weasyprint_multipage",
    ] {
        let grid = read(name);
        assert_eq!(grid_shifts(&grid), expected(name), "{name}");
    }
}

#[test]
fn a_table_over_several_pages_is_one_sheet_with_one_header() {
    for name in [
        "grid_libreoffice_multipage",
        "grid_weasyprint_multipage",
        "rows_reportlab_multipage",
    ] {
        let grid = read(name);
        assert_eq!(grid.sheets.len(), 1, "{name}");
        let sheet = &grid.sheets[0];
        let headers = sheet
            .rows()
            .iter()
            .filter(|r| {
                matches!(
                    r.cells.first().map(|c| c.to_string()).as_deref(),
                    Some("Employee" | "Store")
                )
            })
            .count();
        assert_eq!(headers, 1, "{name}: the repeated header is dropped");
        let last = sheet.rows().last().unwrap().index;
        assert!(
            sheet.page_of(last).unwrap() >= 2,
            "{name}: rows keep their page"
        );
        assert!(sheet.cell_ref(last, 0).to_string().starts_with("page "));
    }
}

#[test]
fn rows_layout_reads_one_shift_per_row() {
    let grid = read("rows_reportlab_multipage");
    let sheet = &grid.sheets[0];
    assert_eq!(
        row_texts(sheet, 0),
        ["Shift list - exported by StaffPlanner"]
    );
    assert_eq!(
        row_texts(sheet, 1),
        ["Store", "Employee", "Date", "Start", "End", "Position"]
    );
    let time = |t: &str| {
        chrono::NaiveTime::parse_from_str(t, "%I:%M %p")
            .unwrap()
            .format("%H:%M")
            .to_string()
    };
    let got: BTreeSet<ShiftKey> = sheet.rows()[2..]
        .iter()
        .map(|r| {
            let c: Vec<String> = r.cells.iter().map(|c| c.to_string()).collect();
            assert_eq!(c.len(), 6, "{c:?}");
            let date = chrono::NaiveDate::parse_from_str(&c[2], "%m/%d/%Y").unwrap();
            (
                c[0].parse().unwrap(),
                c[1].clone(),
                date.to_string(),
                time(&c[3]),
                time(&c[4]),
                c[5].clone(),
            )
        })
        .collect();
    assert_eq!(got, expected("rows_reportlab_multipage"));
}

#[test]
fn words_match_pdfplumber_on_every_fixture() {
    let mut total = 0usize;
    let mut matched = 0usize;
    for entry in
        std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/pdf")).unwrap()
    {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".pdfplumber.json") else {
            continue;
        };
        let reference = json(&name);
        let ours =
            extract_words(&fixture(&format!("{stem}.pdf")), &ReadOptions::default()).unwrap();
        for page in reference.as_array().unwrap() {
            let number = page["page"].as_u64().unwrap() as u32;
            let mut mine: Vec<_> = ours
                .iter()
                .find(|p| p.page == number)
                .unwrap()
                .words
                .iter()
                .collect();
            for w in page["words"].as_array().unwrap() {
                total += 1;
                let (x0, top) = (w["x0"].as_f64().unwrap(), w["top"].as_f64().unwrap());
                if let Some(i) = mine.iter().position(|m| {
                    m.text == w["text"].as_str().unwrap()
                        && (m.x0 - x0).abs() <= 1.0
                        && (m.top - top).abs() <= 1.0
                }) {
                    mine.swap_remove(i);
                    matched += 1;
                }
            }
        }
    }
    assert!(total > 2000, "the fixtures hold enough words ({total})");
    assert!(matched * 100 >= total * 99, "matched {matched} of {total}");
}

#[test]
fn a_scan_has_no_text_layer() {
    let err = read_pdf(&fixture("scan_image_only.pdf"), &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, PdfError::NoTextLayer));
    assert_eq!(
        err.to_string(),
        "this PDF has no text layer: export the schedule as a spreadsheet or a text PDF"
    );
}

#[test]
fn encrypted_pdfs_open_with_the_empty_or_given_password() {
    let grid = read("encrypted_empty_user_password");
    assert_eq!(
        grid.sheets[0].get(0, 0).to_string(),
        "Store #4471 - Pharmacy Schedule"
    );

    let bytes = fixture("encrypted_password_secret.pdf");
    let err = read_pdf(&bytes, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, PdfError::PasswordRequired), "{err:?}");
    assert!(err.to_string().contains("--password"));

    let wrong = ReadOptions {
        password: Some("guess".into()),
        ..Default::default()
    };
    assert!(matches!(
        read_pdf(&bytes, &wrong).unwrap_err(),
        PdfError::WrongPassword
    ));

    let right = ReadOptions {
        password: Some("secret".into()),
        ..Default::default()
    };
    let grid = read_pdf(&bytes, &right).unwrap();
    assert_eq!(row_texts(&grid.sheets[0], 1), ["Week of:", "11/24/2025"]);
}

#[test]
fn truncated_and_damaged_files_get_clear_errors() {
    let err = read_pdf(&fixture("truncated.pdf"), &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, PdfError::Truncated), "{err:?}");
    assert!(matches!(
        read_pdf(b"", &ReadOptions::default()).unwrap_err(),
        PdfError::Empty
    ));

    // Every prefix of a real PDF: an error or a grid, never a panic.
    let whole = fixture("grid_reportlab.pdf");
    for cut in (0..whole.len()).step_by(97) {
        let _ = read_pdf(&whole[..cut], &ReadOptions::default());
    }
    // A broken cross-reference offset is repaired by lopdf's scan.
    let text = String::from_utf8_lossy(&whole).into_owned();
    let pos = text.rfind("startxref").unwrap();
    let mut broken = whole[..pos].to_vec();
    broken.extend_from_slice(b"startxref\n999999\n%%EOF\n");
    let grid = read_pdf(&broken, &ReadOptions::default()).unwrap();
    assert_eq!(
        grid.sheets[0].get(0, 0).to_string(),
        "Store #4471 - Pharmacy Schedule"
    );
}

#[test]
fn the_page_limit_is_enforced() {
    let opts = ReadOptions {
        limits: pharmacy_ingest::read::ReadLimits {
            max_pdf_pages: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    let err = read_pdf(&fixture("rows_reportlab_multipage.pdf"), &opts).unwrap_err();
    assert!(
        matches!(err, PdfError::TooManyPages { limit: 1, .. }),
        "{err:?}"
    );
}

/// A PDF built in memory with lopdf: one page drawing `content`, font `F1` (Helvetica) and
/// the Form XObjects `X1` (drawing `X1` and `X2`) and `X2` (drawing `X1`): a reference cycle.
fn hostile_pdf(content: &[u8]) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let x1 = doc.new_object_id();
    let x2 = doc.new_object_id();
    let form = |body: &[u8]| {
        Object::Stream(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "X1" => x1, "X2" => x2 } } },
            body.to_vec(),
        ))
    };
    doc.objects.insert(x1, form(b"/X1 Do /X2 Do"));
    doc.objects.insert(x2, form(b"/X1 Do"));
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
        "XObject" => dictionary! { "X1" => x1, "X2" => x2 },
    });
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id, "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn cyclic_forms_and_endless_content_are_bounded() {
    let bytes = hostile_pdf(b"BT /F1 12 Tf 72 700 Td (Store 12) Tj ET /X1 Do");
    let grid = read_pdf(&bytes, &ReadOptions::default()).unwrap();
    assert_eq!(grid.sheets[0].get(0, 0).to_string(), "Store 12");

    // Endless content on one page: cut at the page's operator budget, not read forever.
    let mut long = b"BT /F1 12 Tf 72 700 Td (Store 12) Tj ET ".to_vec();
    long.extend(b"q Q ".repeat(50_000));
    let doc = lopdf::Document::load_mem(&hostile_pdf(&long)).unwrap();
    let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
    let limits = Limits {
        max_operations: 10_000,
        ..Limits::default()
    };
    let page = read_page(&doc, 1, page_id, &mut FontCache::default(), limits);
    assert!(page.truncated);
    assert_eq!(page.glyphs.len(), 8, "the text before the cut is kept");
}

#[test]
fn words_carry_pdfplumber_geometry() {
    // Helvetica 12 pt at baseline 700: pdfminer's box runs from the AFM descent (-207/1000)
    // to descent + size, so top = 792 - (700 - 2.484 + 12) = 82.484.
    let bytes = hostile_pdf(b"BT /F1 12 Tf 72 700 Td (Store 12) Tj ET");
    let pages = extract_words(&bytes, &ReadOptions::default()).unwrap();
    let w = &pages[0].words;
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].text, "Store");
    assert!((w[0].x0 - 72.0).abs() < 1e-6);
    assert!((w[0].top - 82.484).abs() < 1e-3, "{}", w[0].top);
    // S t o r e: 667 + 278 + 556 + 333 + 556 thousandths of 12 pt, from the AFM widths.
    let store_width = (667.0 + 278.0 + 556.0 + 333.0 + 556.0) * 0.012;
    assert!((w[0].x1 - (72.0 + store_width)).abs() < 1e-6);
}
