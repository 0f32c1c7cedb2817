//! Records the original backend's Alembic head in `alembic_version`, so the
//! Python backend starts on a database taskflowd created without migrating
//! anything (its schema is then exactly that head's, see the migrations
//! before this one).
//!
//! Only an absent or empty stamp is written. A stamp that is already there
//! is the Python backend's own record and is kept: it may name a revision
//! newer than the one taskflowd knows, which must never be moved backwards.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The Alembic revision whose schema these migrations produce.
pub const ALEMBIC_HEAD: &str = "20260228_0006";

const UP: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS alembic_version (
        version_num VARCHAR(32) NOT NULL,
        CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
    )",
    "INSERT INTO alembic_version (version_num) SELECT '20260228_0006'
     WHERE NOT EXISTS (SELECT 1 FROM alembic_version)",
];

// Never undone: the stamp may be the Python backend's.
sql_migration! {
    up: UP,
    down: nothing,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stamp_sql_names_the_head() {
        assert!(super::UP[1].contains(super::ALEMBIC_HEAD));
    }
}
