//! [`create_missing_table`]: the one way the task tables are created.
//!
//! A table is created only when it is missing, so a database the Python
//! backend created keeps its table and rows. The id default
//! `gen_random_uuid()` is set only where PostgreSQL has that function without
//! an extension (13+, or pgcrypto already there): taskflowd generates its
//! ids itself, but the Python backend may rely on the default, and no
//! extension is ever created (the team's role may not).

/// One DO block: when `public.<table>` is missing, `CREATE TABLE <table>
/// (<definition>)`, then each of `then` (constraints the original schema adds
/// after the table), then the id default. `table`, `definition` and `then`
/// are constants of a migration, never user input.
pub(crate) fn create_missing_table(table: &str, definition: &str, then: &[&str]) -> String {
    let then: String = then.iter().map(|sql| format!("\n        {sql};")).collect();
    format!(
        r#"DO $do$
BEGIN
    IF to_regclass('public.{table}') IS NULL THEN
        CREATE TABLE {table} ({definition});{then}
        IF to_regprocedure('gen_random_uuid()') IS NOT NULL THEN
            ALTER TABLE {table} ALTER COLUMN id SET DEFAULT gen_random_uuid();
        END IF;
    END IF;
END
$do$"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_created_then_altered_then_given_its_default() {
        let sql = create_missing_table("t", "id UUID NOT NULL", &["ALTER TABLE t ADD x"]);
        let create = sql.find("CREATE TABLE t (id UUID NOT NULL);").unwrap();
        let alter = sql.find("ALTER TABLE t ADD x;").unwrap();
        let default = sql
            .find("ALTER TABLE t ALTER COLUMN id SET DEFAULT")
            .unwrap();
        assert!(create < alter && alter < default, "{sql}");
        assert!(sql.contains("IF to_regclass('public.t') IS NULL THEN"));
    }
}
