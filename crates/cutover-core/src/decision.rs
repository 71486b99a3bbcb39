//! What an evaluation answers: the variant, the rule that decided it and the flag version.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rollout::Rollout;
use crate::variant::Variant;

/// The answer for one flag and one context.
///
/// Names in the reason borrow from the snapshot that decided, so deciding costs no allocation
/// and no reference count; [`Decision::into_owned`] detaches it when it must outlive the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision<'a> {
    pub variant: Variant,
    pub reason: Reason<'a>,
    /// The version of the flag that decided; 0 when the flag was not found.
    pub flag_version: u64,
}

impl Decision<'_> {
    pub fn is_new(&self) -> bool {
        self.variant.is_new()
    }

    pub fn into_owned(self) -> Decision<'static> {
        Decision {
            variant: self.variant,
            reason: self.reason.into_owned(),
            flag_version: self.flag_version,
        }
    }
}

/// Which rule decided, with what it looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason<'a> {
    /// The kill switch is on: `legacy` for everyone.
    KillSwitch,
    /// An environment variable of the evaluating process decided: `CUTOVER_FLAG_<KEY>`, or the
    /// flag's declared switch (`env`) forcing a variant or, in `enable` mode, switching it off.
    EnvOverride { var: Cow<'a, str> },
    /// The flag's global switch is off.
    Disabled,
    /// Stage `legacy_disabled`: the legacy path is retired.
    LegacyRetired,
    /// A targeting override on this attribute matched.
    Override { attribute: Cow<'a, str> },
    /// The context failed the rollout scope constraint on this attribute.
    OutOfScope { attribute: Cow<'a, str> },
    /// The rollout decided: the context's bucket (from the first stickiness attribute it has)
    /// against the rollout. At 0 % and 100 % no bucket is needed (both are absent); strictly
    /// between, a context without any stickiness value answers `legacy` (attribute and bucket
    /// absent).
    Rollout {
        #[serde(skip_serializing_if = "Option::is_none")]
        attribute: Option<Cow<'a, str>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        bucket: Option<u16>,
        #[serde(
            rename = "rollout_percent",
            deserialize_with = "Rollout::deserialize_buffered"
        )]
        rollout: Rollout,
    },
    /// No such flag: the caller's default.
    FlagNotFound,
}

impl Reason<'_> {
    pub fn into_owned(self) -> Reason<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        match self {
            Reason::KillSwitch => Reason::KillSwitch,
            Reason::EnvOverride { var } => Reason::EnvOverride { var: own(var) },
            Reason::Disabled => Reason::Disabled,
            Reason::LegacyRetired => Reason::LegacyRetired,
            Reason::Override { attribute } => Reason::Override {
                attribute: own(attribute),
            },
            Reason::OutOfScope { attribute } => Reason::OutOfScope {
                attribute: own(attribute),
            },
            Reason::Rollout {
                attribute,
                bucket,
                rollout,
            } => Reason::Rollout {
                attribute: attribute.map(own),
                bucket,
                rollout,
            },
            Reason::FlagNotFound => Reason::FlagNotFound,
        }
    }

    /// A stable snake_case name for metrics labels and protocol mappings.
    /// The OpenFeature resolution reason this decision reports (OFREP and the OpenFeature
    /// provider both answer with it).
    pub fn openfeature(&self) -> &'static str {
        match self {
            Reason::KillSwitch | Reason::Disabled => "DISABLED",
            Reason::EnvOverride { .. } | Reason::LegacyRetired => "STATIC",
            Reason::Override { .. } | Reason::OutOfScope { .. } => "TARGETING_MATCH",
            Reason::Rollout {
                bucket: Some(_), ..
            } => "SPLIT",
            Reason::Rollout { rollout, .. } if rollout.bps() == 0 || rollout.bps() == 10_000 => {
                "STATIC"
            }
            // Between 0 and 100 % without a stickiness value there was nothing to split on; an
            // unknown flag is answered by the caller's default.
            Reason::Rollout { .. } => "UNKNOWN",
            Reason::FlagNotFound => "DEFAULT",
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Reason::KillSwitch => "kill_switch",
            Reason::EnvOverride { .. } => "env_override",
            Reason::Disabled => "disabled",
            Reason::LegacyRetired => "legacy_retired",
            Reason::Override { .. } => "override",
            Reason::OutOfScope { .. } => "out_of_scope",
            Reason::Rollout { .. } => "rollout",
            Reason::FlagNotFound => "flag_not_found",
        }
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::KillSwitch => f.write_str("kill switch is on"),
            Reason::EnvOverride { var } => write!(f, "environment override {var}"),
            Reason::Disabled => f.write_str("flag is disabled"),
            Reason::LegacyRetired => {
                f.write_str("stage legacy_disabled: the legacy path is retired")
            }
            Reason::Override { attribute } => write!(f, "override on {attribute}"),
            Reason::OutOfScope { attribute } => {
                write!(f, "outside the rollout scope ({attribute})")
            }
            Reason::Rollout {
                attribute: Some(attr),
                bucket: Some(b),
                rollout,
            } => {
                let cmp = if *b < rollout.bps() { "<" } else { ">=" };
                write!(
                    f,
                    "rollout {rollout}: bucket {b} of {attr} {cmp} {}",
                    rollout.bps()
                )
            }
            // 0 % and 100 % decide without bucketing, whatever the context holds.
            Reason::Rollout { rollout, .. } if rollout.bps() == 0 => {
                write!(f, "rollout {rollout}: nobody takes the new path")
            }
            Reason::Rollout { rollout, .. } if rollout.bps() == 10_000 => {
                write!(f, "rollout {rollout}: everyone in scope takes the new path")
            }
            Reason::Rollout { rollout, .. } => {
                write!(f, "rollout {rollout}: no stickiness value in the context")
            }
            Reason::FlagNotFound => f.write_str("flag not found: the caller's default"),
        }
    }
}
