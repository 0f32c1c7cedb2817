//! `members.id DEFAULT gen_random_uuid()`, as the original backend's schema
//! has it: taskflowd generates member ids itself, but the Python backend
//! inserts members without an id and relies on the default. Set only when
//! the column has no default yet and PostgreSQL has the function without an
//! extension (13+, or pgcrypto already installed), and skipped (with a
//! notice) for a role that does not own `members`: the daemon must still
//! become ready there.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"DO $do$
BEGIN
    IF to_regprocedure('gen_random_uuid()') IS NOT NULL AND EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'members'
          AND column_name = 'id' AND column_default IS NULL
    ) THEN
        ALTER TABLE members ALTER COLUMN id SET DEFAULT gen_random_uuid();
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'members.id default not set: %', SQLERRM;
END
$do$"#;

// Never undone: the default is harmless and may have been the Python backend's own.
sql_migration! {
    up: [UP],
    down: nothing,
}
