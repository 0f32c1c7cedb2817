//! `/api/v1/tasks` against a real daemon and PostgreSQL (TASKS-API.md
//! "Tasks"): every route, every message in its check order, the filters,
//! sorts and search, the touch rule, cascades, the 503s, and what another
//! daemon or direct SQL writes being visible at once.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestDaemon;
use crate::helpers::pg::PgCluster;
use crate::helpers::team::*;

fn titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn crud_happy_path() {
    let (d, _db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let t = create_task(
        &d,
        json!({"title": "  Fix the pump ", "description": "  as sent ", "status": "Blocked",
               "priority": "High", "assignee_id": ada, "gear_id": "0042",
               "blocking_reason": " parts ", "unknown": 1}),
    )
    .await;
    let mut keys: Vec<&String> = t.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "assignee_id",
            "assignee_name",
            "blocking_reason",
            "created_at",
            "daily_updates",
            "description",
            "gear_id",
            "id",
            "priority",
            "status",
            "sub_tasks",
            "title",
            "updated_at"
        ]
    );
    assert_eq!(t["title"], "Fix the pump");
    assert_eq!(t["description"], "  as sent ");
    assert_eq!(t["status"], "Blocked");
    assert_eq!(t["priority"], "High");
    assert_eq!(t["assignee_id"], ada.as_str());
    assert_eq!(t["assignee_name"], "Ada");
    assert_eq!(t["gear_id"], "0042");
    assert_eq!(t["blocking_reason"], "parts");
    assert_eq!(t["sub_tasks"], json!([]));
    assert_eq!(t["daily_updates"], json!([]));
    assert_timestamp(&t["created_at"]);
    assert_timestamp(&t["updated_at"]);
    let id = id_of(&t);

    let r = d.get(&task_url(&id)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, t);
    let r = d.get(TASKS).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!([t]));

    // An empty patch and a patch with the same values write nothing.
    for same in [
        json!({}),
        json!({"title": "Fix the pump", "status": "Blocked"}),
    ] {
        let r = d.patch_json(&task_url(&id), &same).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body, t, "{same}");
    }
    let r = d
        .patch_json(
            &task_url(&id),
            &json!({"status": "Done", "assignee_id": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "Done");
    assert_eq!(r.body["blocking_reason"], "", "not Blocked: always empty");
    assert_eq!(r.body["assignee_id"], Value::Null);
    assert_eq!(r.body["assignee_name"], Value::Null);
    assert_eq!(r.body["created_at"], t["created_at"]);
    assert!(
        r.body["updated_at"].as_str() > t["updated_at"].as_str(),
        "updated_at moves: {} → {}",
        t["updated_at"],
        r.body["updated_at"]
    );

    assert_eq!(
        d.delete(&task_url(&id)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &d.get(&task_url(&id)).await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    assert_error(
        &d.delete(&task_url(&id)).await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    assert_error(
        &d.patch_json(&task_url(&id), &json!({})).await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    assert_eq!(d.get(TASKS).await.body, json!([]));
}

#[tokio::test]
async fn create_messages_in_the_contracts_order() {
    let (d, _db) = ready_daemon().await;
    let ok = task_body("T");
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let blocked = with("status", json!("Blocked"));
    let unknown = Uuid::new_v4().to_string();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"status": "To Do", "priority": "Low"}),
            "title: Field required",
        ),
        (
            json!([]),
            "body: Input should be a valid dictionary or object to extract fields from",
        ),
        (
            with("title", json!(null)),
            "title: Input should be a valid string",
        ),
        (
            with("title", json!(7)),
            "title: Input should be a valid string",
        ),
        (
            with("title", json!("   ")),
            "title: String should have at least 1 character",
        ),
        (
            with("title", json!("x".repeat(201))),
            "title: String should have at most 200 characters",
        ),
        (
            with("description", json!(1)),
            "description: Input should be a valid string",
        ),
        (
            with("description", json!("x".repeat(2001))),
            "description: String should have at most 2000 characters",
        ),
        (
            json!({"title": "T", "priority": "Low"}),
            "status: Field required",
        ),
        (
            with("status", json!("Closed")),
            "status: Input should be 'To Do', 'In Progress', 'Blocked' or 'Done'",
        ),
        (
            json!({"title": "T", "status": "Done"}),
            "priority: Field required",
        ),
        (
            with("priority", json!("urgent")),
            "priority: Input should be 'High', 'Medium' or 'Low'",
        ),
        (
            with("assignee_id", json!("nope")),
            "assignee_id: Input should be a valid UUID",
        ),
        (
            with("gear_id", json!(1234)),
            "gear_id: Input should be a valid string",
        ),
        (
            with("blocking_reason", json!(null)),
            "blocking_reason: Input should be a valid string",
        ),
        (
            with("gear_id", json!("")),
            "GEAR ID must be exactly 4 digits",
        ),
        (
            with("gear_id", json!("12345")),
            "GEAR ID must be exactly 4 digits",
        ),
        (
            with("gear_id", json!("12a4")),
            "GEAR ID must be exactly 4 digits",
        ),
        (
            blocked.clone(),
            "Blocking reason is required when status is Blocked",
        ),
        (
            {
                let mut b = blocked.clone();
                b["blocking_reason"] = json!("   ");
                b
            },
            "Blocking reason is required when status is Blocked",
        ),
        (with("assignee_id", json!(unknown)), "Assignee not found"),
        // First problem wins, in the contract's order.
        (
            json!({"title": "", "status": "x"}),
            "title: String should have at least 1 character",
        ),
        (
            {
                let mut b = blocked.clone();
                b["gear_id"] = json!("1");
                b
            },
            "GEAR ID must be exactly 4 digits",
        ),
        (
            {
                let mut b = blocked.clone();
                b["assignee_id"] = json!(unknown);
                b
            },
            "Blocking reason is required when status is Blocked",
        ),
        (
            {
                let mut b = with("gear_id", json!("1"));
                b["priority"] = json!("x");
                b
            },
            "priority: Input should be 'High', 'Medium' or 'Low'",
        ),
    ];
    for (body, message) in cases {
        let r = d.post_json(TASKS, &body).await;
        assert_error(&r, StatusCode::BAD_REQUEST, message);
    }
    assert_eq!(d.get(TASKS).await.body, json!([]), "nothing was written");

    // Boundaries that pass: 200 characters after trimming, 2000 as sent,
    // `""` description kept, inactive assignee, null gear id.
    let bo = member(&d, "Bo").await;
    let r = d
        .patch_json(&format!("{MEMBERS}/{bo}"), &json!({"active": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let t = create_task(
        &d,
        json!({"title": format!("  {}  ", "é".repeat(200)), "description": "", "status": "In Progress",
               "priority": "Low", "assignee_id": bo, "gear_id": null, "blocking_reason": "ignored"}),
    )
    .await;
    assert_eq!(t["title"].as_str().unwrap().chars().count(), 200);
    assert_eq!(t["description"], "");
    assert_eq!(t["assignee_name"], "Bo");
    assert_eq!(t["gear_id"], Value::Null);
    assert_eq!(t["blocking_reason"], "");
    let t = create_task(&d, with("description", json!("d".repeat(2000)))).await;
    assert_eq!(t["description"].as_str().unwrap().len(), 2000);
}

#[tokio::test]
async fn patch_rules_and_check_order() {
    let (d, _db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let blocked = create_task(
        &d,
        json!({"title": "B", "status": "Blocked", "priority": "High", "blocking_reason": "parts",
               "description": "d", "gear_id": "1234", "assignee_id": ada}),
    )
    .await;
    let id = id_of(&blocked);
    let url = task_url(&id);
    let missing = task_url(&Uuid::new_v4().to_string());
    let unknown = Uuid::new_v4().to_string();

    for f in ["title", "status", "priority"] {
        assert_error(
            &d.patch_json(&url, &json!({f: null})).await,
            StatusCode::BAD_REQUEST,
            &format!("{f}: field cannot be null"),
        );
    }
    // Order: body validation, gear id, 404, blocking reason, assignee.
    assert_error(
        &d.patch_json(&missing, &json!({"title": "", "gear_id": "1"}))
            .await,
        StatusCode::BAD_REQUEST,
        "title: String should have at least 1 character",
    );
    assert_error(
        &d.patch_json(&missing, &json!({"gear_id": "1"})).await,
        StatusCode::BAD_REQUEST,
        "GEAR ID must be exactly 4 digits",
    );
    assert_error(
        &d.patch_json(&missing, &json!({"blocking_reason": ""}))
            .await,
        StatusCode::NOT_FOUND,
        "Task not found",
    );
    assert_error(
        &d.patch_json(
            &url,
            &json!({"blocking_reason": "  ", "assignee_id": unknown}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Blocking reason is required when status is Blocked",
    );
    assert_error(
        &d.patch_json(&url, &json!({"blocking_reason": null})).await,
        StatusCode::BAD_REQUEST,
        "Blocking reason is required when status is Blocked",
    );
    assert_error(
        &d.patch_json(&url, &json!({"assignee_id": unknown})).await,
        StatusCode::BAD_REQUEST,
        "Assignee not found",
    );
    assert_eq!(
        d.get(&url).await.body,
        blocked,
        "refused patches changed nothing"
    );

    // A title-only patch keeps the stored reason; explicit nulls clear.
    let r = d.patch_json(&url, &json!({"title": " New "})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["title"], "New");
    assert_eq!(r.body["blocking_reason"], "parts");
    let r = d
        .patch_json(
            &url,
            &json!({"description": null, "gear_id": null, "assignee_id": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (
            &r.body["description"],
            &r.body["gear_id"],
            &r.body["assignee_id"],
            &r.body["assignee_name"]
        ),
        (&Value::Null, &Value::Null, &Value::Null, &Value::Null)
    );
    let r = d
        .patch_json(
            &url,
            &json!({"status": "In Progress", "blocking_reason": "still sent"}),
        )
        .await;
    assert_eq!(r.body["blocking_reason"], "");
    let r = d
        .patch_json(
            &url,
            &json!({"status": "Blocked", "blocking_reason": " waiting ", "assignee_id": ada}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["blocking_reason"], "waiting");
    assert_eq!(r.body["assignee_name"], "Ada");
}

#[tokio::test]
async fn malformed_ids_are_400_naming_them() {
    let (d, _db) = ready_daemon().await;
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let mut req = d.request(method.clone(), &task_url("not-a-uuid"));
        if method == Method::PATCH {
            req = req.json(&json!({}));
        }
        assert_error(
            &d.send(req).await,
            StatusCode::BAD_REQUEST,
            "task_id: Input should be a valid UUID",
        );
    }
}

#[tokio::test]
async fn list_filters_sorts_and_searches() {
    let (d, db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let specs = [
        ("100% done", "To Do", "Low", Some(&ada), None, None),
        ("a_b", "Done", "High", None, Some("x"), None),
        (
            r"back\slash",
            "In Progress",
            "Medium",
            Some(&ada),
            None,
            Some("0007"),
        ),
        (
            "Plain",
            "Blocked",
            "High",
            None,
            Some("Needle in DESCRIPTION"),
            None,
        ),
        ("ab", "To Do", "Medium", None, None, Some("1234")),
    ];
    let mut ids = Vec::new();
    for (title, status, priority, assignee, description, gear) in specs {
        let mut b = json!({"title": title, "status": status, "priority": priority,
                           "assignee_id": assignee, "description": description, "gear_id": gear});
        if status == "Blocked" {
            b["blocking_reason"] = json!("r");
        }
        ids.push(id_of(&create_task(&d, b).await));
    }
    // Distinct, known updated_at values: task i is i minutes old (0 newest).
    for (i, id) in ids.iter().enumerate() {
        sql(
            &db,
            &format!(
                "UPDATE tasks SET updated_at = now() - interval '{i} minutes' WHERE id = '{id}'"
            ),
        )
        .await;
    }
    let list = async |q: &str| {
        let r = d.get(&format!("{TASKS}{q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
        titles(&r.body)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list("").await,
        ["100% done", "a_b", r"back\slash", "Plain", "ab"]
    );
    assert_eq!(list("?sort=updated").await, list("").await);
    assert_eq!(
        list("?sort=priority").await,
        ["a_b", "Plain", r"back\slash", "ab", "100% done"]
    );
    assert_eq!(
        list("?sort=status").await,
        ["100% done", "ab", r"back\slash", "Plain", "a_b"]
    );
    assert_eq!(list("?status=To%20Do").await, ["100% done", "ab"]);
    assert_eq!(list("?status=To+Do&priority=Medium").await, ["ab"]);
    assert_eq!(
        list(&format!("?assignee={ada}")).await,
        ["100% done", r"back\slash"]
    );
    assert_eq!(list("?assignee=unassigned").await, ["a_b", "Plain", "ab"]);
    assert_eq!(
        list(&format!("?assignee={}", Uuid::new_v4())).await,
        Vec::<String>::new()
    );
    // Search: literal, case-insensitive, title/description/gear id, trimmed.
    assert_eq!(list("?search=%25").await, ["100% done"]);
    assert_eq!(list("?search=_").await, ["a_b"]);
    assert_eq!(list("?search=%5C").await, [r"back\slash"]);
    assert_eq!(list("?search=%20PLAIN%20").await, ["Plain"]);
    assert_eq!(list("?search=needle").await, ["Plain"]);
    assert_eq!(list("?search=123").await, ["ab"]);
    assert_eq!(list("?search=ab").await, ["ab"], "`a_b` is not `ab`");
    assert_eq!(
        list("?search=%20%20&unknown=1").await.len(),
        5,
        "blank search ignored"
    );
    assert_eq!(
        list("?search=a&sort=priority&priority=High").await,
        ["a_b", "Plain"]
    );

    for (q, message) in [
        (
            "?status=",
            "status: Input should be 'To Do', 'In Progress', 'Blocked' or 'Done'",
        ),
        (
            "?status=done",
            "status: Input should be 'To Do', 'In Progress', 'Blocked' or 'Done'",
        ),
        (
            "?priority=",
            "priority: Input should be 'High', 'Medium' or 'Low'",
        ),
        (
            "?assignee=",
            "Assignee filter must be a UUID or 'unassigned'",
        ),
        (
            "?assignee=nobody",
            "Assignee filter must be a UUID or 'unassigned'",
        ),
        (
            "?sort=title",
            "sort: Input should be 'updated', 'priority' or 'status'",
        ),
    ] {
        assert_error(
            &d.get(&format!("{TASKS}{q}")).await,
            StatusCode::BAD_REQUEST,
            message,
        );
    }
}

#[tokio::test]
async fn the_list_carries_sub_tasks_but_no_daily_updates() {
    let (d, _db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    let s0 = create_sub_task(&d, &t, "one").await;
    let s1 = create_sub_task(&d, &t, "two").await;
    let u0 = create_update(&d, &t, &ada, "first").await;
    let u1 = create_update(&d, &t, &ada, "second").await;
    let list = d.get(TASKS).await.body;
    assert_eq!(list[0]["sub_tasks"], json!([s0, s1]));
    assert_eq!(list[0]["daily_updates"], json!([]));
    let page = d.get(&task_url(&t)).await.body;
    assert_eq!(page["sub_tasks"], json!([s0, s1]));
    assert_eq!(page["daily_updates"], json!([u1, u0]), "newest first");
}

#[tokio::test]
async fn deleting_a_task_deletes_its_sub_tasks_and_updates() {
    let (d, db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let t = id_of(&create_task(&d, task_body("T")).await);
    let other = id_of(&create_task(&d, task_body("Other")).await);
    create_sub_task(&d, &t, "s").await;
    create_sub_task(&d, &other, "kept").await;
    create_update(&d, &t, &ada, "u").await;
    assert_eq!(d.delete(&task_url(&t)).await.status, StatusCode::NO_CONTENT);
    let counts = sql_text(
        &db,
        "SELECT (SELECT count(*) FROM sub_tasks)::text || ',' || (SELECT count(*) FROM daily_updates)::text",
    )
    .await;
    assert_eq!(counts, "1,0");
    // The member can go now that its update went with the task.
    assert_eq!(
        d.delete(&format!("{MEMBERS}/{ada}")).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn members_renamed_deleted_and_counted() {
    let (d, _db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let bo = member(&d, "Bo").await;
    let mut body = task_body("T1");
    body["assignee_id"] = json!(ada);
    let t1 = id_of(&create_task(&d, body.clone()).await);
    body["title"] = json!("T2");
    let t2 = create_task(&d, body).await;
    let t2_id = id_of(&t2);
    create_update(&d, &t1, &ada, "by ada").await;
    create_update(&d, &t1, &bo, "by bo").await;

    // Rename: every task of the member shows the new name, nothing else moves.
    let r = d
        .patch_json(&format!("{MEMBERS}/{ada}"), &json!({"name": " Ada L. "}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = d.get(TASKS).await.body;
    for t in list.as_array().unwrap() {
        assert_eq!(t["assignee_name"], "Ada L.", "{t}");
    }
    let after = d.get(&task_url(&t2_id)).await.body;
    assert_eq!(
        after["updated_at"], t2["updated_at"],
        "a rename does not touch tasks"
    );

    // Delete: tasks first, then authored updates.
    assert_error(
        &d.delete(&format!("{MEMBERS}/{ada}")).await,
        StatusCode::CONFLICT,
        "Cannot delete member with 2 assigned task(s). Reassign or complete them first.",
    );
    assert_error(
        &d.delete(&format!("{MEMBERS}/{bo}")).await,
        StatusCode::CONFLICT,
        "Cannot delete member with 1 authored daily update(s). Delete those updates first.",
    );
    for t in [&t1, &t2_id] {
        let r = d
            .patch_json(&task_url(t), &json!({"assignee_id": null}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_error(
        &d.delete(&format!("{MEMBERS}/{ada}")).await,
        StatusCode::CONFLICT,
        "Cannot delete member with 1 authored daily update(s). Delete those updates first.",
    );
}

#[tokio::test]
async fn every_route_is_503_before_the_database_is_configured() {
    let d = TestDaemon::start().await;
    // The port opens before the credential folder is read ("starting");
    // a slow start (Wine) can answer the first requests in between.
    d.wait_for_health(
        |r| r.text.contains("not configured"),
        std::time::Duration::from_secs(10),
    )
    .await;
    let id = Uuid::new_v4().to_string();
    for (what, r) in every_route(&d, &id).await {
        assert_error(
            &r,
            StatusCode::SERVICE_UNAVAILABLE,
            "Database not ready: connection is not configured. Save connection settings first.",
        );
        assert_unavailable(&r, what);
    }
}

/// One valid request of every route of tasks, sub-tasks and daily updates.
async fn every_route(
    d: &TestDaemon,
    id: &str,
) -> Vec<(&'static str, crate::helpers::daemon::ApiResponse)> {
    let sub = format!("{TASKS}/{id}/subtasks");
    let upd = format!("{TASKS}/{id}/updates");
    vec![
        ("list", d.get(TASKS).await),
        ("create", d.post_json(TASKS, &task_body("T")).await),
        ("get", d.get(&task_url(id)).await),
        (
            "patch",
            d.patch_json(&task_url(id), &json!({"title": "U"})).await,
        ),
        ("delete", d.delete(&task_url(id)).await),
        (
            "sub create",
            d.post_json(&sub, &json!({"title": "s"})).await,
        ),
        (
            "sub reorder",
            d.send(
                d.request(Method::PUT, &format!("{sub}/reorder"))
                    .json(&json!({"sub_task_ids": [id]})),
            )
            .await,
        ),
        (
            "sub toggle",
            d.send(d.request(Method::PATCH, &format!("{sub}/{id}/toggle")))
                .await,
        ),
        (
            "sub rename",
            d.patch_json(&format!("{sub}/{id}"), &json!({"title": "s"}))
                .await,
        ),
        ("sub delete", d.delete(&format!("{sub}/{id}")).await),
        (
            "update create",
            d.post_json(&upd, &json!({"author_id": id, "content": "c"}))
                .await,
        ),
        (
            "update edit",
            d.patch_json(&format!("{upd}/{id}"), &json!({"content": "c"}))
                .await,
        ),
        ("update delete", d.delete(&format!("{upd}/{id}")).await),
    ]
}

#[tokio::test]
async fn losing_the_database_gives_503_then_recovers() {
    let cluster = PgCluster::start();
    let (d, _db) = ready_daemon_on(&cluster).await;
    let t = create_task(&d, task_body("T")).await;
    let id = id_of(&t);
    cluster.exec_admin("CHECKPOINT").await.unwrap();
    cluster.stop();
    poll_until(
        Duration::from_secs(10),
        "list becomes 503",
        |r| r.status == StatusCode::SERVICE_UNAVAILABLE,
        async || d.get(TASKS).await,
    )
    .await;
    for (what, r) in every_route(&d, &id).await {
        assert_unavailable(&r, what);
    }
    cluster.start_again();
    poll_until(
        READY_TIMEOUT,
        "list works again",
        |r| r.status == StatusCode::OK,
        async || d.get(TASKS).await,
    )
    .await;
    assert_eq!(d.get(TASKS).await.body, json!([t]));
    create_sub_task(&d, &id, "after").await;
}

#[tokio::test]
async fn writes_by_another_daemon_or_sql_are_visible_within_a_second() {
    let (a, db) = ready_daemon().await;
    let b = daemon_on(&db).await;
    let limit = Duration::from_secs(1);

    let t = create_task(&a, task_body("From A")).await;
    let id = id_of(&t);
    let (r, _) = poll_until(
        limit,
        "B sees A's task",
        |r| r.body.as_array().is_some_and(|l| l.len() == 1),
        async || b.get(TASKS).await,
    )
    .await;
    assert_eq!(r.body, json!([t]));
    create_sub_task(&b, &id, "from B").await;
    poll_until(
        limit,
        "A sees B's sub-task",
        |r| r.body["sub_tasks"][0]["title"] == "from B",
        async || a.get(&task_url(&id)).await,
    )
    .await;

    // Direct SQL, as the Python backend would write (ids from the database's default).
    sql(
        &db,
        &format!(
            "INSERT INTO sub_tasks (task_id, title, position) VALUES ('{id}', 'from SQL', 1); \
         UPDATE tasks SET title = 'Renamed by SQL' WHERE id = '{id}'"
        ),
    )
    .await;
    for d in [&a, &b] {
        let (r, _) = poll_until(
            limit,
            "SQL write visible",
            |r| r.body[0]["title"] == "Renamed by SQL",
            async || d.get(TASKS).await,
        )
        .await;
        assert_eq!(r.body[0]["sub_tasks"][1]["title"], "from SQL");
    }
    sql(&db, "DELETE FROM tasks").await;
    for d in [&a, &b] {
        poll_until(
            limit,
            "SQL delete visible",
            |r| r.body == json!([]),
            async || d.get(TASKS).await,
        )
        .await;
    }
}
