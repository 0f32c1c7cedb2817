//! `/api/v1/tasks/{task_id}/subtasks` against a real daemon and PostgreSQL
//! (TASKS-API.md "Sub-tasks"): every route and message, positions `0..n-1`
//! after deletes and reorders, the 20 limit, the touch rule, and 20
//! concurrent appends or reorders on one task (no 500, no gap, no duplicate).

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestDaemon;
use crate::helpers::daemon::ApiResponse;
use crate::helpers::pg::TestDb;
use crate::helpers::team::*;

fn base(task: &str) -> String {
    format!("{TASKS}/{task}/subtasks")
}

async fn reorder(d: &TestDaemon, task: &str, body: &Value) -> ApiResponse {
    d.send(
        d.request(Method::PUT, &format!("{}/reorder", base(task)))
            .json(body),
    )
    .await
}

async fn toggle(d: &TestDaemon, task: &str, id: &str) -> ApiResponse {
    d.send(d.request(Method::PATCH, &format!("{}/{id}/toggle", base(task))))
        .await
}

/// The sub-tasks as the task page shows them: (title, position) in order.
async fn shown(d: &TestDaemon, task: &str) -> Vec<(String, i64)> {
    let t = d.get(&task_url(task)).await.body;
    t["sub_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["title"].as_str().unwrap().to_owned(),
                s["position"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Positions straight from the table: exactly 0..n-1.
async fn assert_positions_dense(db: &TestDb, task: &str) -> usize {
    let positions = sql_text(
        db,
        &format!(
            "SELECT coalesce(string_agg(position::text, ',' ORDER BY position), '') \
             FROM sub_tasks WHERE task_id = '{task}'"
        ),
    )
    .await;
    let got: Vec<usize> = positions
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let want: Vec<usize> = (0..got.len()).collect();
    assert_eq!(got, want, "positions of {task}");
    got.len()
}

async fn updated_at(d: &TestDaemon, task: &str) -> String {
    d.get(&task_url(task)).await.body["updated_at"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn append_toggle_rename_delete() {
    let (d, db) = ready_daemon().await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    let a = create_sub_task(&d, &t, "  a  ").await;
    let mut keys: Vec<&String> = a.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "completed",
            "created_at",
            "id",
            "position",
            "task_id",
            "title"
        ]
    );
    assert_eq!(
        (&a["title"], &a["completed"], &a["position"], &a["task_id"]),
        (&json!("a"), &json!(false), &json!(0), &json!(t))
    );
    assert_timestamp(&a["created_at"]);
    let b = create_sub_task(&d, &t, "b").await;
    let c = create_sub_task(&d, &t, "c").await;
    assert_eq!(
        (b["position"].as_i64(), c["position"].as_i64()),
        (Some(1), Some(2))
    );

    let before = updated_at(&d, &t).await;
    let r = toggle(&d, &t, &id_of(&b)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["completed"], true);
    let touched = updated_at(&d, &t).await;
    assert!(touched > before, "a toggle touches the task");
    assert_eq!(toggle(&d, &t, &id_of(&b)).await.body["completed"], false);

    let item = format!("{}/{}", base(&t), id_of(&c));
    let r = d.patch_json(&item, &json!({"title": " C "})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["title"], "C");
    let now = updated_at(&d, &t).await;
    let r = d.patch_json(&item, &json!({"title": "C"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        updated_at(&d, &t).await,
        now,
        "the same title writes nothing"
    );

    // Deleting the first: the rest close up.
    let r = d.delete(&format!("{}/{}", base(&t), id_of(&a))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        shown(&d, &t).await,
        [("b".to_owned(), 0), ("C".to_owned(), 1)]
    );
    assert!(updated_at(&d, &t).await > now, "a delete touches the task");
    assert_positions_dense(&db, &t).await;
}

#[tokio::test]
async fn messages_and_404s() {
    let (d, _db) = ready_daemon().await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    let other = id_of(&create_task(&d, task_body("Other")).await);
    let foreign = id_of(&create_sub_task(&d, &other, "theirs").await);
    let missing_task = Uuid::new_v4().to_string();
    let missing = Uuid::new_v4().to_string();

    for (body, message) in [
        (json!({}), "title: Field required"),
        (
            json!({"title": null}),
            "title: Input should be a valid string",
        ),
        (
            json!({"title": " "}),
            "title: String should have at least 1 character",
        ),
        (
            json!({"title": "x".repeat(201)}),
            "title: String should have at most 200 characters",
        ),
        (
            json!("x"),
            "body: Input should be a valid dictionary or object to extract fields from",
        ),
    ] {
        assert_error(
            &d.post_json(&base(&t), &body).await,
            StatusCode::BAD_REQUEST,
            message,
        );
        assert_error(
            &d.patch_json(&format!("{}/{foreign}", base(&other)), &body)
                .await,
            StatusCode::BAD_REQUEST,
            message,
        );
    }
    assert_error(
        &d.post_json(&base(&missing_task), &json!({"title": "s"}))
            .await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    assert_error(
        &toggle(&d, &missing_task, &foreign).await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    // Another task's sub-task is not found under this task.
    for r in [
        toggle(&d, &t, &foreign).await,
        toggle(&d, &t, &missing).await,
        d.patch_json(&format!("{}/{foreign}", base(&t)), &json!({"title": "s"}))
            .await,
        d.delete(&format!("{}/{foreign}", base(&t))).await,
    ] {
        assert_error(&r, StatusCode::NOT_FOUND, "Sub-task not found");
    }
    assert_error(
        &d.delete(&format!("{}/{foreign}", base(&missing_task)))
            .await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    assert_eq!(shown(&d, &other).await, [("theirs".to_owned(), 0)]);

    assert_error(
        &toggle(&d, "x", &foreign).await,
        StatusCode::BAD_REQUEST,
        "task_id: Input should be a valid UUID",
    );
    assert_error(
        &toggle(&d, &t, "x").await,
        StatusCode::BAD_REQUEST,
        "sub_task_id: Input should be a valid UUID",
    );
    // `reorder` is the reorder route's own segment, never a sub-task id
    // (issue #22): another method there is its 405.
    assert_error(
        &d.delete(&format!("{}/reorder", base(&t))).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    );
}

#[tokio::test]
async fn at_most_20_per_task() {
    let (d, db) = ready_daemon().await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    for i in 0..20 {
        create_sub_task(&d, &t, &format!("s{i}")).await;
    }
    assert_error(
        &d.post_json(&base(&t), &json!({"title": "one too many"}))
            .await,
        StatusCode::BAD_REQUEST,
        "Maximum of 20 sub-tasks per task",
    );
    assert_eq!(assert_positions_dense(&db, &t).await, 20);
}

#[tokio::test]
async fn reorder_rules() {
    let (d, db) = ready_daemon().await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    let other = id_of(&create_task(&d, task_body("Other")).await);
    let ids: Vec<String> = {
        let mut v = Vec::new();
        for title in ["a", "b", "c"] {
            v.push(id_of(&create_sub_task(&d, &t, title).await));
        }
        v
    };
    let foreign = id_of(&create_sub_task(&d, &other, "x").await);
    let many: Vec<String> = (0..21).map(|_| Uuid::new_v4().to_string()).collect();
    for (body, message) in [
        (json!({}), "sub_task_ids: Field required"),
        (
            json!({"sub_task_ids": "a"}),
            "sub_task_ids: Input should be a valid list",
        ),
        (
            json!({"sub_task_ids": []}),
            "sub_task_ids: List should have at least 1 item",
        ),
        (
            json!({"sub_task_ids": many}),
            "sub_task_ids: List should have at most 20 items",
        ),
        (
            json!({"sub_task_ids": [ids[0], "x"]}),
            "sub_task_ids: Input should be a valid UUID",
        ),
        (
            json!({"sub_task_ids": [ids[0], ids[0], ids[1]]}),
            "sub_task_ids: must not contain duplicates",
        ),
        (
            json!({"sub_task_ids": [ids[0], ids[1]]}),
            "sub_task_ids: must include each existing sub-task exactly once",
        ),
        (
            json!({"sub_task_ids": [ids[0], ids[1], foreign]}),
            "sub_task_ids: must include each existing sub-task exactly once",
        ),
        (
            json!({"sub_task_ids": [ids[0], ids[1], ids[2], foreign]}),
            "sub_task_ids: must include each existing sub-task exactly once",
        ),
    ] {
        assert_error(
            &reorder(&d, &t, &body).await,
            StatusCode::BAD_REQUEST,
            message,
        );
    }
    assert_error(
        &reorder(
            &d,
            &Uuid::new_v4().to_string(),
            &json!({"sub_task_ids": [ids[0]]}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );

    let before = updated_at(&d, &t).await;
    let r = reorder(&d, &t, &json!({"sub_task_ids": ids})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        updated_at(&d, &t).await,
        before,
        "the same order writes nothing"
    );

    let r = reorder(&d, &t, &json!({"sub_task_ids": [ids[2], ids[0], ids[1]]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let got: Vec<(String, i64)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["title"].as_str().unwrap().to_owned(),
                s["position"].as_i64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("c".to_owned(), 0),
        ("a".to_owned(), 1),
        ("b".to_owned(), 2),
    ];
    assert_eq!(got, want);
    assert_eq!(shown(&d, &t).await, want);
    assert!(
        updated_at(&d, &t).await > before,
        "a reorder touches the task"
    );
    assert_positions_dense(&db, &t).await;
}

#[tokio::test]
async fn twenty_concurrent_appends_then_reorders_keep_positions_dense() {
    let (d, db) = ready_daemon().await;
    let t = id_of(&create_task(&d, task_body("T")).await);

    let appends = join_all((0..20).map(|i| {
        let d = &d;
        let t = &t;
        async move {
            d.post_json(&base(t), &json!({"title": format!("s{i}")}))
                .await
        }
    }))
    .await;
    for r in &appends {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert_eq!(assert_positions_dense(&db, &t).await, 20);
    let ids: Vec<String> = appends.iter().map(|r| id_of(&r.body)).collect();

    // 20 different orders at once (rotations), plus appends over the limit.
    let reorders = join_all((0..20).map(|k| {
        let d = &d;
        let t = &t;
        let mut order = ids.clone();
        order.rotate_left(k);
        async move { reorder(d, t, &json!({"sub_task_ids": order})).await }
    }))
    .await;
    for r in &reorders {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let positions: Vec<i64> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["position"].as_i64().unwrap())
            .collect();
        assert_eq!(positions, (0..20).collect::<Vec<_>>());
    }
    assert_eq!(assert_positions_dense(&db, &t).await, 20);

    // Concurrent deletes, toggles and re-appends: never a 500, never a gap.
    let mixed = join_all(ids.iter().enumerate().map(|(i, id)| {
        let d = &d;
        let t = &t;
        async move {
            match i % 3 {
                0 => d.delete(&format!("{}/{id}", base(t))).await,
                1 => toggle(d, t, id).await,
                _ => d.post_json(&base(t), &json!({"title": "more"})).await,
            }
        }
    }))
    .await;
    for r in &mixed {
        assert!(
            matches!(
                r.status,
                StatusCode::OK
                    | StatusCode::CREATED
                    | StatusCode::NO_CONTENT
                    | StatusCode::BAD_REQUEST
            ),
            "{} {}",
            r.status,
            r.text
        );
        if r.status == StatusCode::BAD_REQUEST {
            assert_error(
                r,
                StatusCode::BAD_REQUEST,
                "Maximum of 20 sub-tasks per task",
            );
        }
    }
    let n = assert_positions_dense(&db, &t).await;
    assert!(n <= 20, "{n} sub-tasks");
}
