//! A byte tokenizer for the parts of an xlsx package that hold many cells (worksheets, shared
//! strings): tags, text and comments, over a stream of inflated bytes, with no allocation per
//! token.
//!
//! It splits and does not judge: names, attributes and text come back as [`Span`]s of the
//! bytes held, and the readers built on it ([`super::xlsx_cells`]) decide what they mean. It
//! knows what a reader cannot go on from: a CDATA section or a declaration (`<![CDATA[`,
//! `<!DOCTYPE`), a tag without its end, a token larger than [`MAX_HELD`], a read error. Each
//! is [`Unsure`]: the caller leaves the part to calamine's full XML parser.

use memchr::{memchr, memmem};
use std::io::Read;

/// The scanner cannot tell what the bytes hold as surely as calamine's parser would: the
/// caller reads on with calamine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsure;

/// Bytes inflated per read.
const CHUNK: usize = 64 * 1024;
/// The most bytes held at once: a token (or a cell, whose tokens are held together) larger
/// than this is left to calamine.
pub const MAX_HELD: usize = 16 << 20;

/// Where a token lies in the bytes held; valid until [`Xml::forget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: usize,
    end: usize,
}

/// One token of the XML.
#[derive(Debug, Clone, Copy)]
pub enum Tok {
    /// `<name attrs>`, or `<name attrs/>` when `empty`.
    Open {
        name: Span,
        attrs: Span,
        empty: bool,
    },
    /// `</name>`.
    Close(Span),
    /// The characters between two tags, raw (entities not decoded).
    Text(Span),
    /// A comment or a processing instruction, skipped.
    Aside,
}

/// The tokenizer over a reader of inflated bytes.
pub struct Xml<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Xml<R> {
    pub fn new(src: R) -> Self {
        Xml {
            src,
            buf: Vec::with_capacity(2 * CHUNK),
            pos: 0,
            eof: false,
        }
    }

    /// The bytes of a span.
    pub fn bytes(&self, s: Span) -> &[u8] {
        &self.buf[s.start..s.end]
    }

    /// Whether two spans hold the same bytes (a closing tag's name against its opening's).
    pub fn same(&self, a: Span, b: Span) -> bool {
        self.bytes(a) == self.bytes(b)
    }

    /// Drop the bytes before the current token; every span held before is invalid after.
    pub fn forget(&mut self) {
        if self.pos > CHUNK {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Read more bytes after those held; `false` at the end of the input.
    fn more(&mut self) -> Result<bool, Unsure> {
        if self.eof {
            return Ok(false);
        }
        let held = self.buf.len();
        if held >= MAX_HELD {
            return Err(Unsure);
        }
        self.buf.resize(held + CHUNK, 0);
        let read = loop {
            match self.src.read(&mut self.buf[held..]) {
                Ok(n) => break Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break Err(Unsure),
            }
        };
        let n = read.unwrap_or(0);
        self.buf.truncate(held + n);
        read?;
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// The next token, or `None` at the end of the input.
    pub fn next_token(&mut self) -> Result<Option<Tok>, Unsure> {
        if self.pos == self.buf.len() && !self.more()? {
            return Ok(None);
        }
        if self.buf[self.pos] == b'<' {
            return self.tag().map(Some);
        }
        let start = self.pos;
        let mut from = start;
        loop {
            if let Some(i) = memchr(b'<', &self.buf[from..]) {
                self.pos = from + i;
                break;
            }
            from = self.buf.len();
            if !self.more()? {
                self.pos = from;
                break;
            }
        }
        Ok(Some(Tok::Text(Span {
            start,
            end: self.pos,
        })))
    }

    /// The tag at the current position (which holds `<`).
    fn tag(&mut self) -> Result<Tok, Unsure> {
        let start = self.pos;
        while self.buf.len() - start < 4 {
            if !self.more()? {
                return Err(Unsure);
            }
        }
        match self.buf[start + 1] {
            b'?' => {
                self.pos = self.find(start + 2, b"?>")? + 2;
                return Ok(Tok::Aside);
            }
            b'!' if &self.buf[start + 2..start + 4] == b"--" => {
                self.pos = self.find(start + 4, b"-->")? + 3;
                return Ok(Tok::Aside);
            }
            b'!' => return Err(Unsure),
            _ => {}
        }
        let end = self.tag_end(start + 1)?;
        self.pos = end + 1;
        if self.buf[start + 1] == b'/' {
            let name = trim_end(&self.buf, start + 2, end);
            return if name.start == name.end {
                Err(Unsure)
            } else {
                Ok(Tok::Close(name))
            };
        }
        let empty = self.buf[end - 1] == b'/';
        let body_end = if empty { end - 1 } else { end };
        let name_end = self.buf[start + 1..body_end]
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .map_or(body_end, |i| start + 1 + i);
        if name_end == start + 1 {
            return Err(Unsure);
        }
        Ok(Tok::Open {
            name: Span {
                start: start + 1,
                end: name_end,
            },
            attrs: Span {
                start: name_end,
                end: body_end,
            },
            empty,
        })
    }

    /// The index of the `>` that ends the tag whose name starts at `from`, outside quoted
    /// attribute values.
    fn tag_end(&mut self, from: usize) -> Result<usize, Unsure> {
        let mut i = from;
        loop {
            match memchr::memchr3(b'>', b'"', b'\'', &self.buf[i..]) {
                Some(k) if self.buf[i + k] == b'>' => {
                    let end = i + k;
                    // `<` has no place in a tag (nor in an attribute value).
                    return match memchr(b'<', &self.buf[from..end]) {
                        Some(_) => Err(Unsure),
                        None => Ok(end),
                    };
                }
                Some(k) => {
                    let quote = self.buf[i + k];
                    match memchr(quote, &self.buf[i + k + 1..]) {
                        Some(m) => i += k + 1 + m + 1,
                        None if self.more()? => {}
                        None => return Err(Unsure),
                    }
                }
                None => {
                    let held = self.buf.len();
                    if !self.more()? {
                        return Err(Unsure);
                    }
                    i = held;
                }
            }
        }
    }

    /// The index of `needle` at or after `from`.
    fn find(&mut self, from: usize, needle: &[u8]) -> Result<usize, Unsure> {
        let mut at = from;
        loop {
            if let Some(i) = memmem::find(&self.buf[at..], needle) {
                return Ok(at + i);
            }
            at = self.buf.len().saturating_sub(needle.len() - 1).max(from);
            if !self.more()? {
                return Err(Unsure);
            }
        }
    }

    /// The raw value of the attribute `key` (matched whole, prefix included) among `attrs`.
    pub fn attr(&self, attrs: Span, key: &[u8]) -> Result<Option<Span>, Unsure> {
        let mut found = None;
        self.each_attr(attrs, |k, v| {
            if found.is_none() && k == key {
                found = Some(v);
            }
        })?;
        Ok(found)
    }

    /// Every `key="value"` of `attrs` (raw, as spans), in order; `Unsure` where they are not
    /// well formed.
    pub fn each_attr(&self, attrs: Span, mut each: impl FnMut(&[u8], Span)) -> Result<(), Unsure> {
        let b = &self.buf;
        let mut i = attrs.start;
        loop {
            while i < attrs.end && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i == attrs.end {
                return Ok(());
            }
            let key_start = i;
            while i < attrs.end && b[i] != b'=' && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            let key_end = i;
            while i < attrs.end && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if key_end == key_start || b.get(i) != Some(&b'=') {
                return Err(Unsure);
            }
            i += 1;
            while i < attrs.end && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let quote = *b.get(i).filter(|_| i < attrs.end).ok_or(Unsure)?;
            if quote != b'"' && quote != b'\'' {
                return Err(Unsure);
            }
            let value_start = i + 1;
            let len = memchr(quote, &b[value_start..attrs.end]).ok_or(Unsure)?;
            each(
                &b[key_start..key_end],
                Span {
                    start: value_start,
                    end: value_start + len,
                },
            );
            i = value_start + len + 1;
        }
    }
}

/// A name without its namespace prefix (`x:c` → `c`).
pub fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

fn trim_end(buf: &[u8], start: usize, mut end: usize) -> Span {
    while end > start && buf[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    Span { start, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `xml` read `chunk` bytes at a time, as text: `<name|attrs|/>`, `</name>`,
    /// `"text"`, `aside`.
    fn tokens(xml: &str, chunk: usize) -> Result<Vec<String>, Unsure> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(self.0.len()).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut x = Xml::new(Trickle(xml.as_bytes(), chunk));
        let mut out = Vec::new();
        let text = |x: &Xml<_>, s| String::from_utf8_lossy(x.bytes(s)).into_owned();
        while let Some(t) = x.next_token()? {
            out.push(match t {
                Tok::Open { name, attrs, empty } => format!(
                    "<{}|{}|{}>",
                    text(&x, name),
                    text(&x, attrs).trim(),
                    if empty { "/" } else { "" }
                ),
                Tok::Close(n) => format!("</{}>", text(&x, n)),
                Tok::Text(s) => format!("{:?}", text(&x, s)),
                Tok::Aside => "aside".to_owned(),
            });
        }
        Ok(out)
    }

    #[test]
    fn tags_text_and_asides_split_the_same_however_the_bytes_arrive() {
        let xml = "<?xml version=\"1.0\"?><!-- a > b --><x:row r=\"1\" a='>'><c r=\"A1\"/>\
                   <v>1 &amp; 2</v></x:row >";
        let want = [
            "aside",
            "aside",
            "<x:row|r=\"1\" a='>'|>",
            "<c|r=\"A1\"|/>",
            "<v||>",
            "\"1 &amp; 2\"",
            "</v>",
            "</x:row>",
        ];
        for chunk in [1, 2, 3, 7, 4096] {
            assert_eq!(tokens(xml, chunk).unwrap(), want, "chunk {chunk}");
        }
    }

    #[test]
    fn what_it_cannot_go_on_from_is_unsure() {
        for bad in [
            "<v><![CDATA[x]]></v>",
            "<!DOCTYPE x><a/>",
            "<a b=\"1\"",
            "<a <b>",
            "</>",
            "<>",
            "<!-- open",
        ] {
            assert_eq!(tokens(bad, 2), Err(Unsure), "{bad}");
        }
    }

    #[test]
    fn attributes_are_read_raw_and_whole() {
        let mut x = Xml::new("<c  r = \"B7\" s='3' x14:t=\"9\" t=\"s\"/>".as_bytes());
        let Some(Tok::Open { attrs, empty, .. }) = x.next_token().unwrap() else {
            panic!("not a tag");
        };
        assert!(empty);
        let get = |k: &[u8]| x.attr(attrs, k).unwrap().map(|s| x.bytes(s).to_vec());
        assert_eq!(get(b"r"), Some(b"B7".to_vec()));
        assert_eq!(get(b"s"), Some(b"3".to_vec()));
        assert_eq!(get(b"t"), Some(b"s".to_vec()));
        assert_eq!(get(b"u"), None);
        assert_eq!(local(b"x14:t"), b"t");
        let mut y = Xml::new("<c r=B7>".as_bytes());
        let Some(Tok::Open { attrs, .. }) = y.next_token().unwrap() else {
            panic!("not a tag");
        };
        assert_eq!(y.attr(attrs, b"r"), Err(Unsure));
    }
}
