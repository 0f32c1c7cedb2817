//! `/api/v1/tasks/{task_id}/updates` against a real daemon and PostgreSQL
//! (TASKS-API.md "Daily updates"): every route and message in its check
//! order, the 24-hour window (created_at set back with SQL), edits and the
//! touch rule.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestDaemon;
use crate::helpers::pg::TestDb;
use crate::helpers::team::*;

fn base(task: &str) -> String {
    format!("{TASKS}/{task}/updates")
}

async fn updated_at(d: &TestDaemon, task: &str) -> Value {
    d.get(&task_url(task)).await.body["updated_at"].clone()
}

async fn age(db: &TestDb, update: &str, hours: &str) {
    sql(db, &format!(
        "UPDATE daily_updates SET created_at = now() - interval '{hours} hours' WHERE id = '{update}'"
    ))
    .await;
}

#[tokio::test]
async fn write_edit_delete() {
    let (d, _db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let r = d
        .patch_json(&format!("{MEMBERS}/{ada}"), &json!({"active": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "inactive members may write");
    let t = id_of(&create_task(&d, task_body("T")).await);
    let before = updated_at(&d, &t).await;

    let u = create_update(&d, &t, &ada, "  did things  ").await;
    let mut keys: Vec<&String> = u.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "author_id",
            "author_name",
            "content",
            "created_at",
            "edited",
            "id",
            "task_id",
            "updated_at"
        ]
    );
    assert_eq!(u["content"], "did things");
    assert_eq!(u["author_name"], "Ada");
    assert_eq!(u["author_id"], ada.as_str());
    assert_eq!(u["task_id"], t.as_str());
    assert_eq!(u["edited"], false);
    assert_timestamp(&u["created_at"]);
    assert_timestamp(&u["updated_at"]);
    let after_create = updated_at(&d, &t).await;
    assert!(
        after_create.as_str() > before.as_str(),
        "a new update touches the task"
    );

    let item = format!("{}/{}", base(&t), id_of(&u));
    // The same content: nothing written, not marked edited.
    let r = d
        .patch_json(&item, &json!({"content": " did things "}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, u);
    assert_eq!(updated_at(&d, &t).await, after_create);

    let r = d.patch_json(&item, &json!({"content": "did more"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["content"], "did more");
    assert_eq!(r.body["edited"], true);
    assert_eq!(r.body["created_at"], u["created_at"]);
    assert!(r.body["updated_at"].as_str() > u["updated_at"].as_str());
    let after_edit = updated_at(&d, &t).await;
    assert!(
        after_edit.as_str() > after_create.as_str(),
        "an edit touches the task"
    );
    assert_eq!(
        d.get(&task_url(&t)).await.body["daily_updates"],
        json!([r.body])
    );

    assert_eq!(d.delete(&item).await.status, StatusCode::NO_CONTENT);
    assert!(
        updated_at(&d, &t).await.as_str() > after_edit.as_str(),
        "a delete touches the task"
    );
    assert_error(
        &d.delete(&item).await,
        StatusCode::NOT_FOUND,
        "Daily update not found",
    );
    assert_eq!(d.get(&task_url(&t)).await.body["daily_updates"], json!([]));
}

#[tokio::test]
async fn messages_in_the_contracts_order() {
    let (d, _db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    let other = id_of(&create_task(&d, task_body("Other")).await);
    let theirs = id_of(&create_update(&d, &other, &ada, "theirs").await);
    let nobody = Uuid::new_v4().to_string();
    let no_task = Uuid::new_v4().to_string();

    for (body, message) in [
        (json!({"content": "c"}), "author_id: Field required"),
        (
            json!({"author_id": null, "content": "c"}),
            "author_id: Input should be a valid UUID",
        ),
        (
            json!({"author_id": "x", "content": ""}),
            "author_id: Input should be a valid UUID",
        ),
        (json!({"author_id": ada}), "content: Field required"),
        (
            json!({"author_id": ada, "content": 5}),
            "content: Input should be a valid string",
        ),
        (
            json!({"author_id": ada, "content": "   "}),
            "content: String should have at least 1 character",
        ),
        (
            json!({"author_id": ada, "content": "x".repeat(1001)}),
            "content: String should have at most 1000 characters",
        ),
    ] {
        assert_error(
            &d.post_json(&base(&t), &body).await,
            StatusCode::BAD_REQUEST,
            message,
        );
    }
    // The author is checked before the task.
    assert_error(
        &d.post_json(
            &base(&no_task),
            &json!({"author_id": nobody, "content": "c"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Author not found",
    );
    assert_error(
        &d.post_json(&base(&no_task), &json!({"author_id": ada, "content": "c"}))
            .await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    let ok = create_update(&d, &t, &ada, &"x".repeat(1000)).await;
    assert_eq!(ok["content"].as_str().unwrap().len(), 1000);

    for body in [json!({}), json!({"content": null}), json!({"content": ""})] {
        let r = d
            .patch_json(&format!("{}/{theirs}", base(&other)), &body)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
    }
    // Another task's update is not found under this task.
    assert_error(
        &d.patch_json(&format!("{}/{theirs}", base(&t)), &json!({"content": "c"}))
            .await,
        StatusCode::NOT_FOUND,
        "Daily update not found",
    );
    assert_error(
        &d.delete(&format!("{}/{theirs}", base(&t))).await,
        StatusCode::NOT_FOUND,
        "Daily update not found",
    );
    assert_error(
        &d.delete(&format!("{}/{theirs}", base(&no_task))).await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    assert_error(
        &d.delete(&format!("{}/x", base(&t))).await,
        StatusCode::BAD_REQUEST,
        "update_id: Input should be a valid UUID",
    );
    assert_error(
        &d.delete(&format!("{TASKS}/x/updates/{theirs}")).await,
        StatusCode::BAD_REQUEST,
        "task_id: Input should be a valid UUID",
    );
}

#[tokio::test]
async fn edits_and_deletes_only_within_24_hours() {
    let (d, db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    let old = create_update(&d, &t, &ada, "old").await;
    let young = create_update(&d, &t, &ada, "young").await;
    age(&db, &id_of(&old), "24.01").await;
    age(&db, &id_of(&young), "23.9").await;
    let touched = updated_at(&d, &t).await;

    let old_item = format!("{}/{}", base(&t), id_of(&old));
    // Checked before the no-change case.
    for content in ["old", "new"] {
        assert_error(
            &d.patch_json(&old_item, &json!({"content": content})).await,
            StatusCode::FORBIDDEN,
            "Updates can only be edited within 24 hours.",
        );
    }
    assert_error(
        &d.delete(&old_item).await,
        StatusCode::FORBIDDEN,
        "Updates can only be deleted within 24 hours.",
    );
    assert_eq!(updated_at(&d, &t).await, touched, "refusals write nothing");

    let young_item = format!("{}/{}", base(&t), id_of(&young));
    let r = d
        .patch_json(&young_item, &json!({"content": "edited"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(d.delete(&young_item).await.status, StatusCode::NO_CONTENT);
    let left = d.get(&task_url(&t)).await.body["daily_updates"].clone();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["content"], "old");
}

/// `409 Author no longer exists`: the author checked, then gone by the
/// insert. The author read takes a share lock, so another session's delete
/// waits for the write instead; the only way the row can vanish in between
/// is inside the write's own transaction, which a trigger does here (as a
/// rule or trigger of another program sharing the database could). The
/// foreign key refuses the insert, and the rollback keeps the member, the
/// task and its updates as they were.
#[tokio::test]
async fn an_author_gone_by_the_insert_is_a_conflict_that_changes_nothing() {
    let (d, db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    let before = updated_at(&d, &t).await;
    sql(
        &db,
        "CREATE FUNCTION test_author_vanishes() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN DELETE FROM members WHERE id = NEW.author_id; RETURN NEW; END $$; \
         CREATE TRIGGER test_author_vanishes BEFORE INSERT ON daily_updates \
         FOR EACH ROW EXECUTE FUNCTION test_author_vanishes();",
    )
    .await;

    assert_error(
        &d.post_json(&base(&t), &json!({"author_id": ada, "content": "c"}))
            .await,
        StatusCode::CONFLICT,
        "Author no longer exists",
    );
    assert_eq!(
        sql_text(&db, "SELECT count(*)::text FROM daily_updates").await,
        "0"
    );
    assert_eq!(
        sql_text(&db, &format!("SELECT name FROM members WHERE id = '{ada}'")).await,
        "Ada"
    );
    assert_eq!(d.get(&task_url(&t)).await.body["daily_updates"], json!([]));
    assert_eq!(updated_at(&d, &t).await, before);
}
