//! The database contract with the original Python backend (TASKS-API.md
//! "Database"): a database its Alembic head created keeps every row when
//! taskflowd migrates it, and a database taskflowd creates has exactly that
//! head's schema — names, types, lengths, nullability, defaults,
//! constraints, indexes, enum labels — and its `alembic_version` stamp.

use migration::MigratorTrait;
use reqwest::StatusCode;
use sea_orm::sqlx::{self, PgConnection};
use serde_json::json;

use crate::helpers::pg::{self, TestDb};
use crate::helpers::team::*;

/// `alembic upgrade head --sql` of the Python backend (its fixture).
const HEAD_SQL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/python-schema/head.sql"
));

/// Loads the Python head, as the database owner. The pgcrypto line is left
/// out, as the fixture's README allows on PostgreSQL 13+ (`gen_random_uuid()`
/// is built in; the test role may not create extensions).
async fn python_database() -> TestDb {
    let db = pg::shared().create_database().await;
    let ddl: String = HEAD_SQL
        .lines()
        .filter(|l| !l.starts_with("CREATE EXTENSION"))
        .collect::<Vec<_>>()
        .join("\n");
    sql(&db, &ddl).await;
    db
}

const TABLES: &str = "('members', 'tasks', 'sub_tasks', 'daily_updates', 'alembic_version')";

/// Everything about the schema that the contract names, as sorted text lines.
async fn describe(conn: &mut PgConnection) -> Vec<String> {
    let queries = [
        format!(
            "SELECT format('column %s.%s %s %s %s null=%s default=%s', table_name, column_name, \
             ordinal_position, udt_name, character_maximum_length, is_nullable, column_default) \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name IN {TABLES}"
        ),
        format!(
            "SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) \
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
             AND conrelid::regclass::text IN {TABLES}"
        ),
        format!(
            "SELECT format('index %s %s', indexname, indexdef) FROM pg_indexes \
             WHERE schemaname = 'public' AND tablename IN {TABLES}"
        ),
        "SELECT format('enum %s %s', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)) \
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname"
            .to_owned(),
        "SELECT format('alembic %s', version_num) FROM alembic_version".to_owned(),
    ];
    let mut lines = Vec::new();
    for q in queries {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        lines.extend(rows);
    }
    lines.sort();
    lines
}

/// Every row of the four tables, as JSON text, in a stable order.
async fn rows(conn: &mut PgConnection) -> Vec<String> {
    let mut all = Vec::new();
    for table in ["members", "tasks", "sub_tasks", "daily_updates"] {
        let q = format!("SELECT row_to_json(t)::text FROM {table} t ORDER BY id");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert!(!rows.is_empty(), "{table} has rows");
        all.extend(rows.into_iter().map(|r| format!("{table} {r}")));
    }
    all
}

#[tokio::test]
async fn a_python_created_database_is_adopted_with_every_row() {
    let db = python_database().await;
    // Rows as the Python backend writes them: ids from the database default.
    sql(
        &db,
        "INSERT INTO members (name, email) VALUES ('Ada', 'ada@example.org');
         INSERT INTO tasks (title, description, status, priority, assignee_id, assignee_name, gear_id, blocking_reason)
           SELECT 'Pump', 'd', 'Blocked', 'High', id, name, '0042', 'parts' FROM members;
         INSERT INTO tasks (title, status, priority) VALUES ('Loose', 'Done', 'Low');
         INSERT INTO sub_tasks (task_id, title, position, completed)
           SELECT id, 'first', 0, true FROM tasks WHERE title = 'Pump';
         INSERT INTO sub_tasks (task_id, title, position)
           SELECT id, 'second', 1 FROM tasks WHERE title = 'Pump';
         INSERT INTO daily_updates (task_id, author_id, author_name, content)
           SELECT t.id, m.id, m.name, 'on it' FROM tasks t, members m WHERE t.title = 'Pump';",
    )
    .await;
    let mut conn = db.connect().await.unwrap();
    let before_rows = rows(&mut conn).await;
    let before_schema = describe(&mut conn).await;

    let d = daemon_on(&db).await;

    assert_eq!(
        rows(&mut conn).await,
        before_rows,
        "every row kept as it was"
    );
    assert_eq!(
        describe(&mut conn).await,
        before_schema,
        "the schema (and stamp) untouched"
    );
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM seaql_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(applied as usize, migration::Migrator::migrations().len());

    // The API serves and changes the adopted rows.
    let list = d.get(&format!("{TASKS}?sort=priority")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let pump = &list.body[0];
    assert_eq!(pump["title"], "Pump");
    assert_eq!(pump["assignee_name"], "Ada");
    assert_eq!(pump["sub_tasks"][1]["title"], "second");
    assert_timestamp(&pump["created_at"]);
    let id = id_of(pump);
    let page = d.get(&task_url(&id)).await.body;
    assert_eq!(page["daily_updates"][0]["content"], "on it");
    let s = create_sub_task(&d, &id, "third").await;
    assert_eq!(s["position"], 2);
    let r = d
        .patch_json(&task_url(&id), &json!({"status": "Done"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["blocking_reason"], "");
}

#[tokio::test]
async fn a_database_taskflowd_creates_has_the_python_heads_schema() {
    let python = python_database().await;
    let (_d, ours) = ready_daemon().await;
    let expected = describe(&mut python.connect().await.unwrap()).await;
    let got = describe(&mut ours.connect().await.unwrap()).await;
    // 30 columns, 11 constraints, 10 indexes, 2 enums and the stamp.
    assert_eq!(expected.len(), 54, "{expected:#?}");
    assert!(
        got.contains(&"alembic 20260228_0006".to_owned()),
        "stamped with the Python head: {got:#?}"
    );
    assert_eq!(got, expected);
}
