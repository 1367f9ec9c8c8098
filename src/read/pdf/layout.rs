//! Glyphs → lines → table cells: the page text laid out as a [`Grid`] sheet.
//!
//! A PDF schedule is a spreadsheet printed on paper, so the reader rebuilds the sheet:
//!
//! 1. Upright glyphs are clustered into lines by their top edge (the same 3 pt tolerance
//!    pdfplumber uses), and each line into *phrases*: runs of words closer than half the font
//!    size (a space), separated by wider gaps (a column break).
//! 2. The table's header is the line with the most phrases (the earliest on a tie). Column
//!    boundaries run between its phrases: at a vertical ruling line when one crosses the gap,
//!    else at the rightmost point of the gap that the fewest body lines cross (the whitespace
//!    channel; for left-aligned cells that is where the next column starts).
//! 3. Below the header each glyph goes to the column its centre falls in, so a cell whose text
//!    touches the next one (LibreOffice clips overflowing text at the cell edge) still splits
//!    correctly. A line that is one phrase (a section title, `Total hours`) stays whole in the
//!    column where it starts. Lines above the header (store title, `Week of`) are kept as rows,
//!    one cell per phrase, so templates find the store and week as they do in a spreadsheet.
//! 4. A page whose header repeats the open table's header continues that table (the repeated
//!    header and repeated title lines are dropped); a page without a header continues it too.
//!    A page with a different header under its own title lines starts a new sheet.

use super::content::{Glyph, PageContent, Rule};
use super::words::{Y_TOLERANCE, words_with_glyphs};
use crate::read::grid::{Cell, Grid, Sheet, SourceFormat};

/// A run of words on one line with only word spaces between them.
#[derive(Debug, Clone)]
struct Phrase {
    x0: f64,
    x1: f64,
    text: String,
}

/// One text line of a page.
#[derive(Debug, Clone)]
struct Line {
    page: u32,
    top: f64,
    bottom: f64,
    glyphs: Vec<Glyph>,
    phrases: Vec<Phrase>,
}

impl Line {
    fn text(&self) -> String {
        self.phrases
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn phrase_texts(&self) -> Vec<String> {
        self.phrases.iter().map(|p| p.text.clone()).collect()
    }
}

/// Join glyphs (sorted by `x0`) into cell text: a space where a gap of more than a tenth of
/// the font size separates two glyphs (blank glyphs are not kept, their gap remains).
fn join_glyphs(glyphs: &[&Glyph]) -> String {
    let mut out = String::new();
    let mut prev_x1: Option<f64> = None;
    for g in glyphs {
        if g.text.trim().is_empty() {
            out.push(' ');
        } else {
            let space = (0.1 * g.size.abs()).max(0.5);
            if prev_x1.is_some_and(|x1| g.x0 - x1 > space) {
                out.push(' ');
            }
            out.push_str(&g.text);
        }
        prev_x1 = Some(g.x1);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The x at which a glyph is placed in a column: just inside its left edge, so a glyph that
/// a clipped cell lets run over the next column's edge stays in its own cell.
fn anchor(g: &Glyph) -> f64 {
    g.x0 + (0.25 * (g.x1 - g.x0)).min(1.0)
}

/// Split a title-area phrase written `Label: value` (e.g. `Week of: 11/24/2025`) into the
/// two cells a spreadsheet would hold.
fn split_label(text: &str) -> Vec<String> {
    if let Some((label, value)) = text.split_once(": ")
        && !label.is_empty()
        && label.split_whitespace().count() <= 3
        && !value.trim().is_empty()
    {
        return vec![format!("{label}:"), value.trim().to_string()];
    }
    vec![text.to_string()]
}

/// Whether a line is a page number footer (`Page 2`, `2 of 5`, `Page 2 / 5`).
fn is_page_number(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_prefix("page").unwrap_or(&t).trim();
    let mut parts = t
        .split(|c: char| c == '/' || c.is_whitespace())
        .filter(|s| !s.is_empty() && *s != "of");
    let first = parts.next();
    let second = parts.next();
    parts.next().is_none()
        && first.is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()))
        && second.is_none_or(|s| s.chars().all(|c| c.is_ascii_digit()))
        && text.to_ascii_lowercase().contains("page")
}

/// The glyphs to lay out, upright. When most of a page's text runs sideways (a landscape
/// table drawn turned on a portrait page without `/Rotate`), the sideways glyphs are turned
/// a quarter back so the table reads as printed.
fn upright_glyphs(page: &PageContent) -> Vec<Glyph> {
    let (sideways, upright): (Vec<&Glyph>, Vec<&Glyph>) =
        page.glyphs.iter().partition(|g| !g.upright);
    if sideways.len() <= upright.len() {
        return upright.into_iter().cloned().collect();
    }
    // Reading direction: do successive glyphs move down the page (top to bottom)?
    let mut down = 0i64;
    for w in sideways.windows(2) {
        let d = w[1].top - w[0].top;
        if d.abs() < 2.0 * w[0].size.abs().max(1.0) {
            down += if d > 0.0 {
                1
            } else if d < 0.0 {
                -1
            } else {
                0
            };
        }
    }
    sideways
        .into_iter()
        .map(|g| {
            let (x0, x1, top, bottom) = if down >= 0 {
                (g.top, g.bottom, page.width - g.x1, page.width - g.x0)
            } else {
                (page.height - g.bottom, page.height - g.top, g.x0, g.x1)
            };
            Glyph {
                text: g.text.clone(),
                x0,
                x1,
                top,
                bottom,
                size: g.x1 - g.x0,
                upright: true,
            }
        })
        .collect()
}

/// Lines of one page, top to bottom.
fn page_lines(page: &PageContent) -> Vec<Line> {
    let upright = upright_glyphs(page);
    let words = words_with_glyphs(&upright);
    // Cluster words into lines by top.
    let mut tops: Vec<(f64, usize)> = words
        .iter()
        .enumerate()
        .map(|(i, (w, _))| (w.top, i))
        .collect();
    tops.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for (top, i) in tops {
        if groups.is_empty() || top > last + Y_TOLERANCE {
            groups.push(Vec::new());
        }
        if let Some(g) = groups.last_mut() {
            g.push(i);
        }
        last = top;
    }
    let mut lines = Vec::new();
    for group in groups {
        let mut ws: Vec<&(super::words::Word, Vec<&Glyph>)> =
            group.iter().map(|&i| &words[i]).collect();
        ws.sort_by(|a, b| a.0.x0.total_cmp(&b.0.x0));
        let mut glyphs: Vec<Glyph> = Vec::new();
        let mut phrases: Vec<Phrase> = Vec::new();
        for (w, gs) in &ws {
            let height = (w.bottom - w.top).abs().max(1.0);
            let gap_limit = 0.5 * height;
            match phrases.last_mut() {
                Some(p) if w.x0 - p.x1 <= gap_limit => {
                    p.text.push(' ');
                    p.text.push_str(&w.text);
                    p.x1 = p.x1.max(w.x1);
                }
                _ => phrases.push(Phrase {
                    x0: w.x0,
                    x1: w.x1,
                    text: w.text.clone(),
                }),
            }
            for g in gs {
                // Drop a glyph drawn twice at the same place (fake bold).
                let dup = glyphs.iter().rev().take(4).any(|h| {
                    h.text == g.text && (h.x0 - g.x0).abs() < 1.0 && (h.top - g.top).abs() < 1.0
                });
                if !dup {
                    glyphs.push((*g).clone());
                }
            }
        }
        glyphs.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        let top = ws.iter().map(|(w, _)| w.top).fold(f64::INFINITY, f64::min);
        let bottom = ws
            .iter()
            .map(|(w, _)| w.bottom)
            .fold(f64::NEG_INFINITY, f64::max);
        let line = Line {
            page: page.number,
            top,
            bottom,
            glyphs,
            phrases,
        };
        if !is_page_number(&line.text()) {
            lines.push(line);
        }
    }
    lines
}

/// Index of the header line: the most phrases, the earliest on a tie; `None` under two.
fn header_index(lines: &[Line]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, l) in lines.iter().enumerate() {
        let n = l.phrases.len();
        if n >= 2 && best.is_none_or(|(_, bn)| n > bn) {
            best = Some((i, n));
        }
    }
    best.map(|(i, _)| i)
}

/// Column boundaries between the header's phrases.
fn column_cuts(header: &Line, body: &[Line], rules: &[Rule]) -> Vec<f64> {
    let spans: Vec<Vec<(f64, f64)>> = body
        .iter()
        .filter(|l| l.phrases.len() > 1)
        .map(|l| {
            // Runs of text: glyphs closer than 0.6 of the font size (a word space) are one run,
            // so the gap inside `8:00 AM, 1:00 PM` is not mistaken for a column channel.
            let mut runs: Vec<(f64, f64)> = Vec::new();
            for g in l.glyphs.iter().filter(|g| !g.text.trim().is_empty()) {
                match runs.last_mut() {
                    Some(run) if g.x0 - run.1 <= 0.6 * g.size.abs() => run.1 = run.1.max(g.x1),
                    _ => runs.push((g.x0, g.x1)),
                }
            }
            runs
        })
        .collect();
    let mut cuts = Vec::new();
    for pair in header.phrases.windows(2) {
        let (lo, hi) = (pair[0].x1, pair[1].x0);
        if hi <= lo {
            cuts.push(hi);
            continue;
        }
        let mid = (lo + hi) / 2.0;
        let rule = rules
            .iter()
            .filter(|r| {
                r.is_vertical()
                    && r.x0 >= lo - 1.0
                    && r.x0 <= hi + 1.0
                    && r.top <= header.top + 2.0
                    && r.bottom >= header.bottom - 2.0
            })
            .map(|r| r.x0)
            .min_by(|a, b| (a - mid).abs().total_cmp(&(b - mid).abs()));
        if let Some(x) = rule {
            cuts.push(x);
            continue;
        }
        let mut best = (usize::MAX, hi);
        let steps = (((hi - lo) / 0.5).ceil() as usize).min(2000);
        for s in (0..=steps).rev() {
            let p = (lo + s as f64 * 0.5).min(hi);
            let cover = spans
                .iter()
                .filter(|line| line.iter().any(|&(x0, x1)| x0 + 0.1 < p && p < x1 - 0.1))
                .count();
            if cover < best.0 {
                best = (cover, p);
            }
        }
        cuts.push(best.1);
    }
    cuts
}

fn column_of(cuts: &[f64], x: f64) -> usize {
    cuts.partition_point(|&c| c <= x)
}

/// Cells of a line inside the table: glyphs by column, or the whole phrase where it starts.
fn table_cells(line: &Line, cuts: &[f64]) -> Vec<Cell> {
    let mut columns: Vec<Vec<&Glyph>> = vec![Vec::new(); cuts.len() + 1];
    if line.phrases.len() == 1 {
        let col = column_of(cuts, line.phrases[0].x0 + 0.5);
        columns[col] = line.glyphs.iter().collect();
    } else {
        for g in &line.glyphs {
            let col = column_of(cuts, anchor(g));
            columns[col].push(g);
        }
    }
    to_cells(columns.iter().map(|c| join_glyphs(c)).collect())
}

/// Cells of a line outside the table body: one per phrase, at the column where it starts.
fn phrase_cells(line: &Line, cuts: &[f64]) -> Vec<Cell> {
    let mut texts: Vec<String> = Vec::new();
    for p in &line.phrases {
        let mut col = column_of(cuts, p.x0 + 0.5);
        if col < texts.len() {
            col = texts.len();
        }
        texts.resize(col, String::new());
        texts.extend(split_label(&p.text));
    }
    to_cells(texts)
}

/// The body lines of one page as table rows. Where horizontal ruling lines cross the table (a
/// printed grid), the lines between two rules are one row, so a cell printed on two lines (a
/// name over its role, a split shift) is one cell with a line break; otherwise each line is a
/// row.
fn body_rows(lines: &[Line], cuts: &[f64], rules: &[Rule]) -> Vec<(u32, Vec<Cell>)> {
    let Some(bands) = row_bands(lines, rules) else {
        return lines
            .iter()
            .map(|l| (l.page, table_cells(l, cuts)))
            .collect();
    };
    let mut out: Vec<(u32, Vec<Cell>)> = Vec::new();
    let mut last_band = None;
    for (l, band) in lines.iter().zip(bands) {
        let cells = table_cells(l, cuts);
        match out.last_mut() {
            Some((_, row)) if last_band == Some(band) => {
                if row.len() < cells.len() {
                    row.resize(cells.len(), Cell::Empty);
                }
                for (have, add) in row.iter_mut().zip(cells) {
                    *have = match (std::mem::take(have), add) {
                        (Cell::Text(a), Cell::Text(b)) => Cell::Text(format!("{a}\n{b}")),
                        (Cell::Empty, b) => b,
                        (a, _) => a,
                    };
                }
            }
            _ => out.push((l.page, cells)),
        }
        last_band = Some(band);
    }
    out
}

/// The row band of each line between the horizontal rules that cross the table, when the
/// rules divide the lines into rows (at least two bands, and one for every four lines at
/// most); `None` otherwise.
fn row_bands(lines: &[Line], rules: &[Rule]) -> Option<Vec<usize>> {
    if lines.len() < 2 {
        return None;
    }
    let left = lines
        .iter()
        .flat_map(|l| l.glyphs.first())
        .map(|g| g.x0)
        .fold(f64::INFINITY, f64::min);
    let right = lines
        .iter()
        .flat_map(|l| l.glyphs.last())
        .map(|g| g.x1)
        .fold(f64::NEG_INFINITY, f64::max);
    let width = right - left;
    if !width.is_finite() || width <= 0.0 {
        return None;
    }
    let (top, bottom) = (lines[0].top, lines[lines.len() - 1].bottom);
    let mut ys: Vec<f64> = rules
        .iter()
        .filter(|r| (r.bottom - r.top).abs() < 1.0 && r.x1 - r.x0 >= 0.5 * width)
        .filter(|r| r.top > top - 2.0 && r.top < bottom + 2.0)
        .map(|r| r.top)
        .collect();
    ys.sort_by(f64::total_cmp);
    ys.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    let bands: Vec<usize> = lines
        .iter()
        .map(|l| ys.partition_point(|&y| y < (l.top + l.bottom) / 2.0))
        .collect();
    let mut distinct = bands.clone();
    distinct.dedup();
    (distinct.len() >= 2 && distinct.len() * 4 >= lines.len()).then_some(bands)
}

fn to_cells(texts: Vec<String>) -> Vec<Cell> {
    texts
        .into_iter()
        .map(|t| {
            if t.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(t)
            }
        })
        .collect()
}

/// A table being assembled across pages.
struct OpenTable {
    sheet: Sheet,
    next_row: u32,
    header: Vec<String>,
    preamble: Vec<String>,
    cuts: Vec<f64>,
}

impl OpenTable {
    fn push(&mut self, page: u32, cells: Vec<Cell>) {
        self.sheet.push_page_row(self.next_row, page, cells);
        self.next_row += 1;
    }
}

/// Lay out the pages' text as a grid: one sheet per table.
pub fn grid(pages: &[PageContent]) -> Grid {
    let mut grid = Grid::new(SourceFormat::Pdf);
    let mut open: Option<OpenTable> = None;
    for page in pages {
        let lines = page_lines(page);
        if lines.is_empty() {
            continue;
        }
        let header = header_index(&lines);
        let starts_new = match (&open, header) {
            (None, _) => true,
            (Some(t), Some(h)) => {
                lines[h].phrase_texts() != t.header
                    && h >= 2
                    && lines[..h].iter().all(|l| l.phrases.len() <= 2)
            }
            (Some(_), None) => false,
        };
        if starts_new {
            if let Some(t) = open.take() {
                grid.sheets.push(t.sheet);
            }
            let mut table = OpenTable {
                sheet: Sheet::new(format!("Page {}", page.number)),
                next_row: 0,
                header: Vec::new(),
                preamble: Vec::new(),
                cuts: Vec::new(),
            };
            match header {
                Some(h) => {
                    table.cuts = column_cuts(&lines[h], &lines[h + 1..], &page.rules);
                    table.header = lines[h].phrase_texts();
                    for l in &lines[..h] {
                        table.preamble.push(l.text());
                        let cells = phrase_cells(l, &table.cuts);
                        table.push(l.page, cells);
                    }
                    let cells = table_cells(&lines[h], &table.cuts);
                    table.push(lines[h].page, cells);
                    for (page, cells) in body_rows(&lines[h + 1..], &table.cuts, &page.rules) {
                        table.push(page, cells);
                    }
                }
                None => {
                    for l in &lines {
                        let cells = phrase_cells(l, &table.cuts);
                        table.push(l.page, cells);
                    }
                }
            }
            open = Some(table);
            continue;
        }
        let Some(table) = open.as_mut() else { continue };
        let repeated = header.filter(|&h| lines[h].phrase_texts() == table.header);
        let body_start = match repeated {
            Some(h) => {
                for l in &lines[..h] {
                    if !table.preamble.contains(&l.text()) {
                        let cells = phrase_cells(l, &table.cuts);
                        table.push(l.page, cells);
                    }
                }
                h + 1
            }
            None => 0,
        };
        if table.header.is_empty() {
            for l in &lines[body_start..] {
                let cells = phrase_cells(l, &table.cuts);
                table.push(l.page, cells);
            }
        } else {
            for (page, cells) in body_rows(&lines[body_start..], &table.cuts, &page.rules) {
                table.push(page, cells);
            }
        }
    }
    if let Some(t) = open {
        grid.sheets.push(t.sheet);
    }
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs for `text` starting at `x`, 5 pt per character, 10 pt high.
    fn run(text: &str, x: f64, top: f64) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                text: c.to_string(),
                x0: x + 5.0 * i as f64,
                x1: x + 5.0 * (i + 1) as f64,
                top,
                bottom: top + 10.0,
                size: 10.0,
                upright: true,
            })
            .collect()
    }

    fn page(number: u32, runs: &[(&str, f64, f64)]) -> PageContent {
        PageContent {
            number,
            width: 612.0,
            height: 792.0,
            glyphs: runs.iter().flat_map(|(t, x, y)| run(t, *x, *y)).collect(),
            ..Default::default()
        }
    }

    fn texts(sheet: &Sheet) -> Vec<Vec<String>> {
        sheet
            .rows()
            .iter()
            .map(|r| r.cells.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn header_columns_split_touching_cells_and_keep_the_title() {
        let p = page(
            1,
            &[
                ("Store 12 schedule", 10.0, 10.0),
                ("Employee", 10.0, 30.0),
                ("Mon", 100.0, 30.0),
                ("Tue", 160.0, 30.0),
                ("Ann Lee", 10.0, 45.0),
                // Runs right up to the next column: one word for pdfplumber, two cells here.
                ("9a-5p,1p-3", 100.0, 45.0),
                ("OFF", 160.0, 45.0),
                ("SECTION TWO", 10.0, 60.0),
            ],
        );
        let g = grid(&[p]);
        assert_eq!(g.sheets.len(), 1);
        assert_eq!(
            texts(&g.sheets[0]),
            vec![
                vec!["Store 12 schedule"],
                vec!["Employee", "Mon", "Tue"],
                vec!["Ann Lee", "9a-5p,1p-3", "OFF"],
                vec!["SECTION TWO"],
            ]
        );
        assert_eq!(&*g.sheets[0].name, "Page 1");
    }

    #[test]
    fn a_clipped_cell_with_spaces_stays_in_its_column() {
        // LibreOffice cuts an overflowing cell at the next column's edge, mid-glyph: the last
        // glyph straddles the boundary and a word space sits inside the cell.
        let p = page(
            1,
            &[
                ("Employee", 10.0, 30.0),
                ("Sat", 100.0, 30.0),
                ("Sun", 203.0, 30.0),
                ("Ann", 10.0, 45.0),
                ("8:00 AM-12:00 PM, 1:0", 100.0, 45.0),
                ("PTO", 206.0, 45.0),
                ("Bob", 10.0, 60.0),
                ("OFF", 100.0, 60.0),
                ("9a-1p", 203.0, 60.0),
            ],
        );
        let g = grid(&[p]);
        assert_eq!(
            texts(&g.sheets[0])[1],
            ["Ann", "8:00 AM-12:00 PM, 1:0", "PTO"]
        );
        assert_eq!(texts(&g.sheets[0])[2], ["Bob", "OFF", "9a-1p"]);
    }

    #[test]
    fn repeated_header_continues_the_table() {
        let p1 = page(
            1,
            &[
                ("Title", 10.0, 10.0),
                ("Name", 10.0, 30.0),
                ("Day", 100.0, 30.0),
                ("Ann", 10.0, 45.0),
                ("OFF", 100.0, 45.0),
                ("Page 1 of 2", 10.0, 700.0),
            ],
        );
        let p2 = page(
            2,
            &[
                ("Title", 10.0, 10.0),
                ("Name", 10.0, 30.0),
                ("Day", 100.0, 30.0),
                ("Bob", 10.0, 45.0),
                ("9a-1p", 100.0, 45.0),
            ],
        );
        let g = grid(&[p1, p2]);
        assert_eq!(g.sheets.len(), 1);
        let s = &g.sheets[0];
        assert_eq!(
            texts(s),
            vec![
                vec!["Title"],
                vec!["Name", "Day"],
                vec!["Ann", "OFF"],
                vec!["Bob", "9a-1p"],
            ]
        );
        assert_eq!(s.cell_ref(3, 1).to_string(), "page 2, B4");
    }

    #[test]
    fn a_new_title_and_header_start_a_new_sheet() {
        let p1 = page(
            1,
            &[
                ("Store 1", 10.0, 10.0),
                ("Week 1", 10.0, 20.0),
                ("Name", 10.0, 30.0),
                ("Mon", 100.0, 30.0),
            ],
        );
        let p2 = page(
            2,
            &[
                ("Store 2", 10.0, 10.0),
                ("Week 1", 10.0, 20.0),
                ("Name", 10.0, 30.0),
                ("Tue", 100.0, 30.0),
            ],
        );
        let g = grid(&[p1, p2]);
        assert_eq!(g.sheets.len(), 2);
        assert_eq!(&*g.sheets[1].name, "Page 2");
    }

    #[test]
    fn page_numbers_are_footers() {
        assert!(is_page_number("Page 3"));
        assert!(is_page_number("Page 3 of 10"));
        assert!(!is_page_number("3"));
        assert!(!is_page_number("Pager 3"));
    }
}
