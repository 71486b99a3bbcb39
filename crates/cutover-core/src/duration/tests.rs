#![allow(clippy::unwrap_used)]
use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn ns(n: u64) -> Duration {
    Duration::from_nanos(n)
}

/// Every form the three grammars this one replaced accepted, with the meaning each gave it: the
/// plan's bakes (whole numbers of s, m, h, d), golden budgets and timeouts (decimals of us, µs,
/// ms, s) and the command line's spans (decimals of ms, s, m, h).
#[test]
fn every_form_accepted_before_means_the_same() {
    let s = Duration::from_secs;
    let ms = Duration::from_millis;
    let us = Duration::from_micros;
    for (text, expected) in [
        // The plan: `5,25,50,100 every 10m`, `"bake": "2h"`.
        ("90s", s(90)),
        ("10m", s(600)),
        ("2h", s(7200)),
        ("1d", s(86_400)),
        (" 2h ", s(7200)),
        ("0010m", s(600)),
        ("18446744073709551615s", s(u64::MAX)),
        // Golden budgets and `--timeout`.
        ("250ms", ms(250)),
        ("1.5s", ms(1500)),
        ("500us", us(500)),
        ("500µs", us(500)),
        ("0ms", Duration::ZERO),
        (".5s", ms(500)),
        ("5.s", s(5)),
        ("0.0005s", us(500)),
        (" 10s ", s(10)),
        ("2.5us", ns(2500)),
        // The command line's spans (serve, loadgen, rollout plan, rollout simulate).
        ("20ms", ms(20)),
        ("60s", s(60)),
        ("1.5m", s(90)),
        ("0.5h", s(1800)),
        ("0s", Duration::ZERO),
        ("0.3s", ms(300)),
        ("1.1ms", us(1100)),
        ("2.9999999999s", s(3)),
    ] {
        assert_eq!(parse_duration(text).unwrap(), expected, "{text:?}");
    }
}

#[test]
fn several_units_from_the_largest_down() {
    assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
    assert_eq!(
        parse_duration("1d2h3m4s5ms").unwrap(),
        Duration::new(93_784, 5_000_000)
    );
    assert_eq!(
        parse_duration("1s500us").unwrap(),
        Duration::new(1, 500_000)
    );
}

#[test]
fn bad_durations_name_the_value_and_what_is_accepted() {
    for (text, needle) in [
        ("", "empty"),
        ("10", "no unit"),
        ("ms", "does not start with a number"),
        ("soon", "whole number"),
        ("10 min", "unknown unit \" min\""),
        ("10 minutes", "unknown unit"),
        ("-1s", "does not start with a number"),
        ("1e3ms", "unknown unit \"e\""),
        ("1.2.3s", "not a number"),
        ("30m1h", "largest unit first"),
        ("1m1m", "largest unit first"),
        ("5us3µs", "largest unit first"),
        ("1h.", "not a number"),
    ] {
        let err = parse_duration(text).unwrap_err().to_string();
        assert!(err.contains(&format!("{text:?}")), "{text:?}: {err}");
        assert!(err.contains(needle), "{text:?}: {err} lacks {needle}");
        if !matches!(text, "") {
            assert!(err.contains("such as 250ms"), "{text:?}: {err}");
        }
    }
    for text in [
        "69130498373922668h",
        "18446744073709551616s",
        "1e99d",
        "99999999999999999999999999999999999999999999d",
    ] {
        match parse_duration(text) {
            Err(CoreError::DurationTooLong { .. }) => {}
            Err(CoreError::InvalidDuration { .. }) if text.contains('e') => {}
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn formatting_picks_the_largest_whole_unit() {
    for (d, text) in [
        (Duration::ZERO, "0s"),
        (Duration::from_secs(90), "90s"),
        (Duration::from_secs(600), "10m"),
        (Duration::from_secs(7200), "2h"),
        (Duration::from_secs(172_800), "2d"),
        (Duration::from_millis(1500), "1500ms"),
        (Duration::from_micros(250), "250us"),
        (Duration::from_nanos(7), "7ns"),
    ] {
        assert_eq!(format_duration(d), text);
    }
}

proptest! {
    #[test]
    fn formatting_reads_back(secs in 0u64..10_000_000_000, nanos in 0u32..1_000_000_000) {
        let d = Duration::new(secs, nanos);
        prop_assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
    }

    #[test]
    fn decimals_are_exact(whole in 0u64..1_000_000, millis in 0u32..1000) {
        let text = format!("{whole}.{millis:03}s");
        prop_assert_eq!(
            parse_duration(&text).unwrap(),
            Duration::new(whole, millis * 1_000_000)
        );
    }

    #[test]
    fn no_text_panics(text in "\\PC{0,24}") {
        let _ = parse_duration(&text);
    }
}
