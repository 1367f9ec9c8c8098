//! Step 5 of an import's write ([`super::write`]): each shift's employee linked to a contact,
//! once per distinct employee of a store (store, name, file phone), by phone first, else by
//! name; an employee found neither way is a warning. The lookup is one statement per few
//! thousand employees ([`CONTACT_CHUNK`]); a small import's lookup rides on its import row's
//! statement ([`Prefetched`], `write::insert_import_row`), a round trip fewer.
//!
//! Nothing here logs names or phones.

use crate::schedule::{Issue, Plan, Shift};
use arcstr::ArcStr;
use sqlx::PgConnection;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// The contact a shift's employee was linked to, and the phone stored with the shift.
#[derive(Debug, Clone, Default)]
pub(super) struct Link {
    pub(super) contact_id: Option<Uuid>,
    /// The contact's phone when linked (as stored in `contacts`, so row security that
    /// compares phones agrees), else the file's phone as given.
    pub(super) phone: Option<ArcStr>,
}

/// One link per distinct (employee name, file phone), and which one each shift has.
pub(super) struct Links {
    links: Vec<Link>,
    of_shift: Vec<u32>,
}

impl Links {
    /// The link of shift `i` of the plan.
    pub(super) fn of(&self, i: usize) -> &Link {
        &self.links[self.of_shift[i] as usize]
    }
}

/// A shift's phone as the file gives it, trimmed; `None` when blank.
pub(super) fn file_phone(s: &Shift) -> Option<&str> {
    s.employee_phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Link every shift's employee to a contact, once per distinct employee of a store (store,
/// name, file phone). Identity is per store and by phone first:
/// - a usable phone in the file decides alone: the one contact with that number (compared as
///   E.164), or no link when none has it (a contact of the same name with another number is
///   another person);
/// - without a phone, by name (case-insensitive): the one contact of that name, or, when
///   several share it, the one who has shifts at this store already.
///
/// An employee found neither way gets one warning per store (at the first cell naming them).
pub(super) async fn link_contacts(
    conn: &mut PgConnection,
    plan: &Plan,
    issues: &mut Vec<Issue>,
    store_ids: &HashMap<i32, Uuid>,
    prefetched: Option<&Prefetched>,
) -> Result<Links, sqlx::Error> {
    // Distinct employees (store, name, file phone), in first-seen order.
    let mut key_of: HashMap<(i32, &str, Option<&str>), u32> = HashMap::new();
    let mut keys: Vec<(i32, &str, Option<&str>, usize)> = Vec::new();
    let mut of_shift = Vec::with_capacity(plan.shifts.len());
    for (i, s) in plan.shifts.iter().enumerate() {
        let key = (s.store_number, &*s.employee_name, file_phone(s));
        let n = *key_of.entry(key).or_insert_with(|| {
            keys.push((key.0, key.1, key.2, i));
            (keys.len() - 1) as u32
        });
        of_shift.push(n);
    }
    // A million-row file may name a hundred thousand employees: hold each key once from here.
    drop(key_of);
    keys.shrink_to_fit();
    let found = find_contacts(conn, &keys, store_ids, prefetched).await?;
    let links = keys
        .iter()
        .map(|&(store, name, phone, first)| {
            // The shift's own copy of the phone when it needs no trimming (no copy a shift).
            let phone = phone.map(|p| match &plan.shifts[first].employee_phone {
                Some(own) if own.len() == p.len() => own.clone(),
                _ => ArcStr::from(p),
            });
            let (link, why) = found.decide(store_ids.get(&store), name, phone.as_ref());
            if let Some(why) = why {
                let cell = Some(plan.shifts[first].source.clone());
                issues.push(Issue::warning("unknown_employee", cell, why.message()));
            }
            link
        })
        .collect();
    // A warning per unknown employee: hold them at their size, not the doubled capacity.
    issues.shrink_to_fit();
    Ok(Links { links, of_shift })
}

/// Why a shift's employee was not linked to a contact.
enum UnlinkedWhy {
    /// The file's phone number is no contact's (`namesake`: a contact has the name).
    PhoneUnknown { namesake: bool },
    /// No phone, and no contact has the name.
    Unknown,
    /// No phone, several contacts have the name, and not exactly one of them works at the store.
    Ambiguous(usize),
}

impl UnlinkedWhy {
    fn message(&self) -> Cow<'static, str> {
        match self {
            UnlinkedWhy::PhoneUnknown { namesake: true } => "no contact has the employee's phone \
                 number (a contact of the same name with another number is another person); the \
                 shifts are imported without a contact link"
                .into(),
            UnlinkedWhy::PhoneUnknown { namesake: false } => "the employee is not in contacts \
                 (no contact with this phone number or name); the shifts are imported without a \
                 contact link"
                .into(),
            UnlinkedWhy::Unknown => "the employee is not in contacts (no contact with this \
                 name, and the file gives no phone number); the shifts are imported without a \
                 contact link"
                .into(),
            UnlinkedWhy::Ambiguous(n) => format!(
                "the employee's name matches {n} contacts and neither a phone number nor \
                 earlier shifts at this store decide between them; the shifts are imported \
                 without a contact link"
            )
            .into(),
        }
    }
}

/// The contacts an import's employees may be: by file phone, by name, and which of the
/// name's contacts already have shifts at which of the file's stores. Keyed by the file's
/// own texts (borrowed from the plan).
#[derive(Default)]
struct FoundContacts<'p> {
    /// File phones that normalise to no number: they count as no phone. (Few; a file of
    /// 100,000 employees with usable phones holds none.)
    unusable: HashSet<&'p str>,
    by_phone: HashMap<&'p str, Vec<(Uuid, ArcStr)>>,
    by_name: HashMap<&'p str, Vec<(Uuid, ArcStr)>>,
    /// (contact, store) pairs with stored shifts, for names shared by several contacts.
    at_store: BTreeSet<(Uuid, Uuid)>,
}

impl FoundContacts<'_> {
    /// The link of one employee of a store (`store`: its id), and why there is none.
    fn decide(
        &self,
        store: Option<&Uuid>,
        name: &str,
        file_phone: Option<&ArcStr>,
    ) -> (Link, Option<UnlinkedWhy>) {
        let unlinked = |why| {
            let link = Link {
                contact_id: None,
                phone: file_phone.cloned(),
            };
            (link, Some(why))
        };
        let phone = file_phone.map(|p| p.as_str());
        if let Some(p) = phone.filter(|p| !self.unusable.contains(*p)) {
            return match self.by_phone.get(p).map(Vec::as_slice) {
                Some([(id, contact_phone)]) => (
                    Link {
                        contact_id: Some(*id),
                        phone: Some(contact_phone.clone()),
                    },
                    None,
                ),
                _ => unlinked(UnlinkedWhy::PhoneUnknown {
                    namesake: self.by_name.contains_key(name),
                }),
            };
        }
        let named = self
            .by_name
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let here: Vec<&(Uuid, ArcStr)> = match named {
            [] => return unlinked(UnlinkedWhy::Unknown),
            [one] => vec![one],
            many => many
                .iter()
                .filter(|(id, _)| store.is_some_and(|st| self.at_store.contains(&(*id, *st))))
                .collect(),
        };
        match here.as_slice() {
            [(id, contact_phone)] => (
                Link {
                    contact_id: Some(*id),
                    phone: Some(file_phone.unwrap_or(contact_phone).clone()),
                },
                None,
            ),
            _ => unlinked(UnlinkedWhy::Ambiguous(named.len())),
        }
    }
}

/// Look the employees' phones and names up in one statement, then, for names several contacts
/// share, which of them already have shifts at the file's stores.
async fn find_contacts<'p>(
    conn: &mut PgConnection,
    keys: &[(i32, &'p str, Option<&'p str>, usize)],
    store_ids: &HashMap<i32, Uuid>,
    prefetched: Option<&Prefetched>,
) -> Result<FoundContacts<'p>, sqlx::Error> {
    let (phones, names) = lookup_lists(keys.iter().map(|k| (k.1, k.2)));
    let mut found = FoundContacts::default();
    // In statements of a few thousand: a statement's parameters are assembled whole in the
    // connection's send buffer, which keeps its largest size for the connection's life.
    for n in 0..phones.len().max(names.len()).div_ceil(CONTACT_CHUNK) {
        let (phones, names) = (nth_chunk(&phones, n), nth_chunk(&names, n));
        match prefetched.and_then(|p| p.rows_for(phones, names)) {
            Some(rows) => found.add(rows, phones, names),
            None => found.add(&lookup_contacts(conn, phones, names).await?, phones, names),
        }
    }
    let shared: Vec<Uuid> = found
        .by_name
        .values()
        .filter(|v| v.len() > 1)
        .flatten()
        .map(|(id, _)| *id)
        .collect();
    if !shared.is_empty() {
        let stores: Vec<Uuid> = store_ids.values().copied().collect();
        let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "SELECT DISTINCT contact_id, store_id FROM store_schedules
             WHERE contact_id = ANY($1) AND store_id = ANY($2)",
        )
        .bind(&shared)
        .bind(&stores)
        .fetch_all(&mut *conn)
        .await?;
        found.at_store = rows.into_iter().collect();
    }
    Ok(found)
}

/// Employees looked up per statement ([`find_contacts`]).
const CONTACT_CHUNK: usize = 5_000;

/// The `n`th [`CONTACT_CHUNK`] of `all` (empty past its end).
fn nth_chunk<T>(all: &[T], n: usize) -> &[T] {
    let from = (n * CONTACT_CHUNK).min(all.len());
    &all[from..(from + CONTACT_CHUNK).min(all.len())]
}

/// A row of [`lookup_contacts`]: kind, one-based place in the array sent, contact id and phone.
pub(super) type ContactRow = (i16, i64, Option<Uuid>, Option<String>);

/// The distinct file phones and names of `employees` (name, file phone), sorted: the lists a
/// lookup sends.
fn lookup_lists<'p>(
    employees: impl Iterator<Item = (&'p str, Option<&'p str>)>,
) -> (Vec<&'p str>, Vec<&'p str>) {
    let (mut phones, mut names): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for (name, phone) in employees {
        names.push(name);
        phones.extend(phone);
    }
    for distinct in [&mut phones, &mut names] {
        distinct.sort_unstable();
        distinct.dedup();
    }
    (phones, names)
}

/// The contacts lookup of a small import, made by its import row's statement before its
/// shifts were final (a store's rows may be dropped later, or the import end early): the
/// lists it was made for, and what it found. [`find_contacts`] uses it for the same lists.
#[derive(Debug)]
pub(super) struct Prefetched {
    phones: Vec<String>,
    names: Vec<String>,
    rows: Vec<ContactRow>,
}

impl Prefetched {
    /// The lists to look up with the import row for `plan`: for a plan of at most
    /// `max_shifts` shifts (one lookup statement), `None` for a larger or empty one.
    pub(super) fn lists(plan: &Plan, max_shifts: usize) -> Option<(Vec<&str>, Vec<&str>)> {
        let n = plan.shifts.len();
        (n > 0 && n <= max_shifts.min(CONTACT_CHUNK)).then(|| {
            lookup_lists(
                plan.shifts
                    .iter()
                    .map(|s| (&*s.employee_name, file_phone(s))),
            )
        })
    }

    /// What the lookup of `phones` and `names` found (the import row statement's columns).
    pub(super) fn new(phones: &[&str], names: &[&str], found: ContactColumns) -> Prefetched {
        let (kinds, places, ids, contact_phones) = found;
        let rows = kinds
            .unwrap_or_default()
            .into_iter()
            .zip(places.unwrap_or_default())
            .zip(
                ids.unwrap_or_default()
                    .into_iter()
                    .zip(contact_phones.unwrap_or_default()),
            )
            .map(|((k, i), (id, p))| (k, i, id, p))
            .collect();
        Prefetched {
            phones: phones.iter().map(|p| p.to_string()).collect(),
            names: names.iter().map(|n| n.to_string()).collect(),
            rows,
        }
    }

    /// The rows found, when they were looked up for exactly these lists.
    fn rows_for(&self, phones: &[&str], names: &[&str]) -> Option<&[ContactRow]> {
        (self.phones == phones && self.names == names).then_some(&self.rows[..])
    }
}

/// [`ContactRow`]s column by column, as arrays (`NULL` when none): how the import row's
/// statement returns its lookup.
pub(super) type ContactColumns = (
    Option<Vec<i16>>,
    Option<Vec<i64>>,
    Option<Vec<Option<Uuid>>>,
    Option<Vec<Option<String>>>,
);

/// The lookup of [`lookup_contacts`] on file phones `$1` and names `$2` (one-based places):
/// kind 0, a contact by phone; 1, a file phone that normalises to no number; 2, a contact by
/// name. Each file phone's key is computed once (`MATERIALIZED`; the filter and the join would
/// each call it). Also a CTE of `write::insert_import_row`'s statement.
#[macro_export]
#[doc(hidden)]
macro_rules! contacts_lookup_sql {
    () => {
        "WITH f AS MATERIALIZED (
             SELECT i, pharmacy_phone_e164(p) AS e
             FROM UNNEST($1::text[]) WITH ORDINALITY AS u(p, i)
         )
         SELECT 0::int2 AS kind, f.i, c.id, c.phone
         FROM f JOIN contacts c ON pharmacy_phone_e164(c.phone) = f.e
         UNION ALL
         SELECT 1::int2, f.i, NULL, NULL FROM f WHERE f.e IS NULL
         UNION ALL
         SELECT 2::int2, f.i, c.id, c.phone
         FROM UNNEST($2::text[]) WITH ORDINALITY AS f(n, i)
         JOIN contacts c ON pharmacy_name_key(c.name) = pharmacy_name_key(f.n)"
    };
}

/// One statement of [`find_contacts`] ([`contacts_lookup_sql`]). Rows name the phone or name
/// by its place (one-based) in the array sent: a contact found by phone (kind 0) or by name
/// (kind 2), or a file phone that normalises to no number (kind 1, no contact).
async fn lookup_contacts(
    conn: &mut PgConnection,
    phones: &[&str],
    names: &[&str],
) -> Result<Vec<ContactRow>, sqlx::Error> {
    sqlx::query_as(concat!(crate::contacts_lookup_sql!()))
        .bind(phones)
        .bind(names)
        .fetch_all(&mut *conn)
        .await
}

impl<'p> FoundContacts<'p> {
    /// What one [`lookup_contacts`] statement found for `phones` and `names`.
    fn add(&mut self, rows: &[ContactRow], phones: &[&'p str], names: &[&'p str]) {
        for (kind, i, id, phone) in rows {
            let of = if *kind == 2 { names } else { phones };
            let Some(&key) = usize::try_from(i - 1).ok().and_then(|i| of.get(i)) else {
                continue;
            };
            match (kind, id, phone) {
                (1, _, _) => {
                    self.unusable.insert(key);
                }
                (kind, Some(id), Some(phone)) => {
                    let map = if *kind == 0 {
                        &mut self.by_phone
                    } else {
                        &mut self.by_name
                    };
                    map.entry(key)
                        .or_default()
                        .push((*id, ArcStr::from(phone.as_str())));
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_lists_are_distinct_and_sorted() {
        let employees = [
            ("Lee", Some("555-0101")),
            ("Ann", None),
            ("Lee", Some("555-0101")),
        ];
        let (phones, names) = lookup_lists(employees.into_iter());
        assert_eq!(phones, ["555-0101"]);
        assert_eq!(names, ["Ann", "Lee"]);
    }

    #[test]
    fn a_prefetched_lookup_answers_only_the_lists_it_was_made_for() {
        let id = Uuid::from_u128(7);
        let found = (
            Some(vec![0, 2]),
            Some(vec![1, 2]),
            Some(vec![Some(id), Some(id)]),
            Some(vec![
                Some("+15550101".to_string()),
                Some("+15550101".to_string()),
            ]),
        );
        let p = Prefetched::new(&["555-0101"], &["Ann", "Lee"], found);
        let rows = p.rows_for(&["555-0101"], &["Ann", "Lee"]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1], (2, 2, Some(id), Some("+15550101".to_string())));
        // A store's rows dropped since (one name fewer): looked up again.
        assert!(p.rows_for(&["555-0101"], &["Lee"]).is_none());
        // Nothing found: no rows, still an answer.
        let none = Prefetched::new(&[], &["Ann"], (None, None, None, None));
        assert_eq!(none.rows_for(&[], &["Ann"]).unwrap().len(), 0);
    }
}
