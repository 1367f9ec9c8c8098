//! Job and import ids as operators type them: a whole UUID or a unique prefix of one
//! (`dc5229`), as git takes commit prefixes.
//!
//! A prefix is resolved with a range scan on the primary key (`id BETWEEN prefix000… AND
//! prefixfff…`, UUIDs compare byte-wise, so the hex prefix is the range), which finds one id,
//! or says none or several match (listing a few, so the operator can type more).

use sqlx::PgPool;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Shortest prefix accepted: four hex digits (with a few thousand rows a six-digit prefix is
/// almost always unique; four keeps typos from matching something arbitrary).
const MIN_PREFIX: usize = 4;

/// An id argument: a whole UUID or a prefix of its hex digits (dashes optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdArg {
    /// Lower-case hex digits without dashes, 4 to 32 of them.
    hex: String,
    /// As typed (for messages).
    typed: String,
}

impl FromStr for IdArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let typed = s.trim().to_string();
        let hex: String = typed
            .chars()
            .filter(|c| *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if let Some(bad) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!(
                "{typed:?} is not an id: {bad:?} is not a hex digit (ids look like dc5229a1-…)"
            ));
        }
        if hex.len() < MIN_PREFIX {
            return Err(format!(
                "{typed:?} is too short: give at least {MIN_PREFIX} characters of the id"
            ));
        }
        if hex.len() > 32 {
            return Err(format!("{typed:?} is longer than an id (32 hex digits)"));
        }
        Ok(IdArg { hex, typed })
    }
}

impl fmt::Display for IdArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.typed)
    }
}

impl IdArg {
    /// The lowest and highest UUID starting with this prefix (equal for a whole id).
    pub fn range(&self) -> (Uuid, Uuid) {
        let pad = |c: char| {
            let mut s = self.hex.clone();
            while s.len() < 32 {
                s.push(c);
            }
            Uuid::parse_str(&s).expect("32 hex digits are a UUID")
        };
        (pad('0'), pad('f'))
    }
}

/// What an id names; each kind has its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// `import_jobs`.
    Job,
    /// `document_imports`.
    Import,
}

impl IdKind {
    fn noun(self) -> &'static str {
        match self {
            IdKind::Job => "job",
            IdKind::Import => "import",
        }
    }

    /// Up to six ids of this kind between `lo` and `hi`, from the table's store layer.
    async fn ids_between(
        self,
        pool: &PgPool,
        lo: Uuid,
        hi: Uuid,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        match self {
            IdKind::Job => crate::queue::admin::ids_between(pool, lo, hi, 6).await,
            IdKind::Import => crate::import::query::ids_between(pool, lo, hi, 6).await,
        }
    }
}

/// Why an id argument names no single row.
#[derive(Debug, thiserror::Error)]
pub enum IdError {
    /// Nothing starts with the prefix.
    #[error("there is no {noun} {typed}")]
    NotFound { noun: &'static str, typed: String },
    /// Several rows start with it.
    #[error("{typed} is ambiguous: {n} {noun}s start with it ({examples}); give more characters")]
    Ambiguous {
        noun: &'static str,
        typed: String,
        n: String,
        examples: String,
    },
    /// The lookup failed.
    #[error("looking up {noun} {typed}: {source}")]
    Db {
        noun: &'static str,
        typed: String,
        source: sqlx::Error,
    },
}

/// The one id of `kind` that `arg` names.
pub async fn resolve(pool: &PgPool, kind: IdKind, arg: &IdArg) -> Result<Uuid, IdError> {
    let (lo, hi) = arg.range();
    let ids: Vec<Uuid> = kind
        .ids_between(pool, lo, hi)
        .await
        .map_err(|source| IdError::Db {
            noun: kind.noun(),
            typed: arg.typed.clone(),
            source,
        })?;
    match ids.as_slice() {
        [] => Err(IdError::NotFound {
            noun: kind.noun(),
            typed: arg.typed.clone(),
        }),
        [one] => Ok(*one),
        many => Err(IdError::Ambiguous {
            noun: kind.noun(),
            typed: arg.typed.clone(),
            n: if many.len() > 5 {
                "more than 5".into()
            } else {
                many.len().to_string()
            },
            examples: many
                .iter()
                .take(5)
                .map(|id| id.to_string()[..13].to_string() + "…")
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_with_or_without_dashes() {
        let a: IdArg = "DC5229".parse().unwrap();
        assert_eq!(
            a.range(),
            (
                Uuid::parse_str("dc522900-0000-0000-0000-000000000000").unwrap(),
                Uuid::parse_str("dc5229ff-ffff-ffff-ffff-ffffffffffff").unwrap()
            )
        );
        let whole: IdArg = "dc5229a1-0b1c-4d2e-8f30-123456789abc".parse().unwrap();
        let (lo, hi) = whole.range();
        assert_eq!(lo, hi);
        assert_eq!(lo.to_string(), "dc5229a1-0b1c-4d2e-8f30-123456789abc");
        let dashed: IdArg = "dc5229a1-0b".parse().unwrap();
        assert_eq!(
            dashed.range().0.to_string(),
            "dc5229a1-0b00-0000-0000-000000000000"
        );
    }

    #[test]
    fn bad_ids_say_what_is_wrong() {
        assert!("dc5".parse::<IdArg>().unwrap_err().contains("too short"));
        assert!("dc52zz".parse::<IdArg>().unwrap_err().contains("'z'"));
        let long = "0".repeat(33);
        assert!(long.parse::<IdArg>().unwrap_err().contains("longer"));
    }
}
