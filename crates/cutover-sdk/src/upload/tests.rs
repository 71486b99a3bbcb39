//! The uploader against a server that answers every request with a fixed status: what it keeps
//! for later and what it lets go.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cutover_core::{Timestamp, Variant};

use super::Uploader;
use crate::metrics::{Outcome, Recorder};

/// A server on a thread that answers each request with `status` and counts them.
fn server(status: u16) -> (String, Arc<AtomicUsize>) {
    slow_server(status, std::time::Duration::ZERO)
}

/// [`server`], taking `delay` over each request before it counts and answers it.
fn slow_server(status: u16, delay: std::time::Duration) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counted = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            std::thread::sleep(delay);
            counted.fetch_add(1, Ordering::SeqCst);
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\
                 connection: close\r\n\r\n{{}}"
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (url, seen)
}

fn recorder_with_a_batch() -> Arc<Recorder> {
    let recorder = Arc::new(Recorder::default());
    recorder.record("checkout", Variant::New, &Outcome::default());
    recorder.cut();
    assert_eq!(recorder.pending(), 1);
    recorder
}

#[tokio::test]
async fn a_batch_the_server_refuses_as_invalid_is_let_go_not_retried_forever() {
    let (url, seen) = server(422);
    let recorder = recorder_with_a_batch();
    let uploader = Uploader::new(&url, "t", recorder.clone()).unwrap();
    uploader.drain().await;
    uploader.drain().await;
    assert_eq!(seen.load(Ordering::SeqCst), 1, "sent once, never again");
    assert_eq!(recorder.pending(), 0);
    assert_eq!(
        recorder.dropped.load(Ordering::Relaxed),
        1,
        "counted as dropped"
    );
}

#[tokio::test]
async fn a_batch_refused_for_now_is_kept_for_the_next_round() {
    for status in [429, 503] {
        let (url, seen) = server(status);
        let recorder = recorder_with_a_batch();
        let uploader = Uploader::new(&url, "t", recorder.clone()).unwrap();
        uploader.drain().await;
        uploader.drain().await;
        assert_eq!(seen.load(Ordering::SeqCst), 2, "{status}: tried again");
        assert_eq!(recorder.pending(), 1, "{status}");
        assert_eq!(recorder.dropped.load(Ordering::Relaxed), 0, "{status}");
    }
}

#[tokio::test]
async fn a_batch_too_old_for_any_server_is_never_sent() {
    let (url, seen) = server(200);
    let recorder = Arc::new(Recorder::default());
    // A window that began 20 minutes ago (a process paused, a server away for long).
    *recorder.window_start.lock().unwrap() = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_mins(20))
        .unwrap();
    recorder.record("checkout", Variant::New, &Outcome::default());
    recorder.cut();
    let uploader = Uploader::new(&url, "t", recorder.clone()).unwrap();
    uploader.drain().await;
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the server would refuse it");
    assert_eq!(recorder.pending(), 0);
    assert_eq!(recorder.dropped.load(Ordering::Relaxed), 1);
}

/// A flush while the periodic upload is still sending a batch waits for that batch: a process
/// that flushes and exits must not lose it (loadgen lost a second of calls this way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_waits_for_a_batch_already_being_sent() {
    let (url, seen) = slow_server(200, std::time::Duration::from_millis(300));
    let recorder = recorder_with_a_batch();
    let uploader = Uploader::new(&url, "t", recorder.clone()).unwrap();
    let periodic = uploader.clone();
    let sending = tokio::spawn(async move { periodic.cut_and_drain().await });
    // The periodic round has taken the batch off the queue and waits for the server.
    while recorder.pending() > 0 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    uploader.cut_and_drain().await;
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the flush returned before the batch under way was delivered"
    );
    sending.await.unwrap();
}
