//! The one integration-test binary: modules per capability, all against a real PostgreSQL.
mod readers;
