//! Environment overrides: names, values, raw process pairs, and the declared variables of a
//! flag read from them.

use super::*;

#[test]
fn names_follow_the_key() {
    assert_eq!(
        env_var_name(&FlagKey::new("use-onex.routing_nodes").unwrap()),
        "CUTOVER_FLAG_USE_ONEX_ROUTING_NODES"
    );
}

#[test]
fn truthy_and_falsy_values_in_any_case() {
    for yes in ["true", "TRUE", "1", "yes", "Yes", "on", "ON", " on "] {
        assert_eq!(parse_env_bool("V", yes), Ok(true), "{yes}");
    }
    for no in ["false", "False", "0", "no", "NO", "off", "Off"] {
        assert_eq!(parse_env_bool("V", no), Ok(false), "{no}");
    }
}

#[test]
fn anything_else_is_an_error_naming_var_value_and_accepted_values() {
    for bad in ["", "2", "enabled", "y", "nope", "truee"] {
        let err = parse_env_bool("CUTOVER_FLAG_X", bad)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("CUTOVER_FLAG_X") && err.contains(&format!("{bad:?}")),
            "{err}"
        );
        assert!(err.contains("true, 1, yes, on, false, 0, no, off"), "{err}");
    }
}

#[test]
fn reads_only_prefixed_vars_and_reports_every_bad_one() {
    let env = EnvOverrides::from_vars([
        ("PATH", "/bin"),
        ("CUTOVER_FLAG_A", "on"),
        ("CUTOVER_FLAG_B", "off"),
    ])
    .unwrap();
    assert_eq!(
        env.for_flag(&FlagKey::new("a").unwrap()),
        Some(("CUTOVER_FLAG_A", Variant::New))
    );
    assert_eq!(
        env.for_flag(&FlagKey::new("b").unwrap()).map(|(_, v)| v),
        Some(Variant::Legacy)
    );
    assert_eq!(env.for_flag(&FlagKey::new("c").unwrap()), None);
    let errors = EnvOverrides::from_vars([("CUTOVER_FLAG_A", "maybe"), ("CUTOVER_FLAG_B", "2")])
        .unwrap_err();
    assert_eq!(errors.len(), 2);
}

#[test]
fn raw_pairs_ignore_other_variables_and_name_a_flag_variable_that_is_not_utf8() {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let not_utf8 = OsStr::from_bytes(b"caf\xe9");
        let env = EnvOverrides::from_os_vars([
            (OsStr::new("UNRELATED"), not_utf8),
            (OsStr::from_bytes(b"LANG\xff"), OsStr::new("C")),
            (OsStr::new("CUTOVER_FLAG_A"), OsStr::new("on")),
        ])
        .unwrap();
        assert_eq!(
            env.for_flag(&FlagKey::new("a").unwrap()),
            Some(("CUTOVER_FLAG_A", Variant::New))
        );
        let errors = EnvOverrides::from_os_vars([
            (OsStr::new("CUTOVER_FLAG_A"), not_utf8),
            (OsStr::from_bytes(b"CUTOVER_FLAG_\xff"), OsStr::new("on")),
            (OsStr::new("CUTOVER_FLAG_B"), OsStr::new("maybe")),
        ])
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(
            text[0].contains("CUTOVER_FLAG_A") && text[0].contains(r#""caf\xE9""#),
            "{}",
            text[0]
        );
        assert!(text[1].contains("not valid UTF-8"), "{}", text[1]);
        assert!(text[2].contains("CUTOVER_FLAG_B"), "{}", text[2]);
    }
}

#[test]
fn unmatched_vars_are_reported() {
    let env = EnvOverrides::from_vars([
        ("CUTOVER_FLAG_CHECKOUT", "1"),
        ("CUTOVER_FLAG_CHEKOUT", "1"),
    ])
    .unwrap();
    let keys = [FlagKey::new("checkout").unwrap()];
    assert_eq!(env.unmatched(&keys), ["CUTOVER_FLAG_CHEKOUT"]);
}

#[test]
fn declared_variables_are_kept_as_read_and_parsed_per_flag() {
    let mut flag = crate::Flag::new(FlagKey::new("routing").unwrap());
    flag.env.switch = Some(EnvVarName::new("USE_ONEX_ROUTING_NODES").unwrap());
    let env = EnvOverrides::from_vars([("USE_ONEX_ROUTING_NODES", "yes"), ("lower", "x")]).unwrap();
    let read = env.read(&flag);
    assert_eq!(read.forced, Some(("USE_ONEX_ROUTING_NODES", Variant::New)));
    assert!(read.problems.is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        // Not UTF-8 in a declared variable: no error at start (no flag may read it), a problem
        // of the flag that does.
        let env = EnvOverrides::from_os_vars([(
            OsStr::new("USE_ONEX_ROUTING_NODES"),
            OsStr::from_bytes(b"caf\xe9"),
        )])
        .unwrap();
        let problems: Vec<String> = env
            .problems([&flag])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("USE_ONEX_ROUTING_NODES")
                && problems[0].contains(r#""caf\xE9""#)
                && problems[0].contains("routing"),
            "{}",
            problems[0]
        );
    }
}
