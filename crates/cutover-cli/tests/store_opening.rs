//! Which commands create a store: `init`, `serve`, `flag create` and `import`. Every other command
//! on a missing store, an empty (0-byte) file or a PostgreSQL database without cutover's schema
//! exits 1 saying so and creates nothing; an empty file is never turned into a new store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

/// Commands that only read or change an existing store.
const NEED_A_STORE: &[&[&str]] = &[
    &["audit", "verify"],
    &["audit", "recent"],
    &["audit", "query"],
    &["audit", "export"],
    &["flag", "list"],
    &["flag", "get", "checkout"],
    &["rollout", "set", "checkout", "--percent", "5"],
    &["stage", "set", "checkout", "beta"],
    &["kill", "checkout"],
    &["override", "list"],
    &["override", "sweep"],
    &["preset", "list"],
    &["eval", "checkout"],
    &["export"],
    &["token", "list"],
    &["token", "create", "ci", "--role", "viewer"],
    &["slo", "status"],
];

/// The store file and the SQLite files that go with it.
fn leftovers(c: &Cutover) -> Vec<String> {
    ["cutover.db", "cutover.db-wal", "cutover.db-shm"]
        .into_iter()
        .filter(|name| c.path(name).exists())
        .map(str::to_owned)
        .collect()
}

#[test]
fn commands_that_need_a_store_refuse_a_missing_one_and_create_nothing() {
    let c = Cutover::new();
    for args in NEED_A_STORE {
        let run = c.run(args);
        assert_eq!(
            run.code, 1,
            "cutover {args:?}: {}{}",
            run.stdout, run.stderr
        );
        assert!(
            run.stderr.contains("no cutover store")
                && run.stderr.contains("cutover.db")
                && run.stderr.contains("cutover init"),
            "cutover {args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("intact"),
            "cutover {args:?}: {}",
            run.stdout
        );
        assert_eq!(leftovers(&c), Vec::<String>::new(), "cutover {args:?}");
    }
}

#[test]
fn an_empty_file_is_never_started_afresh_not_even_by_serve() {
    let c = Cutover::new();
    std::fs::write(&c.db, b"").unwrap();
    let import = c.write("flags.json", r#"{"flags": [{"key": "checkout"}]}"#);
    let mut all: Vec<&[&str]> = NEED_A_STORE.to_vec();
    let creating: &[&[&str]] = &[
        &["serve", "--listen", "127.0.0.1:0"],
        &["init"],
        &["flag", "create", "checkout"],
        &["import", import.to_str().unwrap()],
    ];
    all.extend_from_slice(creating);
    for args in all {
        let run = c.run(args);
        assert_eq!(
            run.code, 1,
            "cutover {args:?}: {}{}",
            run.stdout, run.stderr
        );
        assert!(
            run.stderr.contains("is empty")
                && run.stderr.contains("cutover.db")
                && run.stderr.contains("nothing was changed")
                && run.stderr.contains("cutover init"),
            "cutover {args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("cut_"),
            "a token was minted: {}",
            run.stdout
        );
        assert_eq!(std::fs::read(&c.db).unwrap(), b"", "cutover {args:?}");
        assert_eq!(leftovers(&c), ["cutover.db"], "cutover {args:?}");
    }
}

#[test]
fn init_creates_an_empty_store_and_leaves_an_existing_one_alone() {
    let c = Cutover::new();
    let made = c.run(&["init"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(made.stdout.contains("created"), "{}", made.stdout);
    assert!(c.db.exists());
    assert_eq!(c.ok(&["--json", "flag", "list"]).trim(), "[]");
    assert!(c.ok(&["audit", "verify"]).contains("0 entries"));

    c.ok(&["flag", "create", "checkout"]);
    let before = c.state();
    let again = c.run(&["init"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("already"), "{}", again.stdout);
    assert_eq!(c.state(), before);
}

#[test]
fn flag_create_and_import_create_the_store_they_need() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    assert!(c.ok(&["flag", "list"]).contains("checkout"));

    let other = Cutover::new();
    let import = other.write("flags.json", r#"{"flags": [{"key": "checkout"}]}"#);
    other.ok(&["import", import.to_str().unwrap()]);
    assert!(other.ok(&["flag", "list"]).contains("checkout"));
}

fn has_cutover_schema(url: &str) -> bool {
    let out = std::process::Command::new("psql")
        .args([
            url,
            "-qtAc",
            "SELECT to_regclass('cutover_schema') IS NOT NULL",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim() == "t"
}

#[test]
fn commands_that_need_a_store_never_create_the_postgresql_schema() {
    let Some(db) = common::postgres::database("no_schema_created_by_reads") else {
        return;
    };
    let c = Cutover::on_postgres(&db.url);
    for args in NEED_A_STORE {
        let run = c.run(args);
        assert_eq!(
            run.code, 1,
            "cutover {args:?}: {}{}",
            run.stdout, run.stderr
        );
        assert!(
            run.stderr.contains("no cutover store") && run.stderr.contains("cutover init"),
            "cutover {args:?}: {}",
            run.stderr
        );
        assert!(!has_cutover_schema(&db.url), "cutover {args:?} created it");
    }
    c.ok(&["init"]);
    assert!(has_cutover_schema(&db.url));
    assert_eq!(c.ok(&["--json", "flag", "list"]).trim(), "[]");
}
