//! Picking the template for a file: every template is scored against the grid and the best
//! one wins; when none fits, the error lists each template tried and why it did not fit.
//!
//! A template is scored by
//! 1. its rules: formats, file name and sheet name patterns must hold (a file-name match adds
//!    to the score);
//! 2. its header: the header row must map the fields the layout needs and the header
//!    signature; each mapped column and day column adds to the score;
//! 3. a trial: the first rows are extracted, and the score is scaled by the share of cells
//!    that read without error (so a US-date template loses to a day-first one on `24.11.2025`,
//!    while a few typos never sink a file whose header fits: it is out only when nothing reads).
//!
//! Ties go to the higher `priority`, then to the name. When the tie is between two date
//! orders that read the file's dates differently (`06/03/2025` with nothing to tell), the
//! choice is reported ([`Choice::order_undecided`]), never made silently.
//!
//! When planning a file and only one template fits the structure (1 and 2), there is nothing to
//! rank: its trial is skipped and the plan's full extraction stands in for it
//! ([`choose_for_plan`]).

use crate::extract::{self, Context, Extraction, SheetLayout};
use crate::read::grid::{Grid, SourceFormat};
use crate::template::model::Layout;
use crate::template::set::{CompiledTemplate, TemplateSet};
use chrono::NaiveDate;
use std::fmt;

/// Data rows read by the trial extraction.
pub const TRIAL_ROWS: usize = 200;

/// A template that fits a file, with where it fits.
#[derive(Debug, Clone)]
pub struct Fit<'t> {
    pub template: &'t CompiledTemplate,
    pub score: i64,
    pub sheets: Vec<SheetLayout>,
}

/// Why one template does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub template: String,
    pub reason: Misfit,
}

/// Why a template does not fit a file, as a value (its text is what operators read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misfit {
    /// The template reads other formats (`reads` is its list, joined by `/`).
    Format { reads: String, got: SourceFormat },
    /// `match.file_name` does not match.
    FileName,
    /// No sheet name matches `match.sheet_name`.
    SheetName,
    /// Every sheet is empty.
    NoData,
    /// No sheet has a header this template knows: each sheet's name and why.
    Header(Vec<(String, String)>),
    /// The header fits, but the trial found no shift row below it.
    NoShiftRows,
    /// None of the trial's rows read: how many rows, how many issues, the first issue.
    NothingReads {
        rows: usize,
        issues: usize,
        example: String,
    },
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misfit::Format { reads, got } => write!(f, "reads {reads} files, not {got}"),
            Misfit::FileName => f.write_str("the file name does not match match.file_name"),
            Misfit::SheetName => f.write_str("no sheet name matches match.sheet_name"),
            Misfit::NoData => f.write_str("the file holds no data"),
            Misfit::Header(sheets) => {
                for (i, (sheet, why)) in sheets.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "; " };
                    write!(f, "{sep}sheet {sheet:?}: {why}")?;
                }
                Ok(())
            }
            Misfit::NoShiftRows => {
                f.write_str("the header fits, but no row below it holds a shift")
            }
            Misfit::NothingReads {
                rows,
                issues,
                example,
            } => write!(
                f,
                "none of the first {rows} rows could be read ({issues} issues, e.g. {example})"
            ),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.template, self.reason)
    }
}

/// Evaluate one template against a file: its structure, then the trial extraction.
pub fn evaluate<'t>(
    t: &'t CompiledTemplate,
    grid: &Grid,
    file_name: &str,
    today: NaiveDate,
) -> Result<Fit<'t>, Misfit> {
    let (sheets, structure) = structure(t, grid, file_name, today)?;
    let (score, _) = trial(t, grid, file_name, today, &sheets, structure)?;
    Ok(Fit {
        template: t,
        score,
        sheets,
    })
}

/// A template named by the caller (`--template`): its rules and header must fit, but no trial
/// is run, so rows that do not read become issues instead of refusing the file.
pub fn forced<'t>(
    t: &'t CompiledTemplate,
    grid: &Grid,
    file_name: &str,
    today: NaiveDate,
) -> Result<Fit<'t>, Misfit> {
    let (sheets, score) = structure(t, grid, file_name, today)?;
    Ok(Fit {
        template: t,
        score: score * 100,
        sheets,
    })
}

/// Where a template's rules and header fit the file, and the structure score (no extraction).
fn structure(
    t: &CompiledTemplate,
    grid: &Grid,
    file_name: &str,
    today: NaiveDate,
) -> Result<(Vec<SheetLayout>, i64), Misfit> {
    if !t.reads_format(grid.format) {
        return Err(Misfit::Format {
            reads: t.def.matching.formats.join("/"),
            got: grid.format,
        });
    }
    let mut bonus = 0;
    if let Some(re) = &t.file_re {
        if !re.is_match(file_name) {
            return Err(Misfit::FileName);
        }
        bonus += 15;
    }
    let mut sheets = Vec::new();
    let mut reasons = Vec::new();
    for (i, sheet) in grid.sheets.iter().enumerate() {
        if sheet.is_empty() {
            continue;
        }
        if let Some(re) = &t.sheet_re
            && !re.is_match(&sheet.name)
        {
            continue;
        }
        let found = match t.def.layout {
            Layout::Rows => extract::rows::locate(sheet, i, t).map(SheetLayout::Rows),
            Layout::Grid => extract::grid::locate(sheet, i, t, today).map(SheetLayout::Grid),
        };
        match found {
            Ok(l) => sheets.push(l),
            Err(why) => reasons.push((sheet.name.to_string(), why)),
        }
    }
    if sheets.is_empty() {
        return Err(match reasons.len() {
            0 if t.sheet_re.is_some() => Misfit::SheetName,
            0 => Misfit::NoData,
            _ => Misfit::Header(reasons),
        });
    }
    let structure: i64 = sheets.iter().map(SheetLayout::score).max().unwrap_or(0) + bonus;
    Ok((sheets, structure))
}

/// The dates of the shifts a trial read, in order: two date orders that read them alike
/// cannot be told apart and need not be.
type TrialDates = Vec<NaiveDate>;

/// The trial: extract the first rows of every fitting sheet and scale the structure score by
/// the share of cells that read without error (shifts against error issues).
fn trial(
    t: &CompiledTemplate,
    grid: &Grid,
    file_name: &str,
    today: NaiveDate,
    sheets: &[SheetLayout],
    structure: i64,
) -> Result<(i64, TrialDates), Misfit> {
    let ctx = Context {
        file_name,
        template: t,
        // The trial judges times and dates: a file without a store still fits.
        store_override: Some(0),
        store_fallback: None,
        today,
    };
    let mut trial = Extraction::default();
    for l in sheets {
        l.extract(&grid.sheets[l.sheet()], &ctx, Some(TRIAL_ROWS), &mut trial);
    }
    if trial.rows_read == 0 {
        return Err(Misfit::NoShiftRows);
    }
    let good = trial.shifts.len();
    let bad = trial
        .issues
        .iter()
        .filter(|i| i.severity == crate::schedule::Severity::Error)
        .count();
    if good == 0 && bad > 0 {
        return Err(Misfit::NothingReads {
            rows: trial.rows_read,
            issues: trial.issues.len(),
            example: trial
                .issues
                .first()
                .map(|i| i.message.to_string())
                .unwrap_or_else(|| "-".into()),
        });
    }
    let score = match good + bad {
        0 => structure * 100,
        all => structure * 100 * good as i64 / all as i64,
    };
    Ok((score, trial.shifts.iter().map(|s| s.shift.date).collect()))
}

/// Pick the best template for a file, or list why each one did not fit. Every template that
/// fits the structure is tried.
pub fn choose<'t>(
    set: &'t TemplateSet,
    grid: &Grid,
    file_name: &str,
    today: NaiveDate,
) -> Result<Fit<'t>, Vec<Rejection>> {
    choose_with(set, grid, file_name, today, false).map(|c| c.fit)
}

/// The outcome of [`choose_for_plan`].
pub struct Choice<'t> {
    pub fit: Fit<'t>,
    /// The templates that did not fit, in the set's order, with why.
    pub rejected: Vec<Rejection>,
    /// The trial was skipped because no other template fits the structure: the caller's
    /// full extraction stands in for it, and [`Choice::confirm`] gives the trial's verdict
    /// when that extraction reads no shift.
    pub trial_skipped: bool,
    /// Another template with the other date order fits exactly as well but reads the dates
    /// differently (every numeric date could be either way round): its name. The chosen
    /// order is then a guess the caller must report.
    pub order_undecided: Option<String>,
}

impl Choice<'_> {
    /// After the caller's full extraction `ex` of the chosen template: when its trial was
    /// skipped and the extraction read nothing, run the trial now, so the file is refused
    /// exactly as when several templates fit (the rejections, in the set's order).
    pub fn confirm(
        &self,
        set: &TemplateSet,
        grid: &Grid,
        file_name: &str,
        today: NaiveDate,
        ex: &Extraction,
    ) -> Result<(), Vec<Rejection>> {
        if !self.trial_skipped || (ex.rows_read > 0 && !ex.shifts.is_empty()) {
            return Ok(());
        }
        let Err(reason) = evaluate(self.fit.template, grid, file_name, today) else {
            return Ok(());
        };
        let mut tried = self.rejected.clone();
        tried.push(Rejection {
            template: self.fit.template.name().to_string(),
            reason,
        });
        in_set_order(set, &mut tried);
        Err(tried)
    }
}

/// [`choose`] for planning a file: when exactly one template fits the structure, there is
/// nothing to rank, so its trial is skipped and the rows are extracted once, not twice.
pub fn choose_for_plan<'t>(
    set: &'t TemplateSet,
    grid: &Grid,
    file_name: &str,
    today: NaiveDate,
) -> Result<Choice<'t>, Vec<Rejection>> {
    choose_with(set, grid, file_name, today, true)
}

/// Rejections in the set's order, as an operator reads the list.
pub fn in_set_order(set: &TemplateSet, rejected: &mut [Rejection]) {
    rejected.sort_by_key(|r| set.iter().position(|t| t.name() == r.template));
}

fn choose_with<'t>(
    set: &'t TemplateSet,
    grid: &Grid,
    file_name: &str,
    today: NaiveDate,
    skip_lone_trial: bool,
) -> Result<Choice<'t>, Vec<Rejection>> {
    let mut fits = Vec::new();
    let mut rejected = Vec::new();
    for t in set.iter() {
        match structure(t, grid, file_name, today) {
            Ok((sheets, score)) => fits.push((t, sheets, score)),
            Err(reason) => rejected.push(Rejection {
                template: t.name().to_string(),
                reason,
            }),
        }
    }
    if skip_lone_trial && fits.len() == 1 {
        let (template, sheets, score) = fits.remove(0);
        return Ok(Choice {
            fit: Fit {
                template,
                score: score * 100,
                sheets,
            },
            rejected,
            trial_skipped: true,
            order_undecided: None,
        });
    }
    let mut best: Option<Fit<'t>> = None;
    let mut read: Vec<(&'t CompiledTemplate, i64, TrialDates)> = Vec::new();
    for (t, sheets, structure) in fits {
        match trial(t, grid, file_name, today, &sheets, structure) {
            Ok((score, dates)) => {
                read.push((t, score, dates));
                let fit = Fit {
                    template: t,
                    score,
                    sheets,
                };
                let better = best.as_ref().is_none_or(|b| {
                    (fit.score, fit.template.def.priority) > (b.score, b.template.def.priority)
                });
                if better {
                    best = Some(fit);
                }
            }
            Err(reason) => rejected.push(Rejection {
                template: t.name().to_string(),
                reason,
            }),
        }
    }
    in_set_order(set, &mut rejected);
    match best {
        Some(fit) => Ok(Choice {
            order_undecided: undecided_order(&fit, &read),
            fit,
            rejected,
            trial_skipped: false,
        }),
        None => Err(rejected),
    }
}

/// The template that ties with the chosen one on score and layout, reads dates in another
/// order, and gets other dates from the same file: the file cannot decide the order.
fn undecided_order(fit: &Fit<'_>, read: &[(&CompiledTemplate, i64, TrialDates)]) -> Option<String> {
    let chosen = fit.template;
    let mine = &read.iter().find(|(t, _, _)| t.name() == chosen.name())?.2;
    read.iter()
        .find(|(t, score, dates)| {
            *score == fit.score
                && t.def.layout == chosen.def.layout
                && t.def.values.date_order != chosen.def.values.date_order
                && dates != mine
        })
        .map(|(t, _, _)| t.name().to_string())
}
