//! Precedence and rule tests for evaluation, one small case each.

use super::*;
use crate::{AttributeName, Constraint, Context, FlagKey, Override};

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn flag() -> Flag {
    let mut f = Flag::new(FlagKey::new("checkout").unwrap());
    f.version = 7;
    f
}

fn rule(attribute: &str, value: &str, variant: Variant) -> Override {
    Override {
        attribute: AttributeName::new(attribute).unwrap(),
        value: value.into(),
        variant,
        expires_at: None,
    }
}

fn check(
    flag: &Flag,
    env: &[(&str, &str)],
    ctx: &Context,
    expected: Variant,
    reason_kind: &str,
) -> Decision<'static> {
    let env = EnvOverrides::from_vars(env.iter().copied()).unwrap();
    let snap = Snapshot::compile([flag], &env);
    let decision = snap.decide("checkout", ctx, now(), Variant::Legacy);
    assert_eq!(
        (decision.variant, decision.reason.kind()),
        (expected, reason_kind),
        "{decision:?}"
    );
    assert_eq!(snap.get("checkout").unwrap().variant(ctx, now()), expected);
    decision.into_owned()
}

fn user(id: &str) -> Context {
    Context::new().with("user_id", id)
}

#[test]
fn kill_switch_beats_everything() {
    let mut f = flag();
    f.killed = true;
    f.stage = Stage::LegacyDisabled;
    f.overrides.push(rule("user_id", "u1", Variant::New));
    check(
        &f,
        &[("CUTOVER_FLAG_CHECKOUT", "on")],
        &user("u1"),
        Variant::Legacy,
        "kill_switch",
    );
}

#[test]
fn env_override_beats_switch_overrides_and_rollout() {
    let mut f = flag();
    f.enabled = false;
    f.overrides.push(rule("user_id", "u1", Variant::Legacy));
    let d = check(
        &f,
        &[("CUTOVER_FLAG_CHECKOUT", "yes")],
        &user("u1"),
        Variant::New,
        "env_override",
    );
    assert_eq!(
        d.reason,
        Reason::EnvOverride {
            var: "CUTOVER_FLAG_CHECKOUT".into()
        }
    );
    f.rollout = Rollout::FULL;
    f.enabled = true;
    check(
        &f,
        &[("CUTOVER_FLAG_CHECKOUT", "0")],
        &user("u2"),
        Variant::Legacy,
        "env_override",
    );
}

#[test]
fn disabled_flag_ignores_overrides() {
    let mut f = flag();
    f.enabled = false;
    f.overrides.push(rule("user_id", "u1", Variant::New));
    check(&f, &[], &user("u1"), Variant::Legacy, "disabled");
}

#[test]
fn legacy_disabled_stage_is_always_new() {
    let mut f = flag();
    f.stage = Stage::LegacyDisabled;
    f.overrides.push(rule("user_id", "u1", Variant::Legacy));
    check(&f, &[], &user("u1"), Variant::New, "legacy_retired");
}

#[test]
fn override_beats_rollout_and_scope_on_any_attribute() {
    let mut f = flag();
    f.scope.push(Constraint::parse("tenant in acme").unwrap());
    f.overrides.push(rule("session_id", "s1", Variant::New));
    let d = check(
        &f,
        &[],
        &Context::new().with("session_id", "s1"),
        Variant::New,
        "override",
    );
    assert_eq!(
        d.reason,
        Reason::Override {
            attribute: "session_id".into()
        }
    );
    assert_eq!(d.flag_version, 7);
    f.rollout = Rollout::FULL;
    f.scope.clear();
    f.overrides.push(rule("tenant", "globex", Variant::Legacy));
    check(
        &f,
        &[],
        &user("u9").with("tenant", "globex"),
        Variant::Legacy,
        "override",
    );
}

#[test]
fn conflicting_overrides_take_the_safe_path() {
    let mut f = flag();
    f.overrides.push(rule("user_id", "u1", Variant::New));
    f.overrides.push(rule("tenant", "acme", Variant::Legacy));
    check(
        &f,
        &[],
        &user("u1").with("tenant", "acme"),
        Variant::Legacy,
        "override",
    );
}

#[test]
fn expired_overrides_stop_applying_at_their_expiry() {
    let mut f = flag();
    let mut o = rule("user_id", "u1", Variant::New);
    o.expires_at = Some(now());
    f.overrides.push(o);
    check(&f, &[], &user("u1"), Variant::Legacy, "rollout");
    f.overrides[0].expires_at = Some(Timestamp::from_second(1_800_000_001).unwrap());
    check(&f, &[], &user("u1"), Variant::New, "override");
}

#[test]
fn out_of_scope_contexts_stay_legacy_even_at_full_rollout() {
    let mut f = flag();
    f.rollout = Rollout::FULL;
    f.scope.push(Constraint::parse("tenant in acme").unwrap());
    let d = check(
        &f,
        &[],
        &user("u1").with("tenant", "globex"),
        Variant::Legacy,
        "out_of_scope",
    );
    assert_eq!(
        d.reason,
        Reason::OutOfScope {
            attribute: "tenant".into()
        }
    );
    check(
        &f,
        &[],
        &user("u1").with("tenant", "acme"),
        Variant::New,
        "rollout",
    );
}

#[test]
fn rollout_reason_names_attribute_and_bucket() {
    let mut f = flag();
    f.rollout = Rollout::from_bps(5_000).unwrap();
    let d = flag_decision(&f, &user("user-1"));
    let bucket = bucket_of(Seed::from_salt("checkout"), "user-1");
    assert_eq!(
        d.reason,
        Reason::Rollout {
            attribute: Some("user_id".into()),
            bucket: Some(bucket),
            rollout: f.rollout
        }
    );
    assert_eq!(
        d.variant,
        if bucket < 5_000 {
            Variant::New
        } else {
            Variant::Legacy
        }
    );
}

#[test]
fn stickiness_falls_back_to_session_then_targeting_key() {
    let mut f = flag();
    f.rollout = Rollout::from_bps(5_000).unwrap();
    let by_session = flag_decision(
        &f,
        &Context::new()
            .with("session_id", "s")
            .with("targetingKey", "t"),
    );
    assert!(
        matches!(by_session.reason, Reason::Rollout { attribute: Some(ref a), .. } if &**a == "session_id")
    );
    let by_key = flag_decision(&f, &Context::new().with("targetingKey", "t"));
    assert!(
        matches!(by_key.reason, Reason::Rollout { attribute: Some(ref a), .. } if &**a == "targetingKey")
    );
}

#[test]
fn no_stickiness_value_is_legacy_unless_rollout_is_full() {
    let mut f = flag();
    f.rollout = Rollout::from_bps(9_999).unwrap();
    check(
        &f,
        &[],
        &Context::new().with("tenant", "x"),
        Variant::Legacy,
        "rollout",
    );
    f.rollout = Rollout::FULL;
    check(&f, &[], &Context::new(), Variant::New, "rollout");
}

#[test]
fn unknown_flag_answers_the_callers_default() {
    let snap = Snapshot::compile([&flag()], &EnvOverrides::none());
    let d = snap.decide("nope", &user("u1"), now(), Variant::New);
    assert_eq!(
        d,
        Decision {
            variant: Variant::New,
            reason: Reason::FlagNotFound,
            flag_version: 0
        }
    );
}

#[test]
fn handles_resolve_to_the_same_flag() {
    let snap = Snapshot::compile([&flag()], &EnvOverrides::none());
    let h = snap.handle("checkout").unwrap();
    assert_eq!(snap.flag(h).key(), "checkout");
    assert!(snap.handle("other").is_none());
}

fn flag_decision(f: &Flag, ctx: &Context) -> Decision<'static> {
    Snapshot::compile([f], &EnvOverrides::none())
        .decide("checkout", ctx, now(), Variant::Legacy)
        .into_owned()
}

#[test]
fn long_value_lists_are_hashed_and_give_the_same_answers() {
    let mut f = flag();
    f.rollout = Rollout::FULL;
    let tenants: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    f.scope
        .push(Constraint::parse(&format!("tenant in {}", tenants.join(","))).unwrap());
    check(
        &f,
        &[],
        &user("u").with("tenant", "t49"),
        Variant::New,
        "rollout",
    );
    check(
        &f,
        &[],
        &user("u").with("tenant", "t50"),
        Variant::Legacy,
        "out_of_scope",
    );
    f.scope = vec![Constraint::parse(&format!("tenant not_in {}", tenants.join(","))).unwrap()];
    check(
        &f,
        &[],
        &user("u").with("tenant", "t7"),
        Variant::Legacy,
        "out_of_scope",
    );
    check(
        &f,
        &[],
        &user("u").with("tenant", "t"),
        Variant::New,
        "rollout",
    );
}

#[test]
fn keys_are_found_in_small_and_large_snapshots_alike() {
    for count in [1usize, 3, 16, 17, 200] {
        let mut flags: Vec<Flag> = (0..count)
            .map(|i| Flag::new(FlagKey::new(&format!("flag-number-{i}")).unwrap()))
            .collect();
        flags.push(Flag::new(FlagKey::new("a").unwrap()));
        flags.push(Flag::new(FlagKey::new("flag-number-").unwrap()));
        let snap = Snapshot::compile(&flags, &EnvOverrides::none());
        for f in &flags {
            assert_eq!(
                snap.get(f.key.as_str()).map(CompiledFlag::key),
                Some(f.key.as_str()),
                "{count}"
            );
        }
        for missing in ["", "b", "flag-number", "flag-number-x", "flag-number-1000"] {
            assert!(snap.get(missing).is_none(), "{count}: {missing}");
        }
    }
}

#[test]
fn only_unshadowed_expiring_overrides_make_a_flag_read_the_clock() {
    let plain = flag();
    let mut permanent = flag();
    permanent
        .overrides
        .push(rule("user_id", "u1", Variant::New));
    let mut expiring = flag();
    expiring.overrides.push(Override {
        expires_at: Some(now()),
        ..rule("user_id", "u1", Variant::New)
    });
    let mut killed = expiring.clone();
    killed.killed = true;
    let env = EnvOverrides::none();
    let reads = |f: &Flag| CompiledFlag::compile(f, &env).reads_clock();
    assert!(!reads(&plain));
    assert!(!reads(&permanent));
    assert!(reads(&expiring));
    assert!(
        !reads(&killed),
        "a kill switch answers without looking at overrides"
    );
}
