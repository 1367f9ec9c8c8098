//! `pharmacy-ingest imports list|show|revert|reprocess|approve`: the import record for operators.

use super::Context;
use crate::import::query::{self, ImportDetail, ImportRow, ListFilter};
use crate::import::revert::revert_import;
use crate::import::run::{ReprocessOptions, approve_now, reprocess_now};
use anyhow::Context as _;
use std::process::ExitCode;
use uuid::Uuid;

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
        /// Only imports with this status (succeeded, partial, failed, duplicate, reverted).
        #[arg(long)]
        status: Option<String>,
        /// Only imports that touched this store number.
        #[arg(long)]
        store: Option<i32>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One import: its row, counts, and its issues with cell references.
    Show {
        /// The import id.
        id: Uuid,
    },
    /// Undo an import: delete the shifts it inserted, restore the ones it replaced.
    Revert {
        /// The import id.
        id: Uuid,
        /// Revert even when later imports changed the same stores and dates.
        #[arg(long)]
        force: bool,
    },
    /// Import a file again from its stored copy with the current templates, replacing what
    /// the previous import wrote.
    Reprocess {
        /// The import id.
        id: Uuid,
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
        /// The held import's id.
        id: Uuid,
    },
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = crate::db::connect(&ctx.config).await?;
    crate::db::migrations::prepare(&db).await?;
    let result = run_on(opts, ctx, db.pool()).await;
    db.close().await?;
    result
}

async fn run_on(opts: Opts, ctx: &Context, pool: &sqlx::PgPool) -> anyhow::Result<ExitCode> {
    let json = opts.format == Format::Json;
    match opts.command {
        ImportsCommand::List {
            status,
            store,
            limit,
        } => {
            let rows = query::list_imports(
                pool,
                &ListFilter {
                    status,
                    store_number: store,
                    limit,
                },
            )
            .await
            .context("listing imports")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", list_table(&rows));
            }
            Ok(ExitCode::SUCCESS)
        }
        ImportsCommand::Show { id } => {
            let Some(detail) = query::show_import(pool, id)
                .await
                .context("reading import")?
            else {
                anyhow::bail!("there is no import {id}");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&detail)?);
            } else {
                print!("{}", show_text(&detail));
            }
            Ok(ExitCode::SUCCESS)
        }
        ImportsCommand::Revert { id, force } => {
            let mut tx = pool.begin().await?;
            let out = revert_import(&mut tx, id, &super::import::operator(), force).await?;
            tx.commit().await.context("committing the revert")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
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
            }
            Ok(ExitCode::SUCCESS)
        }
        ImportsCommand::Reprocess {
            id,
            template,
            force,
        } => {
            let out = reprocess_now(
                pool,
                id,
                ReprocessOptions {
                    template,
                    force,
                    created_by: super::import::operator(),
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
        ImportsCommand::Approve { id } => approve(ctx, pool, id, json).await,
    }
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
            created_by: super::import::operator(),
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
fn show_text(d: &ImportDetail) -> String {
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
    if !d.actions.is_empty() {
        out.push_str("\nhistory:\n");
        for a in &d.actions {
            out.push_str(&format!("  {:<10} {}\n", a.action, a.count));
        }
    }
    if !d.issues.is_empty() {
        out.push_str("\nissues:\n");
        let mut rows = vec![vec![
            "ACTION".to_string(),
            "CELL".into(),
            "CODE".into(),
            "MESSAGE".into(),
        ]];
        for i in &d.issues {
            rows.push(vec![
                i.action.clone(),
                opt(&i.cell_ref),
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let t = table(&[
            vec!["A".into(), "BB".into(), "C".into()],
            vec!["long".into(), "x".into(), "".into()],
        ]);
        assert_eq!(t, "A     BB  C\nlong  x\n");
    }
}
