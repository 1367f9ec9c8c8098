//! Glyphs → words, by pdfplumber's default rules (`extract_words()`): glyphs are grouped by
//! uprightness in stream order, clustered into lines by `top` (tolerance 3), sorted along the
//! line, and split where a blank glyph occurs, where the next glyph starts before the previous
//! one or more than 3 pt after its end, or where the tops differ by more than 3 pt.

use super::content::Glyph;
use serde::Serialize;

/// pdfplumber's default `x_tolerance`.
pub const X_TOLERANCE: f64 = 3.0;
/// pdfplumber's default `y_tolerance`.
pub const Y_TOLERANCE: f64 = 3.0;

/// One word in page coordinates (points, origin top-left).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Word {
    pub text: String,
    pub x0: f64,
    pub x1: f64,
    pub top: f64,
    pub bottom: f64,
    pub upright: bool,
}

/// Python's `str.isspace()` for a glyph's text (false for the empty string).
fn is_blank(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

fn ligature(text: &str) -> &str {
    match text {
        "ﬀ" => "ff",
        "ﬃ" => "ffi",
        "ﬄ" => "ffl",
        "ﬁ" => "fi",
        "ﬂ" => "fl",
        "ﬆ" | "ﬅ" => "st",
        other => other,
    }
}

/// pdfplumber's `cluster_objects`: sort the distinct keys, chain keys within `tolerance` into
/// clusters, and order the items by cluster (stably).
fn cluster<'a>(
    items: &[&'a Glyph],
    key: impl Fn(&Glyph) -> f64,
    tolerance: f64,
) -> Vec<Vec<&'a Glyph>> {
    let mut keys: Vec<f64> = items.iter().map(|g| key(g)).collect();
    keys.sort_by(f64::total_cmp);
    keys.dedup();
    let mut cluster_of: Vec<(f64, usize)> = Vec::with_capacity(keys.len());
    let mut index = 0;
    let mut last = f64::NAN;
    for k in keys {
        if !cluster_of.is_empty() && k > last + tolerance {
            index += 1;
        }
        cluster_of.push((k, index));
        last = k;
    }
    let lookup = |k: f64| -> usize {
        let i = cluster_of.partition_point(|(v, _)| *v < k);
        cluster_of.get(i).map_or(0, |(_, c)| *c)
    };
    let mut tagged: Vec<(usize, &'a Glyph)> = items.iter().map(|g| (lookup(key(g)), *g)).collect();
    tagged.sort_by_key(|(c, _)| *c);
    let mut out: Vec<Vec<&'a Glyph>> = Vec::new();
    let mut current = usize::MAX;
    for (c, g) in tagged {
        if c != current {
            out.push(Vec::new());
            current = c;
        }
        if let Some(last) = out.last_mut() {
            last.push(g);
        }
    }
    out
}

fn merge(chars: &[&Glyph]) -> Word {
    let mut w = Word {
        text: String::new(),
        x0: f64::INFINITY,
        x1: f64::NEG_INFINITY,
        top: f64::INFINITY,
        bottom: f64::NEG_INFINITY,
        upright: chars.first().is_some_and(|g| g.upright),
    };
    for g in chars {
        w.text.push_str(ligature(&g.text));
        w.x0 = w.x0.min(g.x0);
        w.x1 = w.x1.max(g.x1);
        w.top = w.top.min(g.top);
        w.bottom = w.bottom.max(g.bottom);
    }
    w
}

fn begins_new_word(prev: &Glyph, curr: &Glyph, upright: bool) -> bool {
    let (ax, bx, cx, ay, cy) = if upright {
        (prev.x0, prev.x1, curr.x0, prev.top, curr.top)
    } else {
        (prev.top, prev.bottom, curr.top, prev.x0, curr.x0)
    };
    let (xt, yt) = if upright {
        (X_TOLERANCE, Y_TOLERANCE)
    } else {
        (Y_TOLERANCE, X_TOLERANCE)
    };
    cx < ax || cx > bx + xt || (cy - ay).abs() > yt
}

fn line_words<'a>(line: &[&'a Glyph], upright: bool, out: &mut Vec<(Word, Vec<&'a Glyph>)>) {
    let mut current: Vec<&Glyph> = Vec::new();
    let flush = |current: &mut Vec<&'a Glyph>, out: &mut Vec<(Word, Vec<&'a Glyph>)>| {
        if !current.is_empty() {
            out.push((merge(current), std::mem::take(current)));
        }
    };
    for &g in line {
        if is_blank(&g.text) {
            flush(&mut current, out);
        } else if g.text.is_empty() {
            // `"" in ""` is true in Python: an empty glyph stands alone.
            flush(&mut current, out);
            current.push(g);
            flush(&mut current, out);
        } else if current
            .last()
            .is_some_and(|prev| begins_new_word(prev, g, upright))
        {
            flush(&mut current, out);
            current.push(g);
        } else {
            current.push(g);
        }
    }
    flush(&mut current, out);
}

/// The words of one page's glyphs, each with the glyphs it is made of.
pub fn words_with_glyphs(glyphs: &[Glyph]) -> Vec<(Word, Vec<&Glyph>)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < glyphs.len() {
        let upright = glyphs[start].upright;
        let end = glyphs[start..]
            .iter()
            .position(|g| g.upright != upright)
            .map_or(glyphs.len(), |p| start + p);
        let group: Vec<&Glyph> = glyphs[start..end].iter().collect();
        let lines = if upright {
            cluster(&group, |g| g.top, Y_TOLERANCE)
        } else {
            cluster(&group, |g| g.x0, X_TOLERANCE)
        };
        for mut line in lines {
            if upright {
                line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            } else {
                line.sort_by(|a, b| a.top.total_cmp(&b.top).then(a.bottom.total_cmp(&b.bottom)));
            }
            line_words(&line, upright, &mut out);
        }
        start = end;
    }
    out
}

/// The words of one page's glyphs.
pub fn words(glyphs: &[Glyph]) -> Vec<Word> {
    words_with_glyphs(glyphs)
        .into_iter()
        .map(|(w, _)| w)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str, x0: f64, top: f64) -> Glyph {
        Glyph {
            text: text.into(),
            x0,
            x1: x0 + 5.0,
            top,
            bottom: top + 10.0,
            size: 10.0,
            upright: true,
        }
    }

    #[test]
    fn splits_on_spaces_and_gaps() {
        let glyphs = vec![
            g("O", 0.0, 10.0),
            g("F", 5.0, 10.5),
            g("F", 10.0, 10.0),
            g(" ", 15.0, 10.0),
            g("9", 20.0, 10.0),
            g("a", 30.0, 10.0),
        ];
        let w = words(&glyphs);
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["OFF", "9", "a"]);
        assert_eq!(w[0].x0, 0.0);
        assert_eq!(w[0].top, 10.0);
    }

    #[test]
    fn lines_cluster_by_top_and_sort_by_x() {
        let glyphs = vec![g("b", 5.0, 40.0), g("a", 0.0, 41.0), g("x", 0.0, 10.0)];
        let texts: Vec<String> = words(&glyphs).into_iter().map(|w| w.text).collect();
        assert_eq!(texts, ["x", "ab"]);
    }

    #[test]
    fn ligatures_expand() {
        let glyphs = vec![g("ﬁ", 0.0, 0.0), g("t", 5.0, 0.0)];
        assert_eq!(words(&glyphs)[0].text, "fit");
    }
}
