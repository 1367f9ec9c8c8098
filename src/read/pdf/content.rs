//! Content streams: the text and path operators of a page, interpreted into positioned glyphs
//! and ruling lines.
//!
//! Text state (`Tc Tw Tz TL Tf Ts`), positioning (`Td TD Tm T*`), showing (`Tj TJ ' "`), the
//! graphics state (`q Q cm`) and Form XObjects (recursively, bounded in depth and guarded
//! against cycles) are followed the way pdfminer.six follows them, so a glyph's box here is
//! the box pdfplumber reports: top-left origin, `top` measured down from the top of the page,
//! rotated pages (`/Rotate`) turned upright. Every page is bounded in operations so a hostile
//! stream cannot hang the reader.

use super::fonts::{Font, number};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;
use std::rc::Rc;

/// An affine matrix `[a b c d e f]`.
pub type Matrix = [f64; 6];

/// A straight path segment in device space, from one point to another.
type Segment = ((f64, f64), (f64, f64));

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m1 × m0` (pdfminer's `mult_matrix(m1, m0)`).
fn mult(m1: &Matrix, m0: &Matrix) -> Matrix {
    let [a1, b1, c1, d1, e1, f1] = *m1;
    let [a0, b0, c0, d0, e0, f0] = *m0;
    [
        a0 * a1 + c0 * b1,
        b0 * a1 + d0 * b1,
        a0 * c1 + c0 * d1,
        b0 * c1 + d0 * d1,
        a0 * e1 + c0 * f1 + e0,
        b0 * e1 + d0 * f1 + f0,
    ]
}

fn translate(m: &Matrix, x: f64, y: f64) -> Matrix {
    let [a, b, c, d, e, f] = *m;
    [a, b, c, d, x * a + y * c + e, x * b + y * d + f]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    let [a, b, c, d, e, f] = *m;
    (a * x + c * y + e, b * x + d * y + f)
}

/// One shown glyph in page coordinates (points, origin top-left).
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub text: String,
    pub x0: f64,
    pub x1: f64,
    pub top: f64,
    pub bottom: f64,
    /// Font size as drawn (the height of the glyph box).
    pub size: f64,
    /// Whether the glyph is upright (not rotated or mirrored).
    pub upright: bool,
}

/// A horizontal or vertical ruling line in page coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub x0: f64,
    pub top: f64,
    pub x1: f64,
    pub bottom: f64,
}

impl Rule {
    /// Whether the line runs up and down the page.
    pub fn is_vertical(&self) -> bool {
        (self.x1 - self.x0).abs() < 1.0 && (self.bottom - self.top) > 1.0
    }
}

/// What one page holds.
#[derive(Debug, Clone, Default)]
pub struct PageContent {
    /// One-based page number.
    pub number: u32,
    pub width: f64,
    pub height: f64,
    pub glyphs: Vec<Glyph>,
    pub rules: Vec<Rule>,
    /// Images drawn on the page (a scan has images and no glyphs).
    pub images: usize,
    /// Whether the operation bound cut the page short.
    pub truncated: bool,
}

/// Bounds on the work one page may cause.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Operators interpreted per page, nested forms included.
    pub max_operations: usize,
    /// Form XObject nesting depth.
    pub max_form_depth: usize,
    /// Decompressed bytes of one content stream.
    pub max_stream_bytes: usize,
    /// Glyphs kept per page.
    pub max_glyphs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 5_000_000,
            max_form_depth: 12,
            max_stream_bytes: 64 * 1024 * 1024,
            max_glyphs: 1_000_000,
        }
    }
}

/// Fonts already built, by object id, shared by all pages of a document.
#[derive(Default)]
pub struct FontCache {
    by_id: HashMap<ObjectId, Rc<Font>>,
}

#[derive(Clone)]
struct TextState {
    matrix: Matrix,
    line: (f64, f64),
    font: Option<Rc<Font>>,
    size: f64,
    charspace: f64,
    wordspace: f64,
    scaling: f64,
    leading: f64,
    rise: f64,
}

impl Default for TextState {
    fn default() -> Self {
        TextState {
            matrix: IDENTITY,
            line: (0.0, 0.0),
            font: None,
            size: 0.0,
            charspace: 0.0,
            wordspace: 0.0,
            scaling: 100.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// Where page device space lands in pdfplumber's coordinates.
#[derive(Clone, Copy)]
struct PageFrame {
    height: f64,
    top_offset: f64,
    left_offset: f64,
}

impl PageFrame {
    fn point(&self, x: f64, y: f64) -> (f64, f64) {
        (x + self.left_offset, self.height - y + self.top_offset)
    }
}

struct Interpreter<'a> {
    doc: &'a Document,
    fonts: &'a mut FontCache,
    limits: Limits,
    frame: PageFrame,
    out: PageContent,
    operations: usize,
    forms: Vec<ObjectId>,
    /// Decoded Form XObject content, by id, for forms drawn more than once.
    form_data: HashMap<ObjectId, Rc<Vec<u8>>>,
    fallback_font: Rc<Font>,
}

/// The resource dictionaries in force, nearest first.
#[derive(Clone)]
struct Resources<'a> {
    dicts: Vec<&'a Dictionary>,
}

impl<'a> Resources<'a> {
    fn lookup(&self, doc: &'a Document, category: &[u8], name: &[u8]) -> Option<&'a Object> {
        for dict in &self.dicts {
            let Some(cat) = dict.get(category).ok().map(|o| deref(doc, o)) else {
                continue;
            };
            let Object::Dictionary(cat) = cat else {
                continue;
            };
            if let Ok(obj) = cat.get(name) {
                return Some(obj);
            }
        }
        None
    }
}

fn deref<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    doc.dereference(obj).map(|(_, o)| o).unwrap_or(obj)
}

fn as_dict<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Dictionary> {
    match deref(doc, obj) {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// A page attribute, inherited through the page tree.
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..64 {
        if let Ok(v) = node.get(key) {
            return Some(deref(doc, v));
        }
        node = as_dict(doc, node.get(b"Parent").ok()?)?;
    }
    None
}

fn rect(doc: &Document, obj: Option<&Object>) -> Option<[f64; 4]> {
    let Object::Array(a) = obj? else {
        return None;
    };
    let v: Vec<f64> = a.iter().filter_map(|o| number(deref(doc, o))).collect();
    (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
}

/// Interpret one page.
pub fn read_page(
    doc: &Document,
    page_number: u32,
    page_id: ObjectId,
    fonts: &mut FontCache,
    limits: Limits,
) -> PageContent {
    let mut out = PageContent {
        number: page_number,
        ..Default::default()
    };
    let Ok(page) = doc.get_dictionary(page_id) else {
        return out;
    };
    let mediabox = rect(doc, inherited(doc, page, b"MediaBox")).unwrap_or([0.0, 0.0, 612.0, 792.0]);
    let rotate = inherited(doc, page, b"Rotate")
        .and_then(number)
        .map(|r| (r as i64).rem_euclid(360))
        .unwrap_or(0);
    let [x0, y0, x1, y1] = mediabox;
    // pdfminer.six's initial CTM for the page rotation.
    let ctm = match rotate {
        90 => [0.0, -1.0, 1.0, 0.0, -y0, x1],
        180 => [-1.0, 0.0, 0.0, -1.0, x1, y1],
        270 => [0.0, 1.0, -1.0, 0.0, y1, -x0],
        _ => [1.0, 0.0, 0.0, 1.0, -x0, -y0],
    };
    // pdfplumber's normalised box: sorted corners, swapped for quarter turns.
    let (nx0, nx1) = (x0.min(x1), x0.max(x1));
    let (ny0, ny1) = (y0.min(y1), y0.max(y1));
    let (bx0, by0, bx1, by1) = if rotate == 90 || rotate == 270 {
        (ny0, nx0, ny1, nx1)
    } else {
        (nx0, ny0, nx1, ny1)
    };
    let height = by1 - by0;
    out.width = bx1 - bx0;
    out.height = height;
    let frame = PageFrame {
        height,
        top_offset: height - by1,
        left_offset: bx0,
    };
    let data = match doc.get_page_content_with_limit(page_id, limits.max_stream_bytes) {
        Ok(d) => d,
        Err(_) => {
            out.truncated = true;
            return out;
        }
    };
    let resources = match doc.get_page_resources(page_id) {
        Ok((direct, ids)) => {
            let mut dicts: Vec<&Dictionary> = direct.into_iter().collect();
            dicts.extend(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()));
            Resources { dicts }
        }
        Err(_) => Resources { dicts: Vec::new() },
    };
    let mut interp = Interpreter {
        doc,
        fonts,
        limits,
        frame,
        out,
        operations: 0,
        forms: Vec::new(),
        form_data: HashMap::new(),
        fallback_font: Rc::new(Font::fallback()),
    };
    interp.run(&data, &resources, ctm);
    interp.out
}

impl<'a> Interpreter<'a> {
    fn font(&mut self, resources: &Resources<'a>, name: &[u8]) -> Rc<Font> {
        let doc = self.doc;
        let Some(obj) = resources.lookup(doc, b"Font", name) else {
            return self.fallback_font.clone();
        };
        if let Object::Reference(id) = obj {
            if let Some(f) = self.fonts.by_id.get(id) {
                return f.clone();
            }
            let font = match as_dict(doc, obj) {
                Some(d) => Rc::new(Font::load(doc, d)),
                None => self.fallback_font.clone(),
            };
            self.fonts.by_id.insert(*id, font.clone());
            return font;
        }
        match as_dict(doc, obj) {
            Some(d) => Rc::new(Font::load(doc, d)),
            None => self.fallback_font.clone(),
        }
    }

    fn budget_left(&self) -> bool {
        self.operations < self.limits.max_operations
    }

    fn run(&mut self, data: &[u8], resources: &Resources<'a>, ctm: Matrix) {
        let mut ctm = ctm;
        let mut text = TextState::default();
        let mut stack: Vec<(Matrix, TextState)> = Vec::new();
        let mut path: Vec<Segment> = Vec::new();
        let mut start = (0.0, 0.0);
        let mut current = (0.0, 0.0);
        for op in Content::decode_iter(data) {
            let Ok(op) = op else { break };
            self.operations += 1;
            if !self.budget_left() {
                self.out.truncated = true;
                break;
            }
            let nums: Vec<f64> = op.operands.iter().filter_map(number).collect();
            let n = |i: usize| nums.get(i).copied().unwrap_or(0.0);
            match op.operator.as_str() {
                "q" if stack.len() < 1024 => stack.push((ctm, text.clone())),
                "Q" => {
                    if let Some((c, t)) = stack.pop() {
                        ctm = c;
                        text = t;
                    }
                }
                "cm" if nums.len() == 6 => {
                    ctm = mult(&[n(0), n(1), n(2), n(3), n(4), n(5)], &ctm);
                }
                "BT" => {
                    text.matrix = IDENTITY;
                    text.line = (0.0, 0.0);
                }
                "Tc" => text.charspace = n(0),
                "Tw" => text.wordspace = n(0),
                "Tz" => text.scaling = n(0),
                "TL" => text.leading = -n(0),
                "Ts" => text.rise = n(0),
                "Tf" => {
                    let name = match op.operands.first() {
                        Some(Object::Name(name)) => name.as_slice(),
                        _ => b"",
                    };
                    text.font = Some(self.font(resources, name));
                    text.size = op.operands.get(1).and_then(number).unwrap_or(0.0);
                }
                "Td" | "TD" => {
                    let (tx, ty) = (n(0), n(1));
                    let [a, b, c, d, e, f] = text.matrix;
                    text.matrix = [a, b, c, d, tx * a + ty * c + e, tx * b + ty * d + f];
                    text.line = (0.0, 0.0);
                    if op.operator == "TD" {
                        text.leading = ty;
                    }
                }
                "Tm" if nums.len() == 6 => {
                    text.matrix = [n(0), n(1), n(2), n(3), n(4), n(5)];
                    text.line = (0.0, 0.0);
                }
                "T*" => next_line(&mut text),
                "Tj" => {
                    if let Some(s) = op.operands.first() {
                        self.show(&mut text, &ctm, std::slice::from_ref(s));
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = op.operands.first() {
                        self.show(&mut text, &ctm, items);
                    }
                }
                "'" => {
                    next_line(&mut text);
                    if let Some(s) = op.operands.first() {
                        self.show(&mut text, &ctm, std::slice::from_ref(s));
                    }
                }
                "\"" => {
                    text.wordspace = n(0);
                    text.charspace = n(1);
                    next_line(&mut text);
                    if let Some(s) = op.operands.get(2) {
                        self.show(&mut text, &ctm, std::slice::from_ref(s));
                    }
                }
                "Do" => {
                    if let Some(Object::Name(name)) = op.operands.first() {
                        self.xobject(resources, name, &ctm);
                    }
                }
                "BI" | "ID" | "EI" => self.out.images += usize::from(op.operator == "BI"),
                "m" => {
                    current = apply(&ctm, n(0), n(1));
                    start = current;
                }
                "l" => {
                    let p = apply(&ctm, n(0), n(1));
                    path.push((current, p));
                    current = p;
                }
                "h" => {
                    path.push((current, start));
                    current = start;
                }
                "re" => {
                    let (x, y, w, h) = (n(0), n(1), n(2), n(3));
                    let corners = [
                        apply(&ctm, x, y),
                        apply(&ctm, x + w, y),
                        apply(&ctm, x + w, y + h),
                        apply(&ctm, x, y + h),
                    ];
                    for i in 0..4 {
                        path.push((corners[i], corners[(i + 1) % 4]));
                    }
                    current = corners[0];
                    start = corners[0];
                }
                "S" | "s" | "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                    self.paint(&path);
                    path.clear();
                }
                "n" => path.clear(),
                _ => {}
            }
            if path.len() > 100_000 {
                path.clear();
            }
        }
    }

    fn paint(&mut self, path: &[Segment]) {
        for &((ax, ay), (bx, by)) in path {
            if self.out.rules.len() >= 100_000 {
                return;
            }
            let horizontal = (ay - by).abs() < 0.5 && (ax - bx).abs() > 1.0;
            let vertical = (ax - bx).abs() < 0.5 && (ay - by).abs() > 1.0;
            if !(horizontal || vertical) {
                continue;
            }
            let (x0, t0) = self.frame.point(ax, ay);
            let (x1, t1) = self.frame.point(bx, by);
            self.out.rules.push(Rule {
                x0: x0.min(x1),
                top: t0.min(t1),
                x1: x0.max(x1),
                bottom: t0.max(t1),
            });
        }
    }

    fn xobject(&mut self, resources: &Resources<'a>, name: &[u8], ctm: &Matrix) {
        let doc = self.doc;
        let Some(obj) = resources.lookup(doc, b"XObject", name) else {
            return;
        };
        let id = match obj {
            Object::Reference(id) => Some(*id),
            _ => None,
        };
        let Object::Stream(stream) = deref(doc, obj) else {
            return;
        };
        let subtype = match stream.dict.get(b"Subtype").map(|o| deref(doc, o)) {
            Ok(Object::Name(n)) => n.as_slice(),
            _ => b"",
        };
        match subtype {
            b"Image" => self.out.images += 1,
            b"Form" => {
                if self.forms.len() >= self.limits.max_form_depth
                    || id.is_some_and(|id| self.forms.contains(&id))
                {
                    return;
                }
                let matrix = match stream.dict.get(b"Matrix").map(|o| deref(doc, o)) {
                    Ok(Object::Array(a)) => {
                        let v: Vec<f64> = a.iter().filter_map(|o| number(deref(doc, o))).collect();
                        if v.len() == 6 {
                            [v[0], v[1], v[2], v[3], v[4], v[5]]
                        } else {
                            IDENTITY
                        }
                    }
                    _ => IDENTITY,
                };
                let inner = match stream
                    .dict
                    .get(b"Resources")
                    .ok()
                    .and_then(|o| as_dict(doc, o))
                {
                    Some(d) => Resources { dicts: vec![d] },
                    None => resources.clone(),
                };
                let data = match id.and_then(|id| self.form_data.get(&id)) {
                    Some(data) => data.clone(),
                    None => {
                        let data = match stream
                            .decompressed_content_with_limit(self.limits.max_stream_bytes)
                        {
                            Ok(d) => d,
                            // An unfiltered stream reads as it is; a broken one shows nothing.
                            Err(_) if stream.dict.get(b"Filter").is_err() => stream.content.clone(),
                            Err(_) => Vec::new(),
                        };
                        let data = Rc::new(data);
                        if let Some(id) = id {
                            self.form_data.insert(id, data.clone());
                        }
                        data
                    }
                };
                // Charge the form's size against the page's budget, so a large form drawn
                // many times cannot multiply the work without bound.
                self.operations += data.len() / 64;
                self.enter_form(id, &data, &inner, mult(&matrix, ctm));
            }
            _ => {}
        }
    }

    fn enter_form(
        &mut self,
        id: Option<ObjectId>,
        data: &[u8],
        resources: &Resources<'a>,
        ctm: Matrix,
    ) {
        self.forms.push(id.unwrap_or((0, 0)));
        self.run(data, resources, ctm);
        self.forms.pop();
    }

    fn show(&mut self, text: &mut TextState, ctm: &Matrix, seq: &[Object]) {
        let Some(font) = text.font.clone() else {
            return;
        };
        let matrix = mult(&text.matrix, ctm);
        let size = text.size;
        let scaling = text.scaling * 0.01;
        let charspace = text.charspace * scaling;
        let wordspace = if font.is_multibyte() {
            0.0
        } else {
            text.wordspace * scaling
        };
        let rise = text.rise;
        let dxscale = 0.001 * size * scaling;
        let (mut x, y) = text.line;
        let mut need_charspace = false;
        let descent = font.descent() * size;
        for obj in seq {
            match obj {
                Object::Integer(_) | Object::Real(_) => {
                    x -= number(obj).unwrap_or(0.0) * dxscale;
                    need_charspace = true;
                }
                Object::String(bytes, _) => {
                    for code in font.codes(bytes) {
                        if need_charspace {
                            x += charspace;
                        }
                        let m = translate(&matrix, x, y);
                        let adv = font.width(code) * size * scaling;
                        self.push_glyph(&font, code, &m, adv, descent + rise, size, scaling);
                        x += adv;
                        if code == 32 && wordspace != 0.0 {
                            x += wordspace;
                        }
                        need_charspace = true;
                    }
                }
                _ => {}
            }
        }
        text.line = (x, y);
    }

    #[allow(clippy::too_many_arguments)]
    fn push_glyph(
        &mut self,
        font: &Font,
        code: u32,
        m: &Matrix,
        adv: f64,
        base: f64,
        size: f64,
        scaling: f64,
    ) {
        if self.out.glyphs.len() >= self.limits.max_glyphs {
            self.out.truncated = true;
            return;
        }
        let text = match font.text(code) {
            Some(t) => t.into_owned(),
            None => format!("(cid:{code})"),
        };
        let corners = [
            apply(m, 0.0, base),
            apply(m, adv, base),
            apply(m, adv, base + size),
            apply(m, 0.0, base + size),
        ];
        let xs = corners.iter().map(|c| c.0);
        let ys = corners.iter().map(|c| c.1);
        let x0 = xs.clone().fold(f64::INFINITY, f64::min);
        let x1 = xs.fold(f64::NEG_INFINITY, f64::max);
        let y0 = ys.clone().fold(f64::INFINITY, f64::min);
        let y1 = ys.fold(f64::NEG_INFINITY, f64::max);
        let [a, b, c, d, _, _] = *m;
        let upright = a * d * scaling > 0.0 && b * c <= 0.0;
        let (px0, top) = self.frame.point(x0, y1);
        let (px1, bottom) = self.frame.point(x1, y0);
        self.out.glyphs.push(Glyph {
            text,
            x0: px0,
            x1: px1,
            top,
            bottom,
            size: y1 - y0,
            upright,
        });
    }
}

fn next_line(text: &mut TextState) {
    let [a, b, c, d, e, f] = text.matrix;
    text.matrix = [a, b, c, d, text.leading * c + e, text.leading * d + f];
    text.line = (0.0, 0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_product_matches_pdfminer_order() {
        let scale = [2.0, 0.0, 0.0, 2.0, 0.0, 0.0];
        let shift = [1.0, 0.0, 0.0, 1.0, 10.0, 20.0];
        // Scale first, then shift: a point at (1, 1) lands at (12, 22).
        let m = mult(&scale, &shift);
        assert_eq!(apply(&m, 1.0, 1.0), (12.0, 22.0));
    }

    #[test]
    fn rules_know_their_direction() {
        let v = Rule {
            x0: 10.0,
            top: 5.0,
            x1: 10.2,
            bottom: 50.0,
        };
        assert!(v.is_vertical());
        let h = Rule {
            x0: 10.0,
            top: 5.0,
            x1: 80.0,
            bottom: 5.0,
        };
        assert!(!h.is_vertical());
    }
}
