//! Stores and the demo chain: add and list stores, and load the sample data of `demo-data`.
//! Stores are addressed by their number (`store_number`), as in schedule files.

use sqlx::PgPool;

/// A store as `stores list` shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Store {
    /// The store's id.
    pub id: uuid::Uuid,
    /// The number schedules use.
    pub store_number: i32,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP code.
    pub zip_code: String,
    /// Phone, when known.
    pub phone: Option<String>,
    /// Whether the store is active.
    pub is_active: Option<bool>,
}

/// A new store.
#[derive(Debug, Clone)]
pub struct NewStore {
    /// The number schedules use (positive).
    pub store_number: i32,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP code.
    pub zip_code: String,
    /// Phone.
    pub phone: Option<String>,
}

/// Why a store could not be added.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A store with this number exists already.
    #[error("store {0} exists already")]
    Exists(i32),
    /// Store numbers are positive.
    #[error("store number {0} is not valid: store numbers are positive")]
    BadNumber(i32),
    /// The database refused the change.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Add a store.
pub async fn add(pool: &PgPool, s: &NewStore) -> Result<Store, StoreError> {
    if s.store_number <= 0 {
        return Err(StoreError::BadNumber(s.store_number));
    }
    sqlx::query_as(
        "INSERT INTO stores (store_number, address, city, state, zip_code, phone)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, store_number, address, city, state, zip_code, phone, is_active",
    )
    .bind(s.store_number)
    .bind(&s.address)
    .bind(&s.city)
    .bind(&s.state)
    .bind(&s.zip_code)
    .bind(&s.phone)
    .fetch_one(pool)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23505") => {
            StoreError::Exists(s.store_number)
        }
        _ => StoreError::Db(e),
    })
}

/// All stores by number.
pub async fn list(pool: &PgPool) -> Result<Vec<Store>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, store_number, address, city, state, zip_code, phone, is_active
         FROM stores ORDER BY store_number",
    )
    .fetch_all(pool)
    .await
}

/// What [`load_demo_data`] added (rows that existed already are left alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    /// Stores inserted now.
    pub stores_added: u64,
    /// Contacts inserted now.
    pub contacts_added: u64,
}

/// The demo chain's stores: (number, address, city, state, zip, phone). The numbers are the
/// stores of the sample schedules in `fixtures/schedules/` (and the project's corpus).
const DEMO_STORES: &[(i32, &str, &str, &str, &str, &str)] = &[
    (
        1042,
        "120 Main Street",
        "Springfield",
        "IL",
        "62701",
        "+12175550142",
    ),
    (
        2207,
        "45 Lakeview Avenue",
        "Decatur",
        "IL",
        "62521",
        "+12175550107",
    ),
    (
        3315,
        "9 Prairie Road",
        "Champaign",
        "IL",
        "61820",
        "+12175550115",
    ),
    (
        4120,
        "300 Elm Street",
        "Peoria",
        "IL",
        "61602",
        "+13095550120",
    ),
    (
        5009,
        "77 River Drive",
        "Bloomington",
        "IL",
        "61701",
        "+13095550109",
    ),
];

/// The demo chain's employees: (name, phone, email, notes). Invented people, reserved
/// 555-01xx numbers.
const DEMO_CONTACTS: &[(&str, &str, &str, &str)] = &[
    (
        "Maria Lopez",
        "+12175550101",
        "maria.lopez@example.com",
        "Pharmacist in charge, store 1042",
    ),
    (
        "James Carter",
        "+12175550102",
        "james.carter@example.com",
        "Pharmacist, stores 2207 and 3315",
    ),
    (
        "Priya Nair",
        "+12175550103",
        "priya.nair@example.com",
        "Pharmacy technician, store 1042",
    ),
    (
        "Tom Becker",
        "+12175550104",
        "tom.becker@example.com",
        "Pharmacy technician, store 3315",
    ),
    // The staff of the sample schedules in fixtures/schedules/ (grid_weekly.xlsx and others).
    (
        "Hannah Silva",
        "+12175550105",
        "hannah.silva@example.com",
        "Pharmacist, sample schedules",
    ),
    (
        "José Chen",
        "+12175550106",
        "jose.chen@example.com",
        "Pharmacy technician, sample schedules",
    ),
    (
        "Nia Müller",
        "+12175550108",
        "nia.muller@example.com",
        "Pharmacy technician, sample schedules",
    ),
    (
        "Priya Nguyen",
        "+12175550110",
        "priya.nguyen@example.com",
        "Pharmacist, sample schedules",
    ),
    (
        "Dan Okafor",
        "+12175550111",
        "dan.okafor@example.com",
        "Pharmacist, sample schedules",
    ),
    (
        "Maria Garcia",
        "+12175550112",
        "maria.garcia@example.com",
        "Cashier, sample schedules",
    ),
];

/// Load the demo chain (five stores, ten employees) into the database. Idempotent: rows
/// that exist (same store number, same phone) are kept as they are.
pub async fn load_demo_data(pool: &PgPool) -> Result<DemoSummary, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let hours = serde_json::json!({
        "mon": "09:00-21:00", "tue": "09:00-21:00", "wed": "09:00-21:00", "thu": "09:00-21:00",
        "fri": "09:00-21:00", "sat": "09:00-18:00", "sun": "10:00-16:00"
    });
    let mut stores_added = 0;
    for (number, address, city, state, zip, phone) in DEMO_STORES {
        stores_added += sqlx::query(
            "INSERT INTO stores (store_number, address, city, state, zip_code, phone,
                                 pharmacy_hours, store_hours)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             ON CONFLICT (store_number) DO NOTHING",
        )
        .bind(number)
        .bind(address)
        .bind(city)
        .bind(state)
        .bind(zip)
        .bind(phone)
        .bind(&hours)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    let mut contacts_added = 0;
    for (name, phone, email, notes) in DEMO_CONTACTS {
        contacts_added += sqlx::query(
            "INSERT INTO contacts (name, phone, email, notes) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(phone)
        .bind(email)
        .bind(notes)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(DemoSummary {
        stores_added,
        contacts_added,
    })
}
