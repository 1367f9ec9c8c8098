//! `pharmacy-ingest imports list|show|revert|reprocess|approve`: the import record for operators.
//! Ids may be given as a unique prefix (`dc5229`); `reprocess` also takes a filter instead of
//! an id (`--status failed --store 1042`) and reprocesses every match, one at a time.

use super::Context;
use super::ids::{IdArg, IdKind, resolve};
use crate::import::query::{self, ImportDetail, ImportRow, IssueSummary, ListFilter};
use crate::import::revert::revert_import;
use crate::import::run::{ReprocessOptions, approve_now, reprocess_now};
use crate::import::{ImportStatus, StoredStatus};
use anyhow::Context as _;
use std::process::ExitCode;
use uuid::Uuid;

/// A code with at least this many issues gets a summary line in `imports show`.
const FLOOD: i64 = 10;

#[derive(Debug, clap::Args)]
pub struct Opts {
    #[command(subcommand)]
    pub command: ImportsCommand,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Output format of the operator commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum ImportsCommand {
    /// Imports, newest first.
    List {
        /// Only imports with this status (succeeded, partial, failed, duplicate, held,
        /// reverted).
        #[arg(long, value_parser = parse_status)]
        status: Option<StoredStatus>,
        /// Only imports that touched this store number.
        #[arg(long)]
        store: Option<i32>,
        /// Only failed imports that nothing fixed since (no later import of the same content
        /// or file name, and no reprocess of it, went through).
        #[arg(long)]
        unresolved: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One import: its row, counts, and its issues with cell references (a flood of one kind
    /// is summarised).
    Show {
        /// The import id, or a unique prefix of it.
        id: IdArg,
        /// Show at most this many issues (all are counted in the summary).
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Undo an import: delete the shifts it inserted, restore the ones it replaced.
    Revert {
        /// The import id, or a unique prefix of it.
        id: IdArg,
        /// Revert even when later imports changed the same stores and dates.
        #[arg(long)]
        force: bool,
    },
    /// Import a file again from its stored copy with the current templates, replacing what
    /// the previous import wrote. Give an id, or a filter to reprocess every match (`--status
    /// failed` takes only failed imports not fixed since).
    Reprocess {
        /// The import id, or a unique prefix of it.
        #[arg(required_unless_present_any = ["status", "store"], conflicts_with_all = ["status", "store"])]
        id: Option<IdArg>,
        /// Every import with this status (succeeded, partial, failed, duplicate, held).
        #[arg(long, value_parser = parse_status)]
        status: Option<StoredStatus>,
        /// Every import that touched this store number.
        #[arg(long)]
        store: Option<i32>,
        /// With a filter: at most this many, newest first.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// With a filter: list what would be reprocessed, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Use this template instead of the one originally asked for.
        #[arg(long)]
        template: Option<String>,
        /// Reprocess even when later imports changed the same stores and dates.
        #[arg(long)]
        force: bool,
    },
    /// Approve a held import (a replace that would leave a day with nobody scheduled or drop
    /// an employee, held by `worker.hold_risky_replaces`): import its file now.
    Approve {
        /// The held import's id, or a unique prefix of it.
        id: IdArg,
    },
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = ctx.config.connect().await?;
    crate::db::migrations::prepare(&db).await?;
    let result = run_on(opts, ctx, db.pool()).await;
    db.close().await?;
    result
}

/// A `--status` value: a status `document_imports` can hold.
fn parse_status(s: &str) -> Result<StoredStatus, String> {
    StoredStatus::try_from(s.to_ascii_lowercase())
        .map_err(|e| format!("{e}: use succeeded, partial, failed, duplicate, held or reverted"))
}

async fn run_on(opts: Opts, ctx: &Context, pool: &sqlx::PgPool) -> anyhow::Result<ExitCode> {
    let json = opts.format == Format::Json;
    match opts.command {
        ImportsCommand::List {
            status,
            store,
            unresolved,
            limit,
        } => {
            let filter = ListFilter {
                status,
                store_number: store,
                unresolved,
                limit,
            };
            let rows = query::list_imports(pool, &filter)
                .await
                .context("listing imports")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", list_table(&rows));
            }
            Ok(ExitCode::SUCCESS)
        }
        ImportsCommand::Show { id, limit } => {
            let id = resolve(pool, IdKind::Import, &id).await?;
            let Some(detail) = query::show_import_limited(pool, id, limit)
                .await
                .context("reading import")?
            else {
                anyhow::bail!("there is no import {id}");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&detail)?);
            } else {
                print!("{}", show_text(&detail, limit));
            }
            Ok(ExitCode::SUCCESS)
        }
        ImportsCommand::Revert { id, force } => {
            let id = resolve(pool, IdKind::Import, &id).await?;
            revert(pool, ctx, id, force, json).await
        }
        ImportsCommand::Reprocess {
            id: Some(id),
            template,
            force,
            ..
        } => {
            let id = resolve(pool, IdKind::Import, &id).await?;
            reprocess_one(pool, ctx, id, template, force, json).await
        }
        ImportsCommand::Reprocess {
            id: None,
            status,
            store,
            limit,
            dry_run,
            template,
            force,
        } => {
            let filter = ListFilter {
                unresolved: status == Some(StoredStatus::Outcome(ImportStatus::Failed)),
                status,
                store_number: store,
                limit,
            };
            reprocess_many(pool, ctx, &filter, template, force, dry_run, json).await
        }
        ImportsCommand::Approve { id } => {
            let id = resolve(pool, IdKind::Import, &id).await?;
            approve(ctx, pool, id, json).await
        }
    }
}

async fn revert(
    pool: &sqlx::PgPool,
    ctx: &Context,
    id: Uuid,
    force: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut tx = pool.begin().await?;
    let past = crate::import::revert::LaterImports::forced(force);
    let out = revert_import(&mut tx, id, &ctx.operator(), past).await?;
    tx.commit().await.context("committing the revert")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "import {id} reverted: {} shift(s) it inserted deleted, {} shift(s) it \
         replaced restored",
        out.rows_deleted, out.rows_restored
    );
    if out.rows_not_restored > 0 {
        println!(
            "note: {} replaced shift(s) were not restored: their store was deleted \
             since, or a shift with the same id exists again",
            out.rows_not_restored
        );
    }
    if !out.later_imports.is_empty() {
        println!(
            "warning: forced past later import(s) on the same stores and dates: {}",
            join(&out.later_imports)
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn reprocess_one(
    pool: &sqlx::PgPool,
    ctx: &Context,
    id: Uuid,
    template: Option<String>,
    force: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let out = reprocess_now(
        pool,
        id,
        ReprocessOptions {
            template,
            force,
            created_by: ctx.operator(),
        },
        super::import::plan_options(ctx, pool).await?,
        super::import::progress_line(0),
    )
    .await;
    super::import::clear_progress_line();
    let out = out?;
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        if let Some(r) = &out.reverted {
            println!(
                "previous import {} reverted ({} deleted, {} restored)",
                out.previous, r.rows_deleted, r.rows_restored
            );
        }
        print!(
            "{}",
            super::import::outcome_text(&out.outcome, "reprocessed as import")
        );
    }
    Ok(super::import::exit_code(&out.outcome))
}

/// Reprocess every import `filter` lists, oldest first, each in its own transaction; one that
/// cannot be reprocessed is reported and the rest go on. Exit code: the worst of them.
async fn reprocess_many(
    pool: &sqlx::PgPool,
    ctx: &Context,
    filter: &ListFilter,
    template: Option<String>,
    force: bool,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut rows = query::list_imports(pool, filter)
        .await
        .context("listing imports")?;
    rows.retain(|r| r.status != "reverted" && r.status != "processing");
    rows.reverse();
    if dry_run || rows.is_empty() {
        if json {
            println!("{}", serde_json::to_string_pretty(&rows)?);
        } else {
            print!("{}", list_table(&rows));
            if !rows.is_empty() {
                println!("(dry run: {} import(s) would be reprocessed)", rows.len());
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let plan = super::import::plan_options(ctx, pool).await?;
    let mut worst = 0u8;
    let mut results = Vec::new();
    for r in &rows {
        let opts = ReprocessOptions {
            template: template.clone(),
            force,
            created_by: ctx.operator(),
        };
        let res = reprocess_now(
            pool,
            r.id,
            opts,
            plan.clone(),
            super::import::progress_line(0),
        )
        .await;
        super::import::clear_progress_line();
        let (code, line, value) = match res {
            Ok(out) => {
                let code = match out.outcome.status {
                    crate::import::ImportStatus::Succeeded
                    | crate::import::ImportStatus::Duplicate => 0,
                    crate::import::ImportStatus::Partial | crate::import::ImportStatus::Held => 1,
                    crate::import::ImportStatus::Failed => 2,
                };
                let line = format!(
                    "{} {}: {} as import {} ({} imported, {} rejected)",
                    r.id,
                    r.file_name,
                    out.outcome.status.as_str(),
                    out.outcome.import_id,
                    out.outcome.rows_imported,
                    out.outcome.rows_rejected
                );
                (code, line, serde_json::to_value(&out)?)
            }
            Err(e) => (
                2,
                format!("{} {}: not reprocessed: {e:#}", r.id, r.file_name),
                serde_json::json!({"previous": r.id, "error": format!("{e:#}")}),
            ),
        };
        worst = worst.max(code);
        if json {
            results.push(value);
        } else {
            println!("{line}");
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(ExitCode::from(worst))
}

/// `imports approve ID`: import a held import's file now.
async fn approve(
    ctx: &Context,
    pool: &sqlx::PgPool,
    id: Uuid,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let out = approve_now(
        pool,
        id,
        ReprocessOptions {
            template: None,
            force: false,
            created_by: ctx.operator(),
        },
        super::import::plan_options(ctx, pool).await?,
        super::import::progress_line(0),
    )
    .await;
    super::import::clear_progress_line();
    let out = out?;
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!(
            "{}",
            super::import::outcome_text(&out.outcome, "approved and imported as import")
        );
    }
    Ok(super::import::exit_code(&out.outcome))
}

fn join(ids: &[Uuid]) -> String {
    ids.iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_else(|| "-".into())
}

fn dates(r: &ImportRow) -> String {
    match (r.date_from, r.date_to) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}..{b}"),
        _ => "-".into(),
    }
}

fn stores(r: &ImportRow) -> String {
    match &r.store_numbers {
        Some(v) if !v.is_empty() => v.iter().map(i32::to_string).collect::<Vec<_>>().join(","),
        _ => "-".into(),
    }
}

/// The `imports list` table.
fn list_table(rows: &[ImportRow]) -> String {
    let mut t = vec![vec![
        "ID".to_string(),
        "CREATED".into(),
        "SOURCE".into(),
        "STATUS".into(),
        "STORES".into(),
        "DATES".into(),
        "IMPORTED".into(),
        "REJECTED".into(),
        "REPLACED".into(),
        "FILE".into(),
    ]];
    for r in rows {
        t.push(vec![
            r.id.to_string(),
            r.created_at
                .map(|c| c.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            r.source.clone(),
            r.status.clone(),
            stores(r),
            dates(r),
            opt(&r.rows_imported),
            opt(&r.rows_rejected),
            opt(&r.rows_replaced),
            r.file_name.clone(),
        ]);
    }
    if rows.is_empty() {
        return "no imports\n".into();
    }
    table(&t)
}

/// Left-aligned columns separated by two spaces.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{s:<w$}", w = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The `imports show` text.
fn show_text(d: &ImportDetail, limit: i64) -> String {
    let r = &d.import;
    let mut t: Vec<Vec<String>> = vec![
        vec!["import".into(), r.id.to_string()],
        vec!["file".into(), r.file_name.clone()],
        vec![
            "size".into(),
            format!("{} bytes, sha256 {}", opt(&r.file_size), r.sha256),
        ],
        vec!["format".into(), opt(&r.format)],
        vec!["template".into(), opt(&r.template)],
        vec!["source".into(), r.source.clone()],
        vec!["mode".into(), r.mode.clone()],
        vec!["status".into(), r.status.clone()],
        vec!["stores".into(), stores(r)],
        vec!["dates".into(), dates(r)],
        vec![
            "rows".into(),
            format!(
                "{} total, {} imported, {} rejected, {} replaced, {} warnings",
                opt(&r.rows_total),
                opt(&r.rows_imported),
                opt(&r.rows_rejected),
                opt(&r.rows_replaced),
                opt(&r.warnings)
            ),
        ],
        vec![
            "created".into(),
            format!(
                "{} by {}",
                opt(&r.created_at.map(|c| c.format("%Y-%m-%d %H:%M:%S UTC"))),
                opt(&r.created_by)
            ),
        ],
        vec![
            "finished".into(),
            opt(&r.finished_at.map(|c| c.format("%Y-%m-%d %H:%M:%S UTC"))),
        ],
    ];
    if let Some(e) = &r.error {
        t.push(vec!["error".into(), e.clone()]);
    }
    if let Some(j) = r.job_id {
        t.push(vec!["job".into(), j.to_string()]);
    }
    if let Some(at) = r.reverted_at {
        t.push(vec![
            "reverted".into(),
            format!(
                "{} by {}",
                at.format("%Y-%m-%d %H:%M:%S UTC"),
                opt(&r.reverted_by)
            ),
        ]);
    }
    if let Some(p) = r.reprocess_of {
        t.push(vec!["reprocess of".into(), p.to_string()]);
    }
    if !d.reprocessed_by.is_empty() {
        t.push(vec!["reprocessed by".into(), join(&d.reprocessed_by)]);
    }
    t.push(vec![
        "file kept".into(),
        if r.file_kept {
            "yes (can be reprocessed)".into()
        } else {
            "no".into()
        },
    ]);
    let mut out = table(&t);
    out.push_str(&history_text(d, limit));
    out
}

/// The history counts, the issues (at most `limit`) and one line per flood of one kind.
fn history_text(d: &ImportDetail, limit: i64) -> String {
    let mut out = String::new();
    if !d.actions.is_empty() {
        out.push_str("\nhistory:\n");
        for a in &d.actions {
            out.push_str(&format!("  {:<10} {}\n", a.action, a.count));
        }
    }
    if !d.issues.is_empty() {
        out.push_str("\nissues:\n");
        let mut rows = vec![vec![
            "SEVERITY".to_string(),
            "CELL".into(),
            "CODE".into(),
            "MESSAGE".into(),
        ]];
        for i in &d.issues {
            rows.push(vec![
                i.severity.clone(),
                opt(&i.cell),
                opt(&i.code),
                opt(&i.message),
            ]);
        }
        for line in table(&rows).lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    let shown = i64::try_from(d.issues.len()).unwrap_or(i64::MAX);
    if d.issues_total > shown {
        out.push_str(&format!(
            "  … {} more not shown (--limit {} shows them all, --format json has them too)\n",
            thousands(d.issues_total - shown),
            d.issues_total.max(limit)
        ));
    }
    let floods: Vec<&IssueSummary> = d
        .issue_summary
        .iter()
        .filter(|s| s.count >= FLOOD)
        .collect();
    if !floods.is_empty() {
        out.push_str("\nmany of one kind:\n");
        for f in floods {
            out.push_str(&format!("  {}\n", flood_line(f)));
        }
    }
    out
}

/// One line for a flood of one issue kind: how many, the first, and a hint when the kind has
/// a usual cause.
pub fn flood_line(f: &IssueSummary) -> String {
    let code = f.code.as_deref().unwrap_or("issue");
    let mut line = format!(
        "{} × {} {code}, first at {}: {}",
        thousands(f.count),
        if f.count == 1 {
            f.severity.clone()
        } else {
            format!("{}s", f.severity)
        },
        f.first_cell.as_deref().unwrap_or("-"),
        f.first_message.as_deref().unwrap_or("-")
    );
    let hint = match code {
        "date_far_from_week" => Some(
            "is this a multi-month export? Dates are checked against the file's first week; \
             split the export by week, or raise the template's far_date limits",
        ),
        "unknown_employee" => Some("are these employees missing from contacts?"),
        "unknown_store" => Some("add the store (pharmacy-ingest stores add N) and reprocess"),
        "duplicate_shift" => Some("was the same week pasted twice into the file?"),
        _ => None,
    };
    if let Some(h) = hint {
        line.push_str(" — ");
        line.push_str(h);
    }
    line
}

/// `43679` → `43,679` (counts are never negative).
fn thousands(n: i64) -> String {
    crate::import::report::thousands(usize::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floods_say_how_many_where_and_why() {
        let line = flood_line(&IssueSummary {
            severity: "warning".into(),
            code: Some("date_far_from_week".into()),
            count: 43679,
            first_cell: Some("Export!D2".into()),
            first_message: Some("the date 2024-01-02 is 700 days from the file's week".into()),
        });
        assert!(line.starts_with("43,679 × warnings date_far_from_week, first at Export!D2: "));
        assert!(line.contains("multi-month export?"), "{line}");
    }

    #[test]
    fn table_aligns_columns() {
        let t = table(&[
            vec!["A".into(), "BB".into(), "C".into()],
            vec!["long".into(), "x".into(), "".into()],
        ]);
        assert_eq!(t, "A     BB  C\nlong  x\n");
    }
}
