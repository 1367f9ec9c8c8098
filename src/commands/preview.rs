//! `pharmacy-ingest preview FILE`: read a schedule and print what would be imported — the
//! template chosen, the shifts and the issues — without a database.
//!
//! Exit codes: 0 the file was read and every row is good (warnings allowed); 1 the file was
//! read but some rows were rejected (error issues); 2 the file could not be read at all or no
//! template fits (one line on stderr).

use super::Context;
use crate::pipeline::plan::{PlanOptions, plan_path};
use crate::read::ReadOptions;
use crate::schedule::Plan;
use crate::template::TemplateSet;
use anyhow::Context as _;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The schedule file (xlsx, xlsm, xlsb, xls, ods, csv, pdf).
    pub file: PathBuf,
    /// Use this template instead of detecting one.
    #[arg(long)]
    pub template: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Read templates from this folder as well (a template there replaces the built-in one of
    /// the same name).
    #[arg(long)]
    pub templates_dir: Option<PathBuf>,
    /// Store number to use instead of the file's.
    #[arg(long)]
    pub store: Option<i32>,
    /// Password of an encrypted PDF.
    #[arg(long)]
    pub password: Option<String>,
}

/// How `preview` prints a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    /// One JSON document: indented on a terminal, compact when piped or redirected (a
    /// program reads it; a 100,000-shift preview is a third smaller).
    Json,
    Csv,
}

/// The templates a command without a database uses: the built-in ones, plus a folder.
pub fn offline_templates(dir: Option<&Path>) -> anyhow::Result<TemplateSet> {
    Ok(match dir {
        Some(d) => TemplateSet::embedded_with_dir(d)?,
        None => TemplateSet::embedded()?,
    })
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let templates = offline_templates(opts.templates_dir.as_deref())?;
    let plan_opts = PlanOptions {
        template: opts.template.clone(),
        templates,
        read: ReadOptions {
            limits: ctx.config.read.clone(),
            password: opts.password.clone(),
            head_rows: None,
        },
        store: opts.store,
        fallback_store: None,
        today: None,
    };
    let plan = match plan_path(&opts.file, &plan_opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let file = opts.file.display().to_string();
    let terminal = std::io::stdout().is_terminal();
    // Stdout is line-buffered: a 100,000-shift preview would be a write call per line.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match opts.format {
        OutputFormat::Json => {
            let json = PlanJson::new(&file, &plan);
            if terminal {
                serde_json::to_writer_pretty(&mut out, &json)?;
            } else {
                serde_json::to_writer(&mut out, &json)?;
            }
            writeln!(out)?;
        }
        OutputFormat::Csv => write_csv(&mut out, &plan)?,
        OutputFormat::Table => write_table(&mut out, &file, &plan)?,
    }
    out.flush().context("writing the preview")?;
    let code = if plan.error_count() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends with this command and its memory goes back whole: a large plan is not
    // freed shift by shift first.
    std::mem::forget(plan);
    Ok(code)
}

/// The JSON shape of a preview (the corpus truth's shift fields plus phone, notes and cell).
/// The shifts are serialized as they are read from the plan (no copy of a large file's).
#[derive(Debug, Serialize)]
pub struct PlanJson<'a> {
    pub file: &'a str,
    pub format: &'static str,
    pub template: &'a str,
    pub shifts: ShiftsJson<'a>,
    pub issues: Vec<IssueJson<'a>>,
}

/// The plan's shifts, serialized one [`ShiftJson`] at a time.
#[derive(Debug)]
pub struct ShiftsJson<'a>(&'a [crate::schedule::Shift]);

impl Serialize for ShiftsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.0.iter().map(ShiftJson::new))
    }
}

/// One shift as JSON. The date, times and cell are written straight into the output (serde's
/// `collect_str`), not formatted into strings first: a 100,000-shift preview made 400,000.
#[derive(Debug, Serialize)]
pub struct ShiftJson<'a> {
    pub store_number: i32,
    pub employee_name: &'a str,
    pub employee_phone: Option<&'a str>,
    #[serde(serialize_with = "as_text")]
    pub date: Ymd,
    #[serde(serialize_with = "as_text")]
    pub start: HhMm,
    #[serde(serialize_with = "as_text")]
    pub end: HhMm,
    pub position: Option<&'a str>,
    pub notes: Option<&'a str>,
    #[serde(serialize_with = "as_text")]
    pub cell: &'a crate::read::grid::CellRef,
}

impl<'a> ShiftJson<'a> {
    fn new(s: &'a crate::schedule::Shift) -> Self {
        ShiftJson {
            store_number: s.store_number,
            employee_name: &s.employee_name,
            employee_phone: s.employee_phone.as_deref(),
            date: Ymd(s.date),
            start: HhMm(s.start),
            end: HhMm(s.end),
            position: s.position.as_deref(),
            notes: s.notes.as_deref(),
            cell: &s.source,
        }
    }
}

/// A value serialized as its `Display` text.
fn as_text<S: serde::Serializer>(v: &impl std::fmt::Display, ser: S) -> Result<S::Ok, S::Error> {
    ser.collect_str(v)
}

/// A time of day as `HH:MM` (chrono's `format("%H:%M")` parses its pattern at every call).
#[derive(Debug, Clone, Copy)]
pub struct HhMm(chrono::NaiveTime);

impl std::fmt::Display for HhMm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Timelike;
        let (h, m) = (self.0.hour(), self.0.minute());
        let digits = [
            b'0' + (h / 10) as u8,
            b'0' + (h % 10) as u8,
            b':',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
        ];
        f.write_str(std::str::from_utf8(&digits).map_err(|_| std::fmt::Error)?)
    }
}

/// A date as `YYYY-MM-DD`, written digit by digit for years 0–9999 (chrono's `Display`
/// goes through the formatting machinery), else as chrono writes it.
#[derive(Debug, Clone, Copy)]
pub struct Ymd(chrono::NaiveDate);

impl std::fmt::Display for Ymd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Datelike;
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        let Ok(y @ 0..=9999) = u32::try_from(y) else {
            return self.0.fmt(f);
        };
        let digit = |n: u32| b'0' + (n % 10) as u8;
        let text = [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ];
        f.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
    }
}

#[derive(Debug, Serialize)]
pub struct IssueJson<'a> {
    pub severity: crate::schedule::Severity,
    pub code: &'a str,
    pub cell: Option<String>,
    pub message: &'a str,
}

impl<'a> PlanJson<'a> {
    pub fn new(file: &'a str, plan: &'a Plan) -> Self {
        PlanJson {
            file,
            format: plan.format.as_str(),
            template: &plan.template,
            shifts: ShiftsJson(&plan.shifts),
            issues: plan
                .issues
                .iter()
                .map(|i| IssueJson {
                    severity: i.severity,
                    code: i.code,
                    cell: i.cell.as_ref().map(ToString::to_string),
                    message: &i.message,
                })
                .collect(),
        }
    }
}

fn write_csv(out: &mut impl Write, plan: &Plan) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "store_number",
        "employee_name",
        "employee_phone",
        "date",
        "start",
        "end",
        "position",
        "notes",
        "cell",
    ])?;
    for s in &plan.shifts {
        w.write_record([
            s.store_number.to_string(),
            s.employee_name.to_string(),
            s.employee_phone.as_deref().unwrap_or_default().to_string(),
            s.date.to_string(),
            HhMm(s.start).to_string(),
            HhMm(s.end).to_string(),
            s.position.as_deref().unwrap_or_default().to_string(),
            s.notes.as_deref().unwrap_or_default().to_string(),
            s.source.to_string(),
        ])?;
    }
    w.flush()?;
    for i in &plan.issues {
        eprintln!("{i}");
    }
    Ok(())
}

fn write_table(out: &mut impl Write, file: &str, plan: &Plan) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}: {} file, template {}: {} shifts, {} errors, {} warnings",
        printable(file),
        plan.format,
        printable(&plan.template),
        plan.shifts.len(),
        plan.error_count(),
        plan.warning_count()
    )?;
    let rows: Vec<[String; 8]> = plan
        .shifts
        .iter()
        .map(|s| {
            [
                s.store_number.to_string(),
                printable(&s.employee_name).into_owned(),
                s.date.format("%a %Y-%m-%d").to_string(),
                s.start.format("%H:%M").to_string(),
                format!(
                    "{}{}",
                    s.end.format("%H:%M"),
                    if s.is_overnight() { " +1" } else { "" }
                ),
                printable(s.position.as_deref().unwrap_or_default()).into_owned(),
                printable(s.notes.as_deref().unwrap_or_default()).into_owned(),
                printable(&s.source.to_string()).into_owned(),
            ]
        })
        .collect();
    // A cell is shown up to MAX_CELL_CHARS characters: a 390 KB cell would otherwise overflow
    // the format width (a panic) and bury the table.
    let rows: Vec<[String; 8]> = rows.into_iter().map(|r| r.map(clip)).collect();
    let head = [
        "store", "employee", "date", "start", "end", "position", "notes", "cell",
    ];
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out)?;
    writeln!(out, "{}", line(head.to_vec()))?;
    for r in &rows {
        writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    if !plan.issues.is_empty() {
        writeln!(out)?;
        writeln!(out, "issues:")?;
        for i in &plan.issues {
            writeln!(out, "  {} [{}]", printable(&i.to_string()), i.code)?;
        }
    }
    Ok(())
}

/// Widest cell the table shows, in characters.
const MAX_CELL_CHARS: usize = 80;

/// A cell cut to [`MAX_CELL_CHARS`] characters (marked with `…`).
fn clip(s: String) -> String {
    if s.chars().count() <= MAX_CELL_CHARS {
        return s;
    }
    let mut out: String = s.chars().take(MAX_CELL_CHARS - 1).collect();
    out.push('…');
    out
}

/// Text safe to print on a terminal: control characters (a cell's tab, newline or escape
/// sequence) and the invisible bidirectional overrides become visible escapes (`\n`,
/// `\u{1b}`), so a cell can neither break the table nor drive the terminal.
fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::{Ymd, printable};

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        for (y, m, d) in [
            (2026, 1, 5),
            (999, 12, 31),
            (1, 1, 1),
            (10_000, 1, 1),
            (-4, 3, 9),
        ] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(Ymd(date).to_string(), date.to_string());
        }
    }

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        assert_eq!(printable("Dana Whitfield"), "Dana Whitfield");
        assert_eq!(printable("José\tMüller"), "José\\tMüller");
        assert_eq!(printable("a\u{1b}[2Jb\r\n"), "a\\u{1b}[2Jb\\r\\n");
        assert_eq!(printable("x\u{202e}y\u{7f}"), "x\\u{202e}y\\u{7f}");
    }
}
