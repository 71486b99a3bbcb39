//! A client with no server: evaluation from a `cutover export` file, unknown flags, handles.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cutover_sdk::{Client, Context, Variant};

fn export_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("flags.json");
    std::fs::write(
        &path,
        r#"{"flags": [
            {"key": "on", "stage": "production", "rollout_percent": 100},
            {"key": "half", "stage": "beta", "rollout_percent": 50,
             "overrides": [{"attribute": "user_id", "value": "vip", "variant": "new"}]},
            {"key": "killed", "stage": "production", "rollout_percent": 100, "killed": true}
        ]}"#,
    )
    .unwrap();
    path
}

#[test]
fn an_export_file_is_enough_to_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::offline(export_file(&dir)).unwrap();
    let user = Context::new().with("user_id", "someone");
    assert!(client.is_new("on", &user));
    assert!(!client.is_new("killed", &user));
    assert!(client.is_new("half", &Context::new().with("user_id", "vip")));
    let decision = client.decide("half", &Context::new().with("user_id", "vip"));
    assert_eq!(decision.reason.kind(), "override");
    assert!(!client.status().connected);
}

#[test]
fn an_unknown_flag_is_the_caller_s_default() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::offline(export_file(&dir)).unwrap();
    let user = Context::new().with("user_id", "u");
    assert!(!client.is_new("nope", &user));
    assert_eq!(client.variant("nope", &user, Variant::New), Variant::New);
    assert_eq!(client.decide("nope", &user).reason.kind(), "flag_not_found");
    let handle = client.flag("nope").unwrap();
    assert_eq!(handle.variant(&user, Variant::New), Variant::New);
    assert!(client.flag("Not A Key").is_err());
}

#[test]
fn handles_answer_like_names() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::offline(export_file(&dir)).unwrap();
    let half = client.flag("half").unwrap();
    for i in 0..2000 {
        let ctx = Context::new().with("user_id", &format!("user-{i}"));
        assert_eq!(half.is_new(&ctx), client.is_new("half", &ctx), "user-{i}");
    }
}

#[test]
fn a_bad_file_says_what_it_expected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "flags: []").unwrap();
    let err = Client::offline(&path).err().unwrap().to_string();
    assert!(
        err.contains("bad.json") && err.contains("cutover export"),
        "{err}"
    );
}
