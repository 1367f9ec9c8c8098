//! The pure pipeline: a file in, a [`Plan`] (shifts + issues) out. No database, no logging of
//! content; the worker calls it through `import::job::plan_file` (on the blocking pool unless
//! the file is small), `preview` directly.
//!
//! read ([`crate::read`]) → Grid → template ([`crate::pipeline::matcher`], or the one named)
//! → extract ([`crate::extract`]) → validate ([`crate::validate`]).

use super::matcher::{self, Rejection};
use crate::extract::{Context, Extraction, SheetLayout, rows};
use crate::read::content::{Content, IN_PLACE_BYTES};
use crate::read::{
    self, ReadError, ReadOptions,
    grid::{Grid, Row},
};
use crate::schedule::Plan;
use crate::template::TemplateSet;
use chrono::NaiveDate;
use std::path::Path;

/// What a plan needs besides the file.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Use this template instead of detecting one.
    pub template: Option<String>,
    /// The templates to choose from (embedded defaults, a folder, or the database's).
    pub templates: TemplateSet,
    pub read: ReadOptions,
    /// A store number that overrides the file's.
    pub store: Option<i32>,
    /// A store number used only where the file names none (a store's inbox folder, see
    /// [`crate::intake::store_inbox`]).
    pub fallback_store: Option<i32>,
    /// Today's date, for header dates that give no year and no week (default: the system
    /// date). Tests set it.
    pub today: Option<NaiveDate>,
}

/// Why a file could not be planned at all. One line each, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file could not be read into a grid (the reader's message names the file).
    #[error("{source}")]
    Read {
        file: String,
        #[source]
        source: ReadError,
    },
    /// The file holds no cells.
    #[error("{file}: the file holds no data")]
    Empty { file: String },
    /// `--template` named a template that does not exist.
    #[error("{file}: no template named {name} (available: {available})")]
    UnknownTemplate {
        file: String,
        name: String,
        available: String,
    },
    /// The named template does not fit the file.
    #[error("{file}: template {name} does not fit: {reason}")]
    TemplateDoesNotFit {
        file: String,
        name: String,
        reason: String,
    },
    /// No template fits; each one tried and why.
    #[error("{file}: no template fits this layout; tried {}", list(.tried))]
    NoTemplateFits { file: String, tried: Vec<Rejection> },
    /// There are no templates at all.
    #[error("{file}: no processing templates are available")]
    NoTemplates { file: String },
}

fn list(tried: &[Rejection]) -> String {
    tried
        .iter()
        .map(|r| format!("[{r}]"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rows of each sheet read before a template is chosen, for the formats that stream (xlsx,
/// xlsm, CSV). The rows below them are read one at a time and never held (see [`plan_bytes`]).
pub const HEAD_ROWS: u32 = 4096;

/// Plan a file on disk; one of [`IN_PLACE_BYTES`] or more is read where it lies.
pub fn plan_path(path: &Path, opts: &PlanOptions) -> Result<Plan, PlanError> {
    let file = read::file::display_name(path);
    let read_error = |source| PlanError::Read {
        file: file.clone(),
        source,
    };
    let (f, len) = read::file::open_file(path, &opts.read.limits).map_err(read_error)?;
    let content = Content::File { file: &f, len };
    if len >= IN_PLACE_BYTES {
        return plan_content(&file, content, opts);
    }
    let bytes = content.bytes().map_err(|error| {
        read_error(ReadError::Io {
            file: file.clone(),
            error,
        })
    })?;
    plan_bytes(&file, &bytes, opts)
}

/// Plan a file's bytes; `file_name` is the name the file arrived with (templates may match on
/// it, and it names the file in errors).
///
/// Only the head of each sheet is held ([`HEAD_ROWS`], or `opts.read.head_rows`): the
/// template is chosen from it, and the rows of a rows layout below it are read from the
/// bytes one at a time straight into extraction. The file is read whole instead (bounded by
/// `read.max_cells`, as every file used to be) when the head cannot decide: no template fits
/// it, the layout is a grid, or its dates read both ways round (the matcher's trial reads
/// [`matcher::TRIAL_ROWS`] data rows, which a head cut above a deep header does not hold;
/// when the whole file is too large, the head's guess stands, with its `date_order_assumed`
/// warning).
pub fn plan_bytes(file_name: &str, bytes: &[u8], opts: &PlanOptions) -> Result<Plan, PlanError> {
    plan_content(file_name, Content::Bytes(bytes), opts)
}

/// [`plan_bytes`] for content that may be an open file: an xlsx, xlsm or CSV file is read where
/// it lies (its bytes are never held whole, [`read::content`]); any other file is loaded first.
pub fn plan_content(
    file_name: &str,
    content: Content<'_>,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let head = read_head(file_name, content, &opts.read)?;
    plan_head(file_name, content, head, opts)
}

/// The first read of a file, which needs no template: [`read_head`], then [`plan_head`] (a
/// command may read it while it connects to the database and loads the templates).
pub enum Head {
    /// The head of each sheet ([`HEAD_ROWS`], or `opts.read.head_rows`).
    Read { grid: Grid, head_rows: u32 },
    /// A file the readers take only in memory ([`read::needs_loading`]): nothing read yet.
    Load,
}

/// The head of `content` ([`Head`]).
pub fn read_head(
    file_name: &str,
    content: Content<'_>,
    read: &ReadOptions,
) -> Result<Head, PlanError> {
    let read_error = |source| PlanError::Read {
        file: file_name.to_string(),
        source,
    };
    let io = |error| {
        read_error(ReadError::Io {
            file: file_name.to_string(),
            error,
        })
    };
    if read::needs_loading(content).map_err(io)? {
        return Ok(Head::Load);
    }
    let mut head_opts = read.clone();
    let head_rows = *head_opts.head_rows.get_or_insert(HEAD_ROWS);
    let grid = read::read_content(file_name, content, &head_opts).map_err(read_error)?;
    Ok(Head::Read { grid, head_rows })
}

/// [`plan_content`] from the head [`read_head`] read of the same `content`.
pub fn plan_head(
    file_name: &str,
    content: Content<'_>,
    head: Head,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let read_error = |source| PlanError::Read {
        file: file_name.to_string(),
        source,
    };
    let (head, head_rows) = match head {
        Head::Read { grid, head_rows } => (grid, head_rows),
        Head::Load => {
            let bytes = content.bytes().map_err(|error| {
                read_error(ReadError::Io {
                    file: file_name.to_string(),
                    error,
                })
            })?;
            return plan_bytes(file_name, &bytes, opts);
        }
    };
    if !head.sheets.iter().any(|s| s.rows_beyond) {
        return plan_grid(file_name, &head, opts);
    }
    let rest = |sheet: &str, each: &mut dyn FnMut(&Row)| {
        read::stream_rows_beside(file_name, content, &opts.read, sheet, head_rows, each)
    };
    let streamed = |guess| plan_from(file_name, &head, opts, Some((&rest, guess)));
    let undecided = match streamed(Guess::ReadWhole) {
        Ok(FromHead::Plan(plan)) => return Ok(plan),
        Err(e @ PlanError::Read { .. }) => return Err(e),
        Ok(FromHead::OrderUndecided) => true,
        Ok(FromHead::WholeFile) | Err(_) => false,
    };
    let whole = ReadOptions {
        head_rows: None,
        ..opts.read.clone()
    };
    match read::read_content(file_name, content, &whole) {
        Ok(grid) => plan_grid(file_name, &grid, opts),
        Err(ReadError::TooManyCells { .. }) if undecided => match streamed(Guess::Keep)? {
            FromHead::Plan(plan) => Ok(plan),
            FromHead::WholeFile | FromHead::OrderUndecided => {
                unreachable!("a rows layout whose guess is kept is planned")
            }
        },
        Err(source) => Err(read_error(source)),
    }
}

/// Plan a grid that is already read.
pub fn plan_grid(file_name: &str, grid: &Grid, opts: &PlanOptions) -> Result<Plan, PlanError> {
    match plan_from(file_name, grid, opts, None)? {
        FromHead::Plan(plan) => Ok(plan),
        FromHead::WholeFile | FromHead::OrderUndecided => {
            unreachable!("without a rest, plan_from extracts what the grid holds")
        }
    }
}

/// Reads the rest of a sheet cut at its head into a callback, a row at a time.
type Rest<'a> = dyn Fn(&str, &mut dyn FnMut(&Row)) -> Result<(), ReadError> + 'a;

/// What to do when the head's dates read both ways round.
#[derive(Clone, Copy, PartialEq)]
enum Guess {
    /// Ask for the whole file (its other rows may settle the order).
    ReadWhole,
    /// Plan with the head's guess (and its warning).
    Keep,
}

/// What planning from a sheet's head came to.
enum FromHead {
    Plan(Plan),
    /// The layout of a cut sheet is not a rows layout: read the file whole.
    WholeFile,
    /// The head's dates read both ways round ([`Guess::ReadWhole`]).
    OrderUndecided,
}

/// Plan a grid; the rows of a sheet it holds only the head of come from `rest`, else only
/// what it holds is extracted (then the answer is always a plan).
fn plan_from(
    file_name: &str,
    grid: &Grid,
    opts: &PlanOptions,
    rest: Option<(&Rest<'_>, Guess)>,
) -> Result<FromHead, PlanError> {
    let file = file_name.to_string();
    if grid.sheets.iter().all(|s| s.is_empty()) {
        return Err(PlanError::Empty { file });
    }
    if opts.templates.is_empty() {
        return Err(PlanError::NoTemplates { file });
    }
    let today = opts
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let (fit, chosen) = fit_for(file_name, grid, opts, today)?;
    let cut = |l: &SheetLayout| grid.sheets[l.sheet()].rows_beyond;
    if let Some((_, guess)) = rest {
        if fit
            .sheets
            .iter()
            .any(|l| cut(l) && !matches!(l, SheetLayout::Rows(_)))
        {
            return Ok(FromHead::WholeFile);
        }
        let undecided = chosen.as_ref().is_some_and(|c| c.order_undecided.is_some());
        if undecided && guess == Guess::ReadWhole && fit.sheets.iter().any(cut) {
            return Ok(FromHead::OrderUndecided);
        }
    }
    let ctx = Context {
        file_name,
        template: fit.template,
        store_override: opts.store,
        store_fallback: opts.fallback_store,
        today,
    };
    let mut ex = Extraction::default();
    for l in &fit.sheets {
        let sheet = &grid.sheets[l.sheet()];
        match (l, rest) {
            (SheetLayout::Rows(rows), Some((rest, _))) if sheet.rows_beyond => {
                rows::extract_streamed(sheet, rows, &ctx, &mut ex, |each| rest(&sheet.name, each))
                    .map_err(|source| PlanError::Read {
                    file: file.clone(),
                    source,
                })?
            }
            // A sheet held whole, or no way to read the rest: what is held.
            _ => l.extract(sheet, &ctx, None, &mut ex),
        }
    }
    if let Some(choice) = &chosen {
        choice
            .confirm(&opts.templates, grid, file_name, today, &ex)
            .map_err(|tried| PlanError::NoTemplateFits {
                file: file.clone(),
                tried,
            })?;
    }
    let undecided = chosen
        .and_then(|c| c.order_undecided)
        .and_then(|other| order_issue(&ex, fit.template, &other));
    let validated = crate::validate::validate_covering(
        ex.shifts,
        ex.week,
        ex.last_day,
        &fit.template.def.limits,
    );
    let mut issues = ex.issues;
    issues.extend(undecided);
    issues.extend(validated.issues);
    issues.sort_by(|a, b| a.cell.cmp(&b.cell));
    Ok(FromHead::Plan(Plan {
        template: fit.template.name().to_string(),
        format: grid.format,
        shifts: validated.shifts,
        issues,
    }))
}

/// The template and layouts to extract with: the one the caller named (its header must fit,
/// no trial can refuse the file), else the matcher's choice (returned too, to confirm it).
fn fit_for<'t>(
    file_name: &str,
    grid: &Grid,
    opts: &'t PlanOptions,
    today: NaiveDate,
) -> Result<(matcher::Fit<'t>, Option<matcher::Choice<'t>>), PlanError> {
    let file = file_name.to_string();
    let Some(name) = &opts.template else {
        let choice = matcher::choose_for_plan(&opts.templates, grid, file_name, today)
            .map_err(|tried| PlanError::NoTemplateFits { file, tried })?;
        return Ok((choice.fit.clone(), Some(choice)));
    };
    let t = opts
        .templates
        .get(name)
        .ok_or_else(|| PlanError::UnknownTemplate {
            file: file.clone(),
            name: name.clone(),
            available: opts.templates.names().join(", "),
        })?;
    let fit = matcher::forced(t, grid, file_name, today).map_err(|misfit| {
        PlanError::TemplateDoesNotFit {
            file,
            name: name.clone(),
            reason: misfit.to_string(),
        }
    })?;
    Ok((fit, None))
}

/// The warning for a file whose dates read both ways (`06/03/2025` and no weekday, no day
/// above 12): which order was taken, at the first shift, and how to take the other.
fn order_issue(
    ex: &Extraction,
    chosen: &crate::template::set::CompiledTemplate,
    other: &str,
) -> Option<crate::schedule::Issue> {
    let first = ex.shifts.first()?;
    Some(crate::schedule::Issue::warning(
        "date_order_assumed",
        Some(first.shift.source.clone()),
        format!(
            "every date in this file reads both month-first and day-first, and no weekday tells \
             which: read {}; if the dates are the other way round, import with --template {other}",
            chosen.def.values.date_order.describe()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::{Cell, Grid, Sheet, SourceFormat};
    use chrono::NaiveTime;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    fn opts() -> PlanOptions {
        PlanOptions {
            templates: TemplateSet::embedded().unwrap(),
            today: NaiveDate::from_ymd_opt(2026, 1, 15),
            ..Default::default()
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// The weekly grid as xlsxwriter writes it: title, `Week of:` date cell, `Mon 11/17`
    /// headers, section rows, `Last, First` names, a totals column and row.
    fn weekly_grid() -> Grid {
        let mut s = Sheet::new("Week");
        s.push_row(0, vec![text("Store #2207 - Pharmacy Schedule")]);
        s.push_row(1, vec![text("Week of:"), Cell::Date(d(2025, 11, 17))]);
        let mut head = vec![text("Employee"), text("Role")];
        for (i, w) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            .iter()
            .enumerate()
        {
            head.push(text(&format!("{w} 11/{}", 17 + i)));
        }
        head.push(text("Total Hrs"));
        s.push_row(3, head);
        s.push_row(4, vec![text("PHARMACISTS")]);
        s.push_row(
            5,
            vec![
                text("Silva, Hannah"),
                text("Pharmacist"),
                text("8a-12p, 1p-5p"),
                text("7:30a-3:30p"),
                text("OFF"),
                text("7:30 AM-3:30 PM"),
                Cell::Empty,
                text("1p-9:30p"),
                text("PTO"),
                Cell::Number(36.0),
            ],
        );
        s.push_row(8, vec![text("TECHNICIANS & STAFF")]);
        s.push_row(
            9,
            vec![
                text("Müller, Nia"),
                text("Cashier"),
                text("10p-6a"),
                text("9;30-5"),
            ],
        );
        s.push_row(11, vec![text("Total hours")]);
        Grid {
            format: SourceFormat::Xlsx,
            sheets: vec![s],
            date_1904: false,
        }
    }

    /// The lone template that fits the structure is chosen without a trial; when its rows
    /// then read nothing, the file is refused as when the trial runs, every template listed.
    #[test]
    fn a_lone_fit_whose_rows_read_nothing_is_refused_with_every_template() {
        let mut g = weekly_grid();
        let s = &mut g.sheets[0];
        let garbage = |_| text("see manager");
        let rows: Vec<(u32, Vec<Cell>)> = [5u32, 9]
            .iter()
            .map(|&r| {
                let mut cells = vec![text("Silva, Hannah"), text("Pharmacist")];
                cells.extend((0..7).map(garbage));
                (r, cells)
            })
            .collect();
        let mut fresh = Sheet::new(s.name.clone());
        for row in s.rows().iter().filter(|r| r.index < 5) {
            fresh.push_row(row.index, row.cells.clone());
        }
        for (r, cells) in rows {
            fresh.push_row(r, cells);
        }
        *s = fresh;
        match plan_grid("schedule.xlsx", &g, &opts()) {
            Err(PlanError::NoTemplateFits { tried, .. }) => {
                let names: Vec<&str> = tried.iter().map(|r| r.template.as_str()).collect();
                assert_eq!(names, opts().templates.names());
                let grid = tried.iter().find(|r| r.template == "weekly-grid").unwrap();
                let reason = grid.reason.to_string();
                assert!(reason.contains("none of the first 2 rows"), "{reason}");
            }
            other => panic!("expected NoTemplateFits, got {other:?}"),
        }
    }

    /// Header dates with no year, no weekday and no Week of date: the week nearest today is
    /// taken, with a warning on the header.
    #[test]
    fn a_guessed_year_is_a_warning() {
        let mut s = Sheet::new("Week");
        s.push_row(0, vec![text("Store 1042")]);
        let mut head = vec![text("Employee")];
        head.extend((0..7).map(|i| text(&format!("11/{}", 17 + i))));
        s.push_row(1, head);
        s.push_row(2, vec![text("Hannah Silva"), text("9a-5p")]);
        let g = Grid {
            format: SourceFormat::Xlsx,
            sheets: vec![s],
            date_1904: false,
        };
        let plan = plan_grid("schedule.xlsx", &g, &opts()).unwrap();
        assert_eq!(plan.shifts[0].date, d(2025, 11, 17));
        let codes: Vec<&str> = plan.issues.iter().map(|i| i.code).collect();
        assert_eq!(codes, vec!["year_guessed"]);
        assert_eq!(plan.issues[0].cell.as_ref().unwrap().to_string(), "Week!B2");
    }

    #[test]
    fn weekly_grid_reads_every_shift() {
        let plan = plan_grid("schedule.xlsx", &weekly_grid(), &opts()).unwrap();
        assert_eq!(plan.template, "weekly-grid");
        let got: Vec<_> = plan
            .shifts
            .iter()
            .map(|s| {
                (
                    s.store_number,
                    &*s.employee_name,
                    s.date,
                    s.start,
                    s.end,
                    s.position.as_deref(),
                )
            })
            .collect();
        let ph = Some("Pharmacist");
        assert_eq!(
            got,
            vec![
                (2207, "Hannah Silva", d(2025, 11, 17), t(8, 0), t(12, 0), ph),
                (
                    2207,
                    "Hannah Silva",
                    d(2025, 11, 17),
                    t(13, 0),
                    t(17, 0),
                    ph
                ),
                (
                    2207,
                    "Hannah Silva",
                    d(2025, 11, 18),
                    t(7, 30),
                    t(15, 30),
                    ph
                ),
                (
                    2207,
                    "Hannah Silva",
                    d(2025, 11, 20),
                    t(7, 30),
                    t(15, 30),
                    ph
                ),
                (
                    2207,
                    "Hannah Silva",
                    d(2025, 11, 22),
                    t(13, 0),
                    t(21, 30),
                    ph
                ),
                (
                    2207,
                    "Nia Müller",
                    d(2025, 11, 17),
                    t(22, 0),
                    t(6, 0),
                    Some("Cashier")
                ),
            ]
        );
        assert_eq!(plan.issues.len(), 1);
        assert_eq!(plan.issues[0].code, "unreadable_time");
        assert_eq!(
            plan.issues[0].cell.as_ref().unwrap().to_string(),
            "Week!D10"
        );
        assert!(!plan.issues[0].message.contains("Müller"));
    }

    /// A split shift cut off when printed to PDF is completed from the row's total hours,
    /// with a warning; without a total it stays an error.
    #[test]
    fn clipped_cell_completed_from_the_total() {
        let mut g = weekly_grid();
        let s = &mut g.sheets[0];
        s.set(5, 8, text("8:00 AM-12:00 PM, 1:0"));
        s.set(5, 9, Cell::Number(40.0));
        s.set(9, 3, Cell::Empty);
        let plan = plan_grid("schedule.pdf", &g, &opts()).unwrap();
        let sunday: Vec<_> = plan
            .shifts
            .iter()
            .filter(|s| s.date == d(2025, 11, 23))
            .map(|s| (s.start, s.end))
            .collect();
        // 40 h = 8 + 8 + 8 + 8.5 already, 4 for the head: 3.5 h from 13:00.
        assert_eq!(sunday, vec![(t(8, 0), t(12, 0)), (t(13, 0), t(16, 30))]);
        assert_eq!(plan.issues.len(), 1);
        assert_eq!(plan.issues[0].code, "clipped_shift_completed");

        g.sheets[0].set(5, 9, Cell::Empty);
        let plan = plan_grid("schedule.pdf", &g, &opts()).unwrap();
        assert_eq!(plan.issues[0].code, "unreadable_time");
    }

    /// Rows under a title with typed cells; a second layout with split names and text times.
    #[test]
    fn rows_layouts() {
        let mut s = Sheet::new("Schedule");
        s.push_row(0, vec![text("Weekly Pharmacy Staff Schedule")]);
        s.push_row(1, vec![text("Generated 09/01/2025")]);
        s.push_row(
            3,
            [
                "Store #",
                "Employee Name",
                "Phone",
                "Date",
                "Start Time",
                "End Time",
                "Position",
                "Notes",
            ]
            .map(text)
            .to_vec(),
        );
        s.push_row(
            4,
            vec![
                Cell::Number(5009.0),
                text("Fatima Wang"),
                text("(555) 707-8364"),
                Cell::Date(d(2025, 9, 1)),
                Cell::Time(t(22, 0)),
                Cell::Time(t(6, 0)),
                text("Pharmacist"),
                text("Training"),
            ],
        );
        let grid = Grid {
            format: SourceFormat::Xlsx,
            sheets: vec![s],
            date_1904: false,
        };
        let plan = plan_grid("x.xlsx", &grid, &opts()).unwrap();
        assert_eq!(plan.template, "rows-standard");
        assert_eq!(plan.shifts.len(), 1);
        let sh = &plan.shifts[0];
        assert_eq!(
            (sh.store_number, sh.start, sh.end),
            (5009, t(22, 0), t(6, 0))
        );
        assert_eq!(sh.notes.as_deref(), Some("Training"));
        assert_eq!(sh.source.to_string(), "Schedule!A5");

        let mut s = Sheet::new("Shifts");
        s.push_row(
            0,
            [
                "Store",
                "Last Name",
                "First Name",
                "Shift Date",
                "In",
                "Out",
                "Job Title",
            ]
            .map(text)
            .to_vec(),
        );
        s.push_row(
            1,
            [
                "Store 2207",
                "Lopez",
                "Grace",
                "3/24/2026",
                "1:00 PM",
                "9:30 PM",
                "Pharmacist",
            ]
            .map(text)
            .to_vec(),
        );
        s.push_row(
            2,
            [
                "Store 2207",
                "",
                "",
                "3/25/2026",
                "7:30 AM",
                "3:30 PM",
                "Pharmacist",
            ]
            .map(text)
            .to_vec(),
        );
        let grid = Grid {
            format: SourceFormat::Xls,
            sheets: vec![s],
            date_1904: false,
        };
        let plan = plan_grid("x.xls", &grid, &opts()).unwrap();
        assert_eq!(plan.shifts.len(), 1);
        assert_eq!(&*plan.shifts[0].employee_name, "Grace Lopez");
        assert_eq!(
            (plan.shifts[0].start, plan.shifts[0].end),
            (t(13, 0), t(21, 30))
        );
        assert_eq!(plan.issues[0].code, "open_shift");
    }

    #[test]
    fn wfm_datetimes_and_european_dates() {
        let mut s = Sheet::new("csv");
        s.push_row(
            0,
            [
                "Location",
                "Employee ID",
                "Employee",
                "Mobile",
                "Shift Start",
                "Shift End",
                "Job",
            ]
            .map(text)
            .to_vec(),
        );
        s.push_row(
            1,
            [
                "Pharmacy #4120",
                "1",
                "Rahul Wilson",
                "+15559856496",
                "10/06/2025 22:00",
                "10/07/2025 06:00",
                "Pharmacist",
            ]
            .map(text)
            .to_vec(),
        );
        let grid = Grid {
            format: SourceFormat::Csv,
            sheets: vec![s],
            date_1904: false,
        };
        let plan = plan_grid("x.csv", &grid, &opts()).unwrap();
        assert_eq!(plan.template, "wfm-export");
        let sh = &plan.shifts[0];
        assert_eq!(
            (sh.store_number, sh.date, sh.start, sh.end),
            (4120, d(2025, 10, 6), t(22, 0), t(6, 0))
        );

        let mut s = Sheet::new("Dienstplan");
        s.push_row(
            0,
            ["Filiale", "Mitarbeiter", "Datum", "Beginn", "Ende"]
                .map(text)
                .to_vec(),
        );
        s.push_row(
            1,
            ["12", "Anna Schmidt", "24.11.2025", "07:00", "15:30"]
                .map(text)
                .to_vec(),
        );
        s.push_row(
            2,
            ["12", "Anna Schmidt", "25.11.2025", "07:00", "15:30"]
                .map(text)
                .to_vec(),
        );
        let grid = Grid {
            format: SourceFormat::Xlsx,
            sheets: vec![s],
            date_1904: false,
        };
        let plan = plan_grid("x.xlsx", &grid, &opts()).unwrap();
        assert_eq!(plan.template, "rows-european");
        assert_eq!(plan.shifts[0].date, d(2025, 11, 24));
    }

    fn rows_sheet(dates: &[&str], day_col: bool) -> Grid {
        let mut s = Sheet::new("Roster");
        let mut head = vec![text("Employee"), text("Date"), text("Start"), text("End")];
        if day_col {
            head.push(text("Day"));
        }
        s.push_row(0, vec![text("Store 2207")]);
        s.push_row(1, head);
        for (i, d) in dates.iter().enumerate() {
            let mut row = vec![text("Ana Ruiz"), text(d), text("09:00"), text("17:00")];
            if day_col {
                let day = NaiveDate::parse_from_str(d, "%d/%m/%Y").unwrap();
                row.push(text(&day.format("%A").to_string()));
            }
            s.push_row(2 + i as u32, row);
        }
        Grid {
            format: SourceFormat::Csv,
            sheets: vec![s],
            date_1904: false,
        }
    }

    /// Dates that read both ways with nothing to decide: month-first, with a warning that says
    /// so; a weekday column beside them decides (day-first), with no warning.
    #[test]
    fn an_undecidable_date_order_is_reported_not_guessed() {
        let g = rows_sheet(&["06/03/2025", "06/04/2025"], false);
        let plan = plan_grid("x.csv", &g, &opts()).unwrap();
        assert_eq!(plan.template, "rows-standard");
        assert_eq!(plan.shifts[0].date, d(2025, 6, 3));
        let codes: Vec<&str> = plan.issues.iter().map(|i| i.code).collect();
        assert_eq!(codes, vec!["date_order_assumed"]);
        assert!(plan.issues[0].message.contains("--template rows-european"));

        let g = rows_sheet(&["06/03/2025", "07/03/2025"], true);
        let plan = plan_grid("x.csv", &g, &opts()).unwrap();
        assert_eq!(plan.template, "rows-european");
        assert_eq!(plan.shifts[0].date, d(2025, 3, 6));
        assert!(plan.issues.is_empty(), "{:?}", plan.issues);
    }

    /// An `Open Shifts` row of a week grid (When I Work, Homebase) is nobody's: its shifts are
    /// notices, not imported, and not errors.
    #[test]
    fn a_grid_row_of_open_shifts_is_a_notice() {
        let mut g = weekly_grid();
        let before = plan_grid("schedule.xlsx", &g, &opts()).unwrap();
        let s = &mut g.sheets[0];
        s.push_row(12, vec![text("Open Shifts"), Cell::Empty, text("9a-5p")]);
        s.set(12, 5, text("1p-9p"));
        let plan = plan_grid("schedule.xlsx", &g, &opts()).unwrap();
        assert_eq!(plan.shifts, before.shifts);
        let open: Vec<_> = plan
            .issues
            .iter()
            .filter(|i| i.code == "open_shift")
            .map(|i| (i.severity, i.cell.as_ref().map(|c| c.to_string())))
            .collect();
        assert_eq!(
            open,
            vec![
                (
                    crate::schedule::Severity::Notice,
                    Some("Week!C13".to_string())
                ),
                (
                    crate::schedule::Severity::Notice,
                    Some("Week!F13".to_string())
                ),
            ]
        );
    }

    #[test]
    fn a_header_without_shift_rows_is_no_fit() {
        let mut g = weekly_grid();
        let s = &mut g.sheets[0];
        for r in [5, 9] {
            for c in 2..9 {
                s.set(r, c, Cell::Empty);
            }
        }
        let err = plan_grid("x.xlsx", &g, &opts()).unwrap_err().to_string();
        assert!(err.contains("no row below it holds a shift"), "{err}");
    }

    #[test]
    fn unknown_layout_lists_every_template() {
        let mut s = Sheet::new("Sheet1");
        s.push_row(0, ["Product", "Price"].map(text).to_vec());
        s.push_row(1, vec![text("Aspirin"), Cell::Number(3.5)]);
        let grid = Grid {
            format: SourceFormat::Xlsx,
            sheets: vec![s],
            date_1904: false,
        };
        let err = plan_grid("prices.xlsx", &grid, &opts())
            .unwrap_err()
            .to_string();
        for name in opts().templates.names() {
            assert!(err.contains(name), "{err}");
        }
        assert!(!err.contains('\n'));
    }
}
