//! Evaluation with the variables a flag declares by their own names (requirements 000, 001 and
//! 004): the switch forcing or enabling, the percentage and the stage standing in for the flag's.

use super::*;
use crate::bucket::{Seed, bucket_of};
use crate::{AttributeName, Context, EnvMode, EnvVarName, FlagKey, Override};

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn name(text: &str) -> Option<EnvVarName> {
    Some(EnvVarName::new(text).unwrap())
}

fn routing() -> Flag {
    let mut f = Flag::new(FlagKey::new("routing").unwrap());
    f.env.switch = name("USE_ONEX_ROUTING_NODES");
    f
}

/// Requirement 001's flag: `AWF_BUNDLE_ON` is the global switch, `AWF_PERCENT_ROLLOUT` the
/// percentage.
fn awf() -> Flag {
    let mut f = Flag::new(FlagKey::new("awf").unwrap());
    f.env.switch = name("AWF_BUNDLE_ON");
    f.env.mode = EnvMode::Enable;
    f.env.percent = name("AWF_PERCENT_ROLLOUT");
    f
}

/// The variant, and the reason as `kind: text`.
fn decide(flag: &Flag, env: &[(&str, &str)], ctx: &Context) -> (Variant, String) {
    let env = EnvOverrides::from_vars(env.iter().copied()).unwrap();
    let snap = Snapshot::compile([flag], &env);
    let d = snap.decide(flag.key.as_str(), ctx, now(), Variant::Legacy);
    (d.variant, format!("{}: {}", d.reason.kind(), d.reason))
}

fn user(id: &str) -> Context {
    Context::new().with("user_id", id)
}

/// A user whose bucket for `key` is below `bps` (`inside`) or at or above it.
fn user_with_bucket(key: &str, bps: u16, inside: bool) -> Context {
    let seed = Seed::from_salt(key);
    let id = (0..)
        .map(|i| format!("u{i}"))
        .find(|id| (bucket_of(seed, id) < bps) == inside)
        .unwrap();
    user(&id)
}

#[test]
fn the_declared_switch_decides_for_the_flag_that_declares_it() {
    let f = routing();
    for yes in ["yes", "true", "1", "ON"] {
        let (variant, reason) = decide(&f, &[("USE_ONEX_ROUTING_NODES", yes)], &user("u1"));
        assert_eq!(variant, Variant::New, "{yes}");
        assert!(reason.contains("USE_ONEX_ROUTING_NODES"), "{reason}");
    }
    let (variant, _) = decide(&f, &[("USE_ONEX_ROUTING_NODES", "false")], &user("u1"));
    assert_eq!(variant, Variant::Legacy);
    // Unset, the flag decides: 0 % here.
    assert_eq!(decide(&f, &[], &user("u1")).0, Variant::Legacy);
    // Another flag does not read it.
    let other = Flag::new(FlagKey::new("other").unwrap());
    assert_eq!(
        decide(&other, &[("USE_ONEX_ROUTING_NODES", "yes")], &user("u1")).0,
        Variant::Legacy
    );
}

#[test]
fn the_kill_switch_beats_the_declared_switch_and_the_derived_name_beats_it() {
    let mut f = routing();
    f.killed = true;
    let (variant, reason) = decide(&f, &[("USE_ONEX_ROUTING_NODES", "yes")], &user("u1"));
    assert_eq!(variant, Variant::Legacy);
    assert!(reason.starts_with("kill_switch:"), "{reason}");
    f.killed = false;
    let env = [
        ("USE_ONEX_ROUTING_NODES", "yes"),
        ("CUTOVER_FLAG_ROUTING", "no"),
    ];
    let (variant, reason) = decide(&f, &env, &user("u1"));
    assert_eq!(variant, Variant::Legacy);
    assert!(reason.contains("CUTOVER_FLAG_ROUTING"), "{reason}");
}

#[test]
fn enable_mode_switches_the_flag_and_the_percentage_still_applies() {
    let f = awf();
    let inside = user_with_bucket("awf", 2_500, true);
    let outside = user_with_bucket("awf", 2_500, false);
    let on = [("AWF_BUNDLE_ON", "true"), ("AWF_PERCENT_ROLLOUT", "25")];
    assert_eq!(decide(&f, &on, &inside).0, Variant::New);
    let (variant, reason) = decide(&f, &on, &outside);
    assert_eq!(variant, Variant::Legacy);
    assert!(reason.contains("25%"), "{reason}");
    // Falsy sends everyone to legacy, naming the variable.
    let off = [("AWF_BUNDLE_ON", "false"), ("AWF_PERCENT_ROLLOUT", "25")];
    let (variant, reason) = decide(&f, &off, &inside);
    assert_eq!(variant, Variant::Legacy);
    assert!(reason.contains("AWF_BUNDLE_ON"), "{reason}");
    // Truthy enables a flag switched off in the store, in this process.
    let mut stored_off = awf();
    stored_off.enabled = false;
    assert_eq!(decide(&stored_off, &on, &inside).0, Variant::New);
    assert!(decide(&stored_off, &[], &inside).1.starts_with("disabled:"));
    // Overrides still apply when enabled: enable is not force.
    let mut with_override = awf();
    with_override.overrides.push(Override {
        attribute: AttributeName::new("user_id").unwrap(),
        value: "vip".into(),
        variant: Variant::New,
        expires_at: None,
    });
    let on_at_zero = [("AWF_BUNDLE_ON", "1"), ("AWF_PERCENT_ROLLOUT", "0")];
    assert_eq!(
        decide(&with_override, &on_at_zero, &user("vip")).0,
        Variant::New
    );
    assert_eq!(
        decide(&with_override, &on_at_zero, &user("u1")).0,
        Variant::Legacy
    );
}

#[test]
fn the_percentage_variable_overrides_the_rollout() {
    let mut f = awf();
    f.env.switch = None;
    f.rollout = Rollout::FULL;
    let inside = user_with_bucket("awf", 1_250, true);
    let outside = user_with_bucket("awf", 1_250, false);
    let env = [("AWF_PERCENT_ROLLOUT", "12.5")];
    assert_eq!(decide(&f, &env, &inside).0, Variant::New);
    assert_eq!(decide(&f, &env, &outside).0, Variant::Legacy);
    assert_eq!(decide(&f, &[], &outside).0, Variant::New);
    // 0 and 100 fold into a fixed answer like the flag's own.
    assert_eq!(
        decide(&f, &[("AWF_PERCENT_ROLLOUT", "0")], &inside).0,
        Variant::Legacy
    );
}

#[test]
fn the_stage_variable_sets_the_stage_and_its_rollout() {
    let mut f = Flag::new(FlagKey::new("monitor").unwrap());
    f.env.stage = name("TMUX_ORC_ROLLOUT_STAGE");
    let inside = user_with_bucket("monitor", 500, true);
    let outside = user_with_bucket("monitor", 500, false);
    let canary = [("TMUX_ORC_ROLLOUT_STAGE", "canary")];
    assert_eq!(decide(&f, &canary, &inside).0, Variant::New);
    let (variant, reason) = decide(&f, &canary, &outside);
    assert_eq!(variant, Variant::Legacy);
    assert!(reason.contains("5%"), "{reason}");
    let retired = [("TMUX_ORC_ROLLOUT_STAGE", "LEGACY_DISABLED")];
    let (variant, reason) = decide(&f, &retired, &outside);
    assert_eq!(variant, Variant::New);
    assert!(reason.starts_with("legacy_retired:"), "{reason}");
    // A percentage variable beats the stage's rollout.
    f.env.percent = name("TMUX_ORC_PERCENT");
    let both = [
        ("TMUX_ORC_ROLLOUT_STAGE", "canary"),
        ("TMUX_ORC_PERCENT", "100"),
    ];
    assert_eq!(decide(&f, &both, &outside).0, Variant::New);
}

#[test]
fn malformed_values_are_left_out_and_reported_with_variable_and_value() {
    let mut f = awf();
    f.env.stage = name("AWF_STAGE");
    let env = EnvOverrides::from_vars([
        ("AWF_BUNDLE_ON", "ture"),
        ("AWF_PERCENT_ROLLOUT", "25.125"),
        ("AWF_STAGE", "prod"),
    ])
    .unwrap();
    let problems: Vec<String> = env.problems([&f]).iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems[0].contains("AWF_BUNDLE_ON") && problems[0].contains("\"ture\""),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].contains("AWF_PERCENT_ROLLOUT")
            && problems[1].contains("\"25.125\"")
            && problems[1].contains("more than two decimals"),
        "{}",
        problems[1]
    );
    assert!(
        problems[2].contains("AWF_STAGE")
            && problems[2].contains("\"prod\"")
            && problems[2].contains("legacy_disabled"),
        "{}",
        problems[2]
    );
    // The flag evaluates as if they were unset.
    let snap = Snapshot::compile([&f], &env);
    let d = snap.decide("awf", &user("u1"), now(), Variant::New);
    assert_eq!((d.variant, d.reason.kind()), (Variant::Legacy, "rollout"));
}
