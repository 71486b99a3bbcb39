//! `cutover serve` against clients that open connections and never finish a request, declare
//! bodies they never send, or hang on during a shutdown: the node stays answerable, its memory
//! stays bounded, and it stops within its grace period.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::Cutover;
use common::served::Served;

fn addr(served: &Served) -> SocketAddr {
    served
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("serve prints host:port")
}

/// The first line of what the server answers on `stream`, or what happened instead.
fn status_line(stream: &mut TcpStream, wait: Duration) -> Result<String, String> {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) if answer.is_empty() => return Err("closed without an answer".into()),
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!("no answer within {wait:?}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// Resident and peak memory of a process, in MiB, from /proc.
fn memory_mib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = |field: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (kib("VmRSS:") / 1024, kib("VmHWM:") / 1024)
}

fn admin(served: &Served) -> String {
    served
        .admin_token
        .clone()
        .expect("a new store prints its admin token")
}

fn create_flag(c: &Cutover, served: &Served, key: &str) {
    let token = admin(served);
    c.ok(&[
        "--server",
        &served.url,
        "--token",
        &token,
        "flag",
        "create",
        key,
    ]);
}

/// Idle connections that sent part of a request head, held open, from one process: at most
/// `attempts`, for at most `budget`. Connections the server closes are let go, as an attacker's
/// would be, so the flood is bounded by the server's limits, not by this process's descriptors.
struct Flood {
    held: Vec<TcpStream>,
    opened: usize,
    refused_or_closed: usize,
}

impl Flood {
    fn open(target: SocketAddr, attempts: usize, budget: Duration) -> Flood {
        let started = Instant::now();
        let mut flood = Flood {
            held: Vec::new(),
            opened: 0,
            refused_or_closed: 0,
        };
        for i in 0..attempts {
            if started.elapsed() > budget {
                break;
            }
            match TcpStream::connect_timeout(&target, Duration::from_millis(500)) {
                Ok(mut s) => {
                    flood.opened += 1;
                    // Half a request head: never finished.
                    let _ = s.write_all(b"POST /api/v1/flags HTTP/1.1\r\nHost: x\r\nContent-");
                    s.set_nonblocking(true).unwrap();
                    flood.held.push(s);
                }
                Err(_) => flood.refused_or_closed += 1,
            }
            if i % 500 == 499 {
                flood.let_go_of_closed();
            }
        }
        flood.let_go_of_closed();
        flood
    }

    fn let_go_of_closed(&mut self) {
        let before = self.held.len();
        let mut buf = [0u8; 512];
        // Still open (nothing to read yet) stays; closed by the server (EOF or reset) goes.
        self.held.retain_mut(
            |s| matches!(s.read(&mut buf), Err(e) if e.kind() == ErrorKind::WouldBlock),
        );
        self.refused_or_closed += before - self.held.len();
    }
}

#[test]
fn a_held_flood_of_idle_connections_leaves_the_kill_switch_answering() {
    let c = Cutover::new();
    let served = c.serve(&[]);
    create_flag(&c, &served, "checkout");
    let target = addr(&served);
    let pid = served.child.id();
    let (rss_before, _) = memory_mib(pid);

    let flood = Flood::open(target, 20_000, Duration::from_secs(90));
    assert!(
        flood.opened + flood.refused_or_closed >= 20_000,
        "the flood ran out of time: {} opened",
        flood.opened
    );

    // While the flood is held: an operator's kill switch, through the CLI, from the same address.
    let token = admin(&served);
    let started = Instant::now();
    let killed = c.run(&[
        "--server",
        &served.url,
        "--token",
        &token,
        "kill",
        "checkout",
        "--reason",
        "flood",
    ]);
    let took = started.elapsed();
    assert_eq!(killed.code, 0, "{}", killed.stderr);
    assert!(
        took < Duration::from_secs(1),
        "the kill switch took {took:?} under a flood of {} held connections",
        flood.held.len()
    );
    let (rss, peak) = memory_mib(pid);
    eprintln!(
        "flood: {} connections opened, {} still held; kill switch {took:?}; server memory \
         {rss_before} MiB before, {rss} MiB now, peak {peak} MiB",
        flood.opened,
        flood.held.len()
    );
    assert!(
        peak < 300,
        "the server's memory peaked at {peak} MiB (from {rss_before} MiB, now {rss} MiB)"
    );
    // Evaluation answers too.
    let mut ofrep = TcpStream::connect(target).unwrap();
    let body = r#"{"context":{"targetingKey":"u1"}}"#;
    write!(
        ofrep,
        "POST /ofrep/v1/evaluate/flags/checkout HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \
         {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    assert_eq!(
        status_line(&mut ofrep, Duration::from_secs(1)).unwrap(),
        "HTTP/1.1 200 OK"
    );
    drop(flood);
}

#[test]
fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let c = Cutover::new();
    let served = c.serve(&[]);
    let mut s = TcpStream::connect(addr(&served)).unwrap();
    write!(
        s,
        "POST /api/v1/flags HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n",
        admin(&served)
    )
    .unwrap();
    assert_eq!(
        status_line(&mut s, Duration::from_secs(2)).unwrap(),
        "HTTP/1.1 413 Payload Too Large"
    );
}

#[test]
fn a_head_that_never_ends_is_closed_after_the_header_timeout() {
    let c = Cutover::new();
    let served = c.serve(&["--header-timeout", "1s"]);
    let mut s = TcpStream::connect(addr(&served)).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    // hyper closes such a connection; whether it says 408 first or not, it must end.
    let answer = status_line(&mut s, Duration::from_secs(5));
    assert!(
        !matches!(&answer, Err(e) if e.starts_with("no answer")),
        "the half-sent head was still open after {:?}",
        started.elapsed()
    );
}

#[test]
fn a_body_that_stops_arriving_is_answered_408() {
    let c = Cutover::new();
    let served = c.serve(&["--body-timeout", "1s"]);
    let mut s = TcpStream::connect(addr(&served)).unwrap();
    write!(
        s,
        "POST /api/v1/flags HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"key\":",
        admin(&served)
    )
    .unwrap();
    assert_eq!(
        status_line(&mut s, Duration::from_secs(5)).unwrap(),
        "HTTP/1.1 408 Request Timeout"
    );
}

#[test]
fn over_the_per_address_limit_idle_connections_give_way_and_busy_ones_refuse_clearly() {
    let c = Cutover::new();
    let served = c.serve(&["--max-connections-per-ip", "3"]);
    let target = addr(&served);
    let token = admin(&served);
    // Three idle connections: a fourth, real request takes the place of the oldest.
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(target).unwrap())
        .collect();
    let mut request = TcpStream::connect(target).unwrap();
    request
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(
        status_line(&mut request, Duration::from_secs(2)).unwrap(),
        "HTTP/1.1 200 OK"
    );
    drop(idle);
    drop(request);
    std::thread::sleep(Duration::from_millis(200));

    // Three change streams are busy for as long as they last: the next connection is refused
    // with a 503 that says which limit.
    let streams: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(target).unwrap();
            write!(
                s,
                "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
            )
            .unwrap();
            assert_eq!(
                status_line(&mut s, Duration::from_secs(2)).unwrap(),
                "HTTP/1.1 200 OK"
            );
            s
        })
        .collect();
    let mut refused = TcpStream::connect(target).unwrap();
    let mut answer = String::new();
    refused
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let _ = refused.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "expected a 503, got {answer:?}"
    );
    assert!(
        answer.contains("--max-connections-per-ip") && answer.contains("127.0.0.1"),
        "{answer}"
    );
    drop(streams);
}

#[test]
fn shutdown_ends_within_its_grace_period_with_a_stalled_client_connected() {
    let c = Cutover::new();
    let mut served = c.serve(&["--shutdown-grace", "2s", "--body-timeout", "60s"]);
    let target = addr(&served);
    // A request whose body stalls inside a handler, and a change stream.
    let mut stalled = TcpStream::connect(target).unwrap();
    write!(
        stalled,
        "POST /api/v1/flags HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"key\":",
        admin(&served)
    )
    .unwrap();
    let mut half_head = TcpStream::connect(target).unwrap();
    half_head.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let pid = served.child.id().to_string();
    let started = Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Duration::from_secs(6);
    let code = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            started.elapsed() < deadline,
            "serve was still running {deadline:?} after SIGTERM with a 2 s grace period"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        code,
        Some(0),
        "a shutdown after the grace period is still clean"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the stalled request was given its grace period, not cut at once ({:?})",
        started.elapsed()
    );
    drop(stalled);
}
