//! What the guarded-rollout tests share: a webhook receiver that keeps every alert, the admin
//! API of a served store, and arm figures uploaded straight to its metrics endpoint.

use std::sync::{Arc, Mutex};

use cutover_core::Timestamp;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::served::Served;

/// A local webhook receiver: every POST body it got, as JSON.
pub(crate) async fn webhook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some((head, body)) = text.split_once("\r\n\r\n") else {
                        continue;
                    };
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    if body.len() < length {
                        continue;
                    }
                    if let Ok(v) = serde_json::from_str(&body[..length]) {
                        store.lock().unwrap().push(v);
                    }
                    let _ = socket
                        .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    return;
                }
            });
        }
    });
    (url, got)
}

pub(crate) fn api(
    served: &Served,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}/api/v1{path}", served.url))
        .bearer_auth(token)
}

/// Uploads one batch of both arms' figures, closing now, straight to the metrics endpoint. Every
/// call takes 1 ms (the server refuses a sketch that does not count one latency per call).
pub(crate) async fn upload(
    served: &Served,
    token: &str,
    flag: &str,
    legacy: (u64, u64),
    new: (u64, u64),
) {
    let now = Timestamp::now();
    let latency = |calls: u64| {
        if calls == 0 {
            json!({"buckets": []})
        } else {
            json!({"buckets": [[cutover_core::latency_bucket(1000), calls]]})
        }
    };
    let batch = json!({
        "window_start": now.to_string(),
        "window_end": now.to_string(),
        "arms": [
            {"flag": flag, "arm": "legacy", "calls": legacy.0, "errors": legacy.1,
             "fallbacks": 0, "retries": 0, "latency": latency(legacy.0)},
            {"flag": flag, "arm": "new", "calls": new.0, "errors": new.1,
             "fallbacks": 0, "retries": 0, "latency": latency(new.0)},
        ],
    });
    let r = api(served, token, reqwest::Method::POST, "/metrics")
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}
