//! Property tests of evaluation as a whole: monotone rollout and stickiness.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use cutover_core::{
    AttributeName, Constraint, Context, EnvOverrides, Flag, FlagKey, Override, Rollout, Snapshot,
    Timestamp, Variant,
};
use proptest::prelude::*;

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn arb_context() -> impl Strategy<Value = Context> {
    (
        proptest::option::of("[a-z0-9-]{1,16}"),
        proptest::option::of("[a-z0-9]{1,8}"),
        proptest::option::of(prop_oneof!["acme", "globex", "initech"]),
        proptest::option::of("[a-z0-9]{1,12}"),
    )
        .prop_map(|(user, session, tenant, key)| {
            let mut ctx = Context::new();
            let pairs = [
                ("user_id", user),
                ("session_id", session),
                ("tenant", tenant),
                ("targetingKey", key),
            ];
            for (name, value) in pairs {
                if let Some(v) = value {
                    ctx.set(name, &v);
                }
            }
            ctx
        })
}

/// A flag with random salt, scope and overrides; the rollout is set by each test.
fn arb_flag() -> impl Strategy<Value = Flag> {
    (
        "[a-z0-9]{1,12}",
        any::<bool>(),
        proptest::collection::vec(("[a-z0-9-]{1,16}", any::<bool>()), 0..4),
    )
        .prop_map(|(salt, scoped, overrides)| {
            let mut flag = Flag::new(FlagKey::new("prop-flag").unwrap());
            flag.salt = Some(salt);
            if scoped {
                flag.scope
                    .push(Constraint::parse("tenant not_in initech").unwrap());
            }
            for (value, new) in overrides {
                let variant = if new { Variant::New } else { Variant::Legacy };
                let attribute = AttributeName::new("user_id").unwrap();
                if !flag.overrides.iter().any(|o| o.value == value) {
                    flag.overrides.push(Override {
                        attribute,
                        value,
                        variant,
                        expires_at: None,
                    });
                }
            }
            flag
        })
}

fn variant_at(flag: &Flag, bps: u16, ctx: &Context) -> Variant {
    let mut f = flag.clone();
    f.rollout = Rollout::from_bps(i64::from(bps)).unwrap();
    Snapshot::compile([&f], &EnvOverrides::none())
        .decide("prop-flag", ctx, now(), Variant::Legacy)
        .variant
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Raising the rollout never moves a context from `new` back to `legacy`.
    #[test]
    fn raising_the_rollout_is_monotone(flag in arb_flag(), ctx in arb_context(), a in 0u16..=10_000, b in 0u16..=10_000) {
        let (low, high) = (a.min(b), a.max(b));
        if variant_at(&flag, low, &ctx) == Variant::New {
            prop_assert_eq!(variant_at(&flag, high, &ctx), Variant::New);
        }
    }

    /// The same flag and context always get the same answer, across recompiles and with
    /// attributes given in any order.
    #[test]
    fn evaluation_is_sticky(flag in arb_flag(), ctx in arb_context(), bps in 0u16..=10_000) {
        let first = variant_at(&flag, bps, &ctx);
        prop_assert_eq!(variant_at(&flag, bps, &ctx), first);
        let mut reversed = Context::new();
        let pairs: Vec<(String, String)> = ctx.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
        for (n, v) in pairs.iter().rev() {
            reversed.set(n, v);
        }
        prop_assert_eq!(variant_at(&flag, bps, &reversed), first);
    }

    /// At 0 % only overrides reach `new`; at 100 % everyone in scope does unless overridden.
    #[test]
    fn the_ends_of_the_ladder_are_absolute(flag in arb_flag(), ctx in arb_context()) {
        let forced = flag.overrides.iter().find(|o| ctx.iter().any(|(n, v)| n == "user_id" && v == o.value));
        let out_of_scope = !flag.scope.is_empty() && ctx.iter().any(|(n, v)| n == "tenant" && v == "initech");
        let expect_at = |full: bool| match forced {
            Some(o) => o.variant,
            None if full && !out_of_scope => Variant::New,
            None => Variant::Legacy,
        };
        prop_assert_eq!(variant_at(&flag, 0, &ctx), expect_at(false));
        prop_assert_eq!(variant_at(&flag, 10_000, &ctx), expect_at(true));
    }
}
