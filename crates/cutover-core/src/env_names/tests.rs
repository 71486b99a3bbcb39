//! Declared names: what a name may be, its mode, one meaning per name within a flag.

use super::*;
use crate::flag::Flag;

fn flag(key: &str) -> Flag {
    Flag::new(FlagKey::new(key).unwrap())
}

fn name(text: &str) -> EnvVarName {
    EnvVarName::new(text).unwrap()
}

#[test]
fn names_are_posix_portable_and_not_cutover_s_own() {
    for good in ["USE_ONEX_ROUTING_NODES", "_X", "A1", "AWF_PERCENT_ROLLOUT"] {
        assert_eq!(name(good).as_str(), good);
    }
    for (bad, why) in [
        ("", "it is empty"),
        ("1ABC", "starts with a digit"),
        ("use_onex", "outside A-Z, 0-9 and '_'"),
        ("A-B", "outside A-Z, 0-9 and '_'"),
        ("CUTOVER_FLAG_X", "cutover's own"),
        ("CUTOVER_TOKEN", "cutover's own"),
    ] {
        let err = EnvVarName::new(bad).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{bad:?}")) && err.contains(why) && err.contains("accepted"),
            "{bad}: {err}"
        );
    }
    let long = "A".repeat(EnvVarName::MAX_LEN + 1);
    assert!(EnvVarName::new(&long).is_err());
    assert!(EnvVarName::new(&long[1..]).is_ok());
}

#[test]
fn a_variable_has_one_meaning_within_a_flag() {
    let mut f = flag("awf");
    f.env.switch = Some(name("AWF_BUNDLE_ON"));
    f.env.percent = Some(name("AWF_BUNDLE_ON"));
    let err = f.env.check(&f.key).unwrap_err().to_string();
    assert!(
        err.contains("awf") && err.contains("AWF_BUNDLE_ON as both env and env_percent"),
        "{err}"
    );
}

#[test]
fn modes_parse_by_name_and_refuse_others() {
    assert_eq!("force".parse::<EnvMode>().unwrap(), EnvMode::Force);
    assert_eq!("enable".parse::<EnvMode>().unwrap(), EnvMode::Enable);
    let err = "on".parse::<EnvMode>().unwrap_err().to_string();
    assert!(
        err.contains("\"on\"") && err.contains("force, enable"),
        "{err}"
    );
}
