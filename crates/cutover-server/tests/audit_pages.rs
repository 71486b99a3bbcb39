//! The audit log is read in bounded pages: `GET /api/v1/audit` answers at most `limit` entries
//! (100 by default, 500 at most) with a `Link: <...>; rel="next"` to the rest, and
//! `GET /api/v1/audit/export` streams every matching entry as JSON lines, page by page, instead
//! of building one answer (a viewer's read of a large log was one 146 MB answer before).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Fixture, fixture, meta};
use cutover_core::{FlagChange, FlagKey, Role};
use cutover_server::ServerConfig;

/// Toggles the kill switch of `checkout` until the log has `total` entries.
async fn entries(f: &Fixture, total: u64) {
    let key = FlagKey::new("checkout").unwrap();
    let mut head = f.live.view().head;
    let mut kill = true;
    while head < total {
        let change = if kill {
            FlagChange::Kill
        } else {
            FlagChange::Unkill
        };
        kill = !kill;
        head = f
            .store
            .change_flag(&key, None, &[change], &meta())
            .await
            .unwrap()
            .audit_id
            .unwrap();
    }
    f.live.catch_up().await.unwrap();
}

/// The URL of the next page, from the Link header.
fn next(answer: &common::Answer) -> Option<String> {
    let link = answer.headers.get("link")?.to_str().unwrap();
    let (url, rel) = link.split_once(';').unwrap();
    assert_eq!(rel.trim(), "rel=\"next\"", "{link}");
    Some(
        url.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned(),
    )
}

fn ids(answer: &common::Answer) -> Vec<u64> {
    answer
        .body
        .as_array()
        .unwrap_or_else(|| panic!("{}", answer.text))
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn audit_reads_come_in_bounded_pages_linked_to_the_next() {
    let f = fixture(ServerConfig::default()).await;
    entries(&f, 250).await;
    let first = f
        .call("GET", "/api/v1/audit", Some(Role::Viewer), None)
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        ids(&first),
        (1..=100).collect::<Vec<_>>(),
        "a default page of 100"
    );

    for (start, order, expect) in [
        (
            "/api/v1/audit?limit=70",
            "oldest",
            (1..=250).collect::<Vec<u64>>(),
        ),
        (
            "/api/v1/audit?order=newest&limit=70",
            "newest",
            (1..=250).rev().collect(),
        ),
    ] {
        let mut seen = Vec::new();
        let mut url = Some(start.to_owned());
        let mut pages = 0;
        while let Some(u) = url {
            let page = f.call("GET", &u, Some(Role::Viewer), None).await;
            assert_eq!(page.status, 200, "{u}: {}", page.text);
            assert!(ids(&page).len() <= 70, "{u}");
            seen.extend(ids(&page));
            url = next(&page);
            pages += 1;
        }
        assert_eq!(seen, expect, "{order}: every entry once, in order");
        assert_eq!(
            pages, 4,
            "{order}: 70 + 70 + 70 + 40, and no link after the last"
        );
    }

    // Filters carry over to the next page.
    let filtered = f
        .call(
            "GET",
            "/api/v1/audit?action=flag.kill&flag=checkout&limit=10",
            Some(Role::Viewer),
            None,
        )
        .await;
    let link = next(&filtered).unwrap();
    assert!(
        link.contains("action=flag.kill") && link.contains("flag=checkout"),
        "{link}"
    );
    let second = f.call("GET", &link, Some(Role::Viewer), None).await;
    assert!(
        second
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] == "flag.kill"),
        "{}",
        second.text
    );

    // The page size is bounded.
    let most = f
        .call("GET", "/api/v1/audit?limit=500", Some(Role::Viewer), None)
        .await;
    assert_eq!(ids(&most).len(), 250);
    assert!(next(&most).is_none());
    for limit in ["0", "501"] {
        let refused = f
            .call(
                "GET",
                &format!("/api/v1/audit?limit={limit}"),
                Some(Role::Viewer),
                None,
            )
            .await;
        assert_eq!(refused.status, 422, "{limit}: {}", refused.text);
        assert_eq!(refused.body["field"], "limit");
        assert!(refused.text.contains("500"), "{}", refused.text);
    }
}

#[tokio::test]
async fn the_export_streams_every_entry_as_json_lines() {
    let f = fixture(ServerConfig::default()).await;
    entries(&f, 345).await;
    let all = f
        .call("GET", "/api/v1/audit/export", Some(Role::Viewer), None)
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.headers["content-type"], "application/x-ndjson");
    assert!(
        !all.headers.contains_key("content-length"),
        "streamed, not built as one answer"
    );
    let lines: Vec<serde_json::Value> = all
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<u64> = lines.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=345).collect::<Vec<_>>(), "three pages and a bit");
    let newest = f
        .call(
            "GET",
            "/api/v1/audit/export?order=newest&action=flag.unkill",
            Some(Role::Viewer),
            None,
        )
        .await;
    let ids: Vec<u64> = newest
        .text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        ids.len() > 160 && ids.windows(2).all(|w| w[0] > w[1]),
        "{ids:?}"
    );
    let capped = f
        .call(
            "GET",
            "/api/v1/audit/export?limit=230&after_id=10",
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(
        capped.text.lines().count(),
        230,
        "a limit caps an export, it is not a page"
    );
}

#[tokio::test]
async fn a_page_of_large_entries_ends_near_a_mebibyte() {
    let f = fixture(ServerConfig::default()).await;
    let key = FlagKey::new("big").unwrap();
    let mut big = cutover_core::Flag::new(key.clone());
    big.description = "d".repeat(4096);
    f.store.create_flag(big, &meta()).await.unwrap();
    for i in 0..250 {
        let change = if i % 2 == 0 {
            FlagChange::Kill
        } else {
            FlagChange::Unkill
        };
        f.store
            .change_flag(&key, None, &[change], &meta())
            .await
            .unwrap();
    }
    let mut url = Some("/api/v1/audit?flag=big&limit=500".to_owned());
    let mut sizes = Vec::new();
    while let Some(u) = url {
        let page = f.call("GET", &u, Some(Role::Viewer), None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(
            page.text.len() < 1024 * 1024 + 64 * 1024,
            "{} bytes",
            page.text.len()
        );
        sizes.push(ids(&page).len());
        url = next(&page);
    }
    assert!(sizes.len() >= 2 && sizes[0] < 251, "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 251, "{sizes:?}");
}
