//! The one namespace of derived and declared names: claims, and conflicts naming both flags.

use super::*;
use crate::env_names::{EnvUse, EnvVarName};

fn flag(key: &str) -> Flag {
    Flag::new(FlagKey::new(key).unwrap())
}

fn name(text: &str) -> EnvVarName {
    EnvVarName::new(text).unwrap()
}

#[test]
fn keys_differing_only_in_separators_collide_naming_both() {
    let others = [flag("x-y"), flag("other"), flag("x-y-z")];
    let check = |key: &str| env_conflict(&flag(key), &others);
    let conflict = check("x_y").unwrap();
    assert_eq!(
        (conflict.other.as_str(), conflict.var.as_str()),
        ("x-y", "CUTOVER_FLAG_X_Y")
    );
    let text = conflict.to_string();
    assert!(
        text.contains("flag x_y") && text.contains("flag x-y") && text.contains("CUTOVER_FLAG_X_Y"),
        "{text}"
    );
    assert_eq!(check("x.y").unwrap().other.as_str(), "x-y");
    assert_eq!(check("x_y.z").unwrap().other.as_str(), "x-y-z");
    // The same key is not a conflict (that is the caller's "already exists"), nor is one
    // whose variable differs.
    assert_eq!(check("x-y"), None);
    assert_eq!(check("xy"), None);
    assert_eq!(check("x__y"), None);
}

#[test]
fn a_declared_name_is_claimed_once_whatever_it_means() {
    let mut routing = flag("routing");
    routing.env.switch = Some(name("USE_ONEX_ROUTING_NODES"));
    let mut second = flag("routing-v2");
    second.env.stage = Some(name("USE_ONEX_ROUTING_NODES"));
    let conflict = env_conflict(&second, [&routing]).unwrap();
    assert_eq!(
        (conflict.flag_use, conflict.other_use),
        (EnvUse::Stage, EnvUse::Switch)
    );
    let text = conflict.to_string();
    assert!(
        text.contains("flag routing-v2")
            && text.contains("flag routing ")
            && text.contains("USE_ONEX_ROUTING_NODES"),
        "{text}"
    );
    // Another name is no conflict.
    second.env.stage = Some(name("ROUTING_STAGE"));
    assert_eq!(env_conflict(&second, [&routing]), None);
}

#[test]
fn claims_list_the_derived_name_then_the_declared_ones() {
    let mut f = flag("awf.bundle");
    f.env.switch = Some(name("AWF_BUNDLE_ON"));
    f.env.percent = Some(name("AWF_PERCENT_ROLLOUT"));
    let claims: Vec<(String, EnvUse)> = env_claims(&f);
    assert_eq!(
        claims,
        [
            ("CUTOVER_FLAG_AWF_BUNDLE".to_owned(), EnvUse::Derived),
            ("AWF_BUNDLE_ON".to_owned(), EnvUse::Switch),
            ("AWF_PERCENT_ROLLOUT".to_owned(), EnvUse::Percent),
        ]
    );
}
