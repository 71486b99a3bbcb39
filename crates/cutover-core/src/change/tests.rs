//! Changes applied to flags, and read from JSON.

use super::*;
use crate::{FlagKey, Variant};

fn flag() -> Flag {
    Flag::new(FlagKey::new("f").unwrap())
}

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn rule(value: &str, variant: Variant, expires_at: Option<Timestamp>) -> FlagChange {
    FlagChange::AddOverride {
        rule: Override {
            attribute: AttributeName::new("user_id").unwrap(),
            value: value.into(),
            variant,
            expires_at,
        },
    }
}

#[test]
fn a_change_bumps_the_version_and_a_no_op_does_not() {
    let f = flag();
    let next = FlagChange::apply_all(&f, &[FlagChange::Kill], now())
        .unwrap()
        .unwrap();
    assert_eq!(next.version, 1);
    assert!(next.killed);
    assert_eq!(
        FlagChange::apply_all(&next, &[FlagChange::Kill], now()).unwrap(),
        None
    );
}

#[test]
fn stage_sets_its_rollout_and_a_later_rollout_overrides_it() {
    let f = flag();
    let changes = [
        FlagChange::SetStage { stage: Stage::Beta },
        FlagChange::SetRollout {
            rollout_percent: Rollout::from_bps(4_200).unwrap(),
        },
    ];
    let next = FlagChange::apply_all(&f, &changes, now()).unwrap().unwrap();
    assert_eq!((next.stage, next.rollout.bps()), (Stage::Beta, 4_200));
    assert_eq!(FlagChange::action_of(&changes), "flag.update");
}

#[test]
fn overrides_replace_same_target_and_removal_of_missing_one_is_an_error() {
    let f = flag();
    let f = FlagChange::apply_all(&f, &[rule("u1", Variant::New, None)], now())
        .unwrap()
        .unwrap();
    let f = FlagChange::apply_all(&f, &[rule("u1", Variant::Legacy, None)], now())
        .unwrap()
        .unwrap();
    assert_eq!(f.overrides.len(), 1);
    assert_eq!(f.overrides[0].variant, Variant::Legacy);
    let missing = FlagChange::RemoveOverride {
        attribute: AttributeName::new("user_id").unwrap(),
        value: "u2".into(),
    };
    let err = FlagChange::apply_all(&f, &[missing], now())
        .unwrap_err()
        .to_string();
    assert!(err.contains("user_id=u2"), "{err}");
}

#[test]
fn an_override_that_is_already_expired_is_refused() {
    let past = Some(Timestamp::from_second(1_700_000_000).unwrap());
    assert!(matches!(
        FlagChange::apply_all(&flag(), &[rule("u1", Variant::New, past)], now()),
        Err(CoreError::OverrideAlreadyExpired { .. })
    ));
}

#[test]
fn sweep_removes_only_expired_overrides() {
    let soon = Timestamp::from_second(1_800_000_100).unwrap();
    let f = FlagChange::apply_all(
        &flag(),
        &[
            rule("keep", Variant::New, None),
            rule("drop", Variant::New, Some(soon)),
        ],
        now(),
    )
    .unwrap()
    .unwrap();
    let later = Timestamp::from_second(1_800_000_100).unwrap();
    let swept = FlagChange::apply_all(&f, &[FlagChange::RemoveExpiredOverrides], later)
        .unwrap()
        .unwrap();
    assert_eq!(
        swept
            .overrides
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>(),
        ["keep"]
    );
}

#[test]
fn changes_are_plain_json() {
    let c: FlagChange =
        serde_json::from_str(r#"{"change":"set_rollout","rollout_percent":12.5}"#).unwrap();
    assert_eq!(
        c,
        FlagChange::SetRollout {
            rollout_percent: Rollout::from_bps(1250).unwrap()
        }
    );
}

#[test]
fn a_change_reads_its_percent_from_the_text_and_says_what_is_wrong() {
    let read = |text: &str| serde_json::from_str::<FlagChange>(text).map_err(|e| e.to_string());
    let err =
        read(r#"{"change":"set_rollout","rollout_percent":99.99999999999999999999}"#).unwrap_err();
    assert!(err.contains("more than two decimals"), "{err}");
    assert!(err.contains("99.99999999999999999999"), "{err}");
    // The tag may come last, and the shapes stay closed.
    assert_eq!(
        read(r#"{"rollout_percent":"0.5","change":"set_rollout"}"#).unwrap(),
        FlagChange::SetRollout {
            rollout_percent: Rollout::from_bps(50).unwrap()
        }
    );
    assert_eq!(read(r#"{"change":"kill"}"#).unwrap(), FlagChange::Kill);
    assert_eq!(
        read(r#"{"change":"set_salt"}"#).unwrap(),
        FlagChange::SetSalt { salt: None }
    );
    for (text, needle) in [
        (r#"{"change":"kill","now":true}"#, "now"),
        (r#"{"change":"set_rollout","rollout":5}"#, "rollout"),
        (r#"{"change":"set_enabled"}"#, "enabled"),
        (
            r#"{"change":"set_rollot","rollout_percent":5}"#,
            "set_rollot",
        ),
        (r#"{"rollout_percent":5}"#, "change"),
        (
            r#"{"change":"set_plan","plan":{"steps":"5,100 every 1h","gates":["new.p97 <= 1ms"]}}"#,
            "unknown metric \"p97\"",
        ),
    ] {
        let err = read(text).unwrap_err();
        assert!(err.contains(needle), "{text}: {err}");
        assert!(!err.contains("did not match any variant"), "{text}: {err}");
    }
}

#[test]
fn environment_names_are_set_and_cleared_one_field_at_a_time() {
    let set: Vec<FlagChange> = serde_json::from_str(
        r#"[{"change": "set_env", "env": "AWF_BUNDLE_ON", "env_mode": "enable"},
            {"change": "set_env_percent", "env_percent": "AWF_PERCENT_ROLLOUT"},
            {"change": "set_env_stage", "env_stage": "AWF_STAGE"}]"#,
    )
    .unwrap();
    let next = FlagChange::apply_all(&flag(), &set, now())
        .unwrap()
        .unwrap();
    assert_eq!(next.env.mode, EnvMode::Enable);
    assert_eq!(
        next.env.percent.as_ref().unwrap().as_str(),
        "AWF_PERCENT_ROLLOUT"
    );
    assert_eq!(FlagChange::action_of(&set), AuditAction::FlagUpdate);
    // Leaving env_mode out means force; null clears.
    let clear: Vec<FlagChange> = serde_json::from_str(
        r#"[{"change": "set_env", "env": null}, {"change": "set_env_stage"}]"#,
    )
    .unwrap();
    let cleared = FlagChange::apply_all(&next, &clear, now())
        .unwrap()
        .unwrap();
    assert_eq!(cleared.env.switch, None);
    assert_eq!(cleared.env.mode, EnvMode::Force);
    assert_eq!(cleared.env.stage, None);
    assert!(cleared.env.percent.is_some());
    // One name for two meanings is refused, naming it.
    let twice = FlagChange::SetEnvStage {
        env_stage: cleared.env.percent.clone(),
    };
    let err = FlagChange::apply_all(&cleared, &[twice], now()).unwrap_err();
    assert!(
        err.to_string().contains("AWF_PERCENT_ROLLOUT as both"),
        "{err}"
    );
    let bad = serde_json::from_str::<FlagChange>(r#"{"change": "set_env", "env": "awf-on"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("\"awf-on\"") && bad.contains("A-Z, 0-9"),
        "{bad}"
    );
}
