//! The task list served from the daemon's cache (src/db/tasks_cache.rs):
//! it is really used, it answers byte for byte what the database would, this
//! daemon's own writes show in the very next list, and writes by direct SQL
//! (another daemon, the Python backend) within TASKS-API.md's 1 s; with a
//! counting trigger disabled nothing is cached.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestDaemon;
use crate::helpers::team::*;

/// TASKS-API.md: another daemon's or SQL's write within 1 s.
const COHERENCE_DEADLINE: Duration = Duration::from_secs(1);

/// The hook's view of the unfiltered list's cache: (enabled, cached).
async fn cache_state(d: &TestDaemon) -> (bool, bool) {
    let r = d.get("/__test/tasks-cache").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (
        r.body["enabled"].as_bool().unwrap(),
        r.body["cached"].as_bool().unwrap(),
    )
}

/// Lists until the unfiltered list is cached, and returns that list.
async fn cached_list(d: &TestDaemon) -> Value {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let r = d.get(TASKS).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        if cache_state(d).await == (true, true) {
            return r.body;
        }
        assert!(Instant::now() < deadline, "the task list was never cached");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One GET of the list: no polling, so "at once" is what is checked.
async fn list_now(d: &TestDaemon) -> Value {
    let r = d.get(TASKS).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test]
async fn own_writes_show_in_the_very_next_cached_list() {
    let (d, _db) = ready_daemon().await;
    let ada = member(&d, "Ada").await;
    let first = create_task(
        &d,
        json!({"title": "First", "status": "To Do",
        "priority": "Low", "assignee_id": ada}),
    )
    .await;
    let first_id = id_of(&first);
    let sub = create_sub_task(&d, &first_id, "step").await;
    let second = create_task(&d, task_body("Second")).await;
    let second_id = id_of(&second);

    let list = cached_list(&d).await;
    assert_eq!(list[0]["title"], "Second", "newest first");

    // Each write, then one list: it must already show.
    let r = d
        .patch_json(&task_url(&first_id), &json!({"title": "First, renamed"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = list_now(&d).await;
    assert_eq!(
        list[0]["title"], "First, renamed",
        "touched: now the newest"
    );

    let r = d
        .send(d.request(
            Method::PATCH,
            &format!("{}/subtasks/{}/toggle", task_url(&first_id), id_of(&sub)),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(list_now(&d).await[0]["sub_tasks"][0]["completed"], true);

    create_update(&d, &second_id, &ada, "worked on it").await;
    assert_eq!(
        list_now(&d).await[0]["title"],
        "Second",
        "a daily update touches its task"
    );

    let r = d
        .patch_json(&format!("{MEMBERS}/{ada}"), &json!({"name": "Ada L."}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = list_now(&d).await;
    let first_now = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == first_id.as_str())
        .unwrap();
    assert_eq!(
        first_now["assignee_name"], "Ada L.",
        "a rename shows at once"
    );

    let r = d
        .delete(&format!("{}/subtasks/{}", task_url(&first_id), id_of(&sub)))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = d.delete(&task_url(&second_id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let list = list_now(&d).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["sub_tasks"], json!([]));
    // And the cache is back in use after all those writes.
    assert_eq!(cached_list(&d).await, list);
}

#[tokio::test]
async fn the_cached_lists_are_byte_for_byte_what_a_fresh_read_answers() {
    let (a, db) = ready_daemon().await;
    let ada = member(&a, "Ada").await;
    for (i, status) in ["To Do", "Done", "Blocked", "In Progress"]
        .iter()
        .enumerate()
    {
        let mut body = json!({"title": format!("Task {i} 100%_\\"), "status": status,
            "priority": "High", "assignee_id": ada});
        if *status == "Blocked" {
            body["blocking_reason"] = json!("parts");
        }
        let t = create_task(&a, body).await;
        create_sub_task(&a, &id_of(&t), "a").await;
    }
    cached_list(&a).await;
    let queries = [
        "",
        "?status=Done",
        "?sort=priority",
        "?sort=status",
        "?search=100%25_",
        &format!("?assignee={ada}"),
    ];
    // Twice on A (the second from its cache), once on a fresh daemon B.
    let b = daemon_on(&db).await;
    for q in queries {
        let path = format!("{TASKS}{q}");
        let fresh = a.get(&path).await;
        let cached = a.get(&path).await;
        let other = b.get(&path).await;
        assert_eq!(fresh.status, StatusCode::OK, "{q}: {}", fresh.text);
        assert_eq!(cached.text, fresh.text, "{q}");
        assert_eq!(other.text, fresh.text, "{q}");
    }
    assert_eq!(cache_state(&a).await, (true, true));
}

#[tokio::test]
async fn direct_sql_writes_show_in_the_cached_list_within_a_second() {
    let (d, db) = ready_daemon().await;
    let t = create_task(&d, task_body("Pump")).await;
    let id = id_of(&t);
    create_sub_task(&d, &id, "check seals").await;
    cached_list(&d).await;

    let cases = [
        (
            format!("UPDATE sub_tasks SET completed = true WHERE task_id = '{id}'"),
            "sub-task toggled by SQL",
        ),
        (
            format!("UPDATE tasks SET title = 'Pump (SQL)' WHERE id = '{id}'"),
            "task renamed by SQL",
        ),
        (
            "INSERT INTO tasks (title, status, priority) VALUES ('From SQL', 'Done', 'Low')"
                .to_owned(),
            "task inserted by SQL",
        ),
    ];
    let checks: [fn(&Value) -> bool; 3] = [
        |l| l[0]["sub_tasks"][0]["completed"] == true,
        |l| {
            l.as_array()
                .unwrap()
                .iter()
                .any(|t| t["title"] == "Pump (SQL)")
        },
        |l| l.as_array().unwrap().len() == 2,
    ];
    for ((statement, what), done) in cases.iter().zip(checks) {
        cached_list(&d).await;
        sql(&db, statement).await;
        let (_, took) = poll_until(
            COHERENCE_DEADLINE,
            what,
            |r| r.status == StatusCode::OK && done(&r.body),
            async || d.get(TASKS).await,
        )
        .await;
        assert!(took <= COHERENCE_DEADLINE, "{what}: {took:?}");
    }
    sql(&db, "TRUNCATE tasks CASCADE").await;
    poll_until(
        COHERENCE_DEADLINE,
        "TRUNCATE by SQL",
        |r| r.body == json!([]),
        async || d.get(TASKS).await,
    )
    .await;
}

#[tokio::test]
async fn with_a_counting_trigger_disabled_nothing_is_cached() {
    let (d, db) = ready_daemon().await;
    let t = create_task(&d, task_body("Pump")).await;
    let id = id_of(&t);
    create_sub_task(&d, &id, "seal").await;
    cached_list(&d).await;

    sql(
        &db,
        "ALTER TABLE sub_tasks DISABLE TRIGGER taskflow_sub_tasks_count",
    )
    .await;
    // The next check past the freshness window sees the trigger off.
    let deadline = Instant::now() + COHERENCE_DEADLINE;
    while cache_state(&d).await != (false, false) {
        assert!(Instant::now() < deadline, "the cache stayed on");
        d.get(TASKS).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Uncounted writes are seen at once, since every list reads the database.
    sql(
        &db,
        &format!("UPDATE sub_tasks SET title = 'uncounted' WHERE task_id = '{id}'"),
    )
    .await;
    assert_eq!(list_now(&d).await[0]["sub_tasks"][0]["title"], "uncounted");
    assert_eq!(cache_state(&d).await, (false, false));
}

#[tokio::test]
async fn task_pages_are_cached_and_show_own_and_sql_writes() {
    let (a, db) = ready_daemon().await;
    let ada = member(&a, "Ada").await;
    let t = create_task(&a, task_body("Pump")).await;
    let id = id_of(&t);
    create_sub_task(&a, &id, "seal").await;
    create_update(&a, &id, &ada, "day 1").await;
    let page = task_url(&id);

    // Cached: a second read and a fresh daemon's read are byte-identical.
    let b = daemon_on(&db).await;
    let fresh = a.get(&page).await;
    let cached = a.get(&page).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(cached.text, fresh.text);
    assert_eq!(b.get(&page).await.text, fresh.text);

    // Own writes: in the very next read.
    create_update(&a, &id, &ada, "day 2").await;
    let r = a.get(&page).await;
    assert_eq!(r.body["daily_updates"][0]["content"], "day 2", "{}", r.text);
    // SQL writes (another daemon, the Python backend): within 1 s.
    sql(
        &db,
        &format!("UPDATE daily_updates SET content = 'edited by SQL' WHERE task_id = '{id}' AND content = 'day 1'"),
    )
    .await;
    poll_until(
        COHERENCE_DEADLINE,
        "SQL edit of a daily update",
        |r| {
            r.body["daily_updates"]
                .as_array()
                .is_some_and(|u| u.iter().any(|u| u["content"] == "edited by SQL"))
        },
        async || a.get(&page).await,
    )
    .await;
    sql(&db, &format!("DELETE FROM tasks WHERE id = '{id}'")).await;
    poll_until(
        COHERENCE_DEADLINE,
        "SQL delete of the task",
        |r| r.status == StatusCode::NOT_FOUND,
        async || a.get(&page).await,
    )
    .await;
    assert_eq!(
        a.get(&page).await.body,
        json!({"error": "Task not found"}),
        "a missing task is never cached"
    );
}
