//! Planning a file from its head: `plan_bytes` holds only the first rows of each sheet of an
//! xlsx, xlsm or CSV, chooses the template from them, and reads the rows of a rows layout
//! below them one at a time. Every fixture of those formats (hostile ones included) is planned
//! with heads cut at several places, and read from the open file (`plan_content`), and must
//! give exactly the plan (or the error) of a whole read.

use pharmacy_ingest::pipeline::plan::{PlanOptions, plan_bytes, plan_content};
use pharmacy_ingest::read::content::Content;
use pharmacy_ingest::read::{ReadOptions, read_bytes};
use pharmacy_ingest::template::set::TemplateSet;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| ["xlsx", "xlsm", "csv"].contains(&e.to_string_lossy().as_ref()))
        {
            out.push(path);
        }
    }
}

fn options(templates: &TemplateSet, head: u32) -> PlanOptions {
    PlanOptions {
        templates: templates.clone(),
        read: ReadOptions {
            head_rows: Some(head),
            ..Default::default()
        },
        today: chrono::NaiveDate::from_ymd_opt(2025, 11, 20),
        ..Default::default()
    }
}

/// What a plan says, in full: every shift and issue, or the error's message.
fn outcome(name: &str, bytes: &[u8], opts: &PlanOptions) -> String {
    match plan_bytes(name, bytes, opts) {
        Ok(plan) => format!("{plan:?}"),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn a_plan_from_the_head_and_streamed_rows_is_the_plan_of_a_whole_read() {
    let templates = TemplateSet::embedded().unwrap();
    let mut all = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut all,
    );
    all.sort();
    assert!(all.len() > 50, "fixtures found: {}", all.len());
    let whole = options(&templates, u32::MAX);
    let mut differ = Vec::new();
    let mut streamed = 0;
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let expected = outcome(&name, &bytes, &whole);
        for head in [12, 40, 200] {
            let got = outcome(&name, &bytes, &options(&templates, head));
            if got != expected {
                differ.push(format!("{} (head {head})", path.display()));
            }
            let cut = read_bytes(&name, &bytes, &options(&templates, head).read)
                .is_ok_and(|g| g.sheets.iter().any(|s| s.rows_beyond));
            streamed += usize::from(cut);
        }
        // The same file read where it lies (an xlsx is inflated from the open file, anything
        // else loaded) plans the same.
        let file = std::fs::File::open(path).unwrap();
        let content = Content::File {
            file: &file,
            len: bytes.len() as u64,
        };
        let from_file = match plan_content(&name, content, &options(&templates, 40)) {
            Ok(plan) => format!("{plan:?}"),
            Err(e) => format!("error: {e}"),
        };
        if from_file != expected {
            differ.push(format!("{} (read from the open file)", path.display()));
        }
    }
    assert!(differ.is_empty(), "plans differ: {differ:#?}");
    assert!(
        streamed > 20,
        "too few files were long enough to stream: {streamed}"
    );
}

/// A rows export of `rows` shifts from 2025-11-03 on (month-first dates): the first
/// `ambiguous_head` rows are dated 11/03 to 11/12, which read both ways round, the others
/// 11/13 to 12/02.
fn long_csv(rows: u32, ambiguous_head: u32) -> Vec<u8> {
    let mut out = String::from("Store,Employee,Date,Start,End\n");
    let first = chrono::NaiveDate::from_ymd_opt(2025, 11, 3).unwrap();
    for i in 0..rows {
        let day = if i < ambiguous_head {
            u64::from(i % 10)
        } else {
            u64::from(10 + i % 20)
        };
        let date = first + chrono::Days::new(day);
        let hour = 6 + i % 12;
        out.push_str(&format!(
            "1042,Employee {},{},{hour}:00,{}:00\n",
            i / 10,
            date.format("%m/%d/%Y"),
            hour + 4
        ));
    }
    out.into_bytes()
}

fn with_limits(templates: &TemplateSet, head: Option<u32>, max_cells: usize) -> PlanOptions {
    let mut o = options(templates, head.unwrap_or(u32::MAX));
    o.read.head_rows = head;
    o.read.limits.max_cells = max_cells;
    o
}

#[test]
fn rows_below_the_head_are_not_held_so_they_do_not_count_against_max_cells() {
    let templates = TemplateSet::embedded().unwrap();
    let bytes = long_csv(12_000, 0);
    // 60,000 cells: a whole read is refused under a 20,000-cell budget.
    let whole = plan_bytes("long.csv", &bytes, &options(&templates, u32::MAX)).unwrap();
    assert_eq!(whole.shifts.len(), 12_000);
    let err = read_bytes(
        "long.csv",
        &bytes,
        &with_limits(&templates, None, 20_000).read,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("read.max_cells"), "{err}");
    // The default head (4,096 rows, 20,480 cells) is planned and the rest streamed.
    let mut small = with_limits(&templates, None, 25_000);
    let streamed = plan_bytes("long.csv", &bytes, &small).unwrap();
    assert_eq!(format!("{streamed:?}"), format!("{whole:?}"));
    // A head that itself passes the budget is refused, naming the setting.
    small.read.limits.max_cells = 10_000;
    let err = plan_bytes("long.csv", &bytes, &small)
        .unwrap_err()
        .to_string();
    assert!(err.contains("read.max_cells"), "{err}");
}

#[test]
fn dates_the_head_cannot_order_are_settled_by_the_whole_file_when_it_fits() {
    let templates = TemplateSet::embedded().unwrap();
    // The first 60 rows read both ways; the rows below have days past the 12th, within the
    // 200 rows the matcher's trial reads.
    let bytes = long_csv(2_000, 60);
    let whole = plan_bytes("long.csv", &bytes, &options(&templates, u32::MAX)).unwrap();
    assert!(whole.issues.iter().all(|i| i.code != "date_order_assumed"));
    assert_eq!(whole.shifts.len(), 2_000);
    // Cut at 40 rows, the head alone is undecided: the whole file is read and decides.
    let cut = plan_bytes(
        "long.csv",
        &bytes,
        &with_limits(&templates, Some(40), 1_000_000),
    );
    assert_eq!(format!("{:?}", cut.unwrap()), format!("{whole:?}"));
    // When the whole file passes max_cells, the head's guess stands, with its warning.
    let guessed = plan_bytes(
        "long.csv",
        &bytes,
        &with_limits(&templates, Some(40), 5_000),
    )
    .unwrap();
    assert_eq!(guessed.shifts.len(), 2_000);
    assert!(
        guessed
            .issues
            .iter()
            .any(|i| i.code == "date_order_assumed"),
        "{:?}",
        guessed.issues
    );
}
