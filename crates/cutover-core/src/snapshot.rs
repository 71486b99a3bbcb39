//! Compiled, immutable flag sets and the evaluation that reads them.
//!
//! Flags are compiled once per change into a form evaluation can read without allocating or
//! locking: hash maps keyed by the strings contexts carry, the salt already hashed into a seed,
//! and every rule that does not depend on the context (kill switch, environment override, global
//! switch, retired legacy) folded into one fixed answer.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::bucket::{Seed, bucket_of};
use crate::{
    Attributes, Decision, EnvOverrides, Flag, Operator, Reason, Rollout, Stage, Timestamp, Variant,
};

/// An immutable, evaluation-ready copy of a flag set.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    flags: Vec<CompiledFlag>,
    index: HashMap<Arc<str>, usize, RandomState>,
}

/// A flag resolved in one snapshot: evaluating through it skips the name lookup. Valid only
/// for the snapshot that returned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlagHandle(usize);

/// One flag, compiled.
#[derive(Debug, Clone)]
pub struct CompiledFlag {
    key: Arc<str>,
    version: u64,
    fixed: Option<(Variant, Reason)>,
    overrides: Vec<OverrideGroup>,
    scope: Vec<CompiledConstraint>,
    rollout: Rollout,
    seed: Seed,
    stickiness: Vec<Arc<str>>,
}

#[derive(Debug, Clone)]
struct OverrideGroup {
    attribute: Arc<str>,
    by_value: HashMap<Box<str>, (Variant, Option<Timestamp>), RandomState>,
}

#[derive(Debug, Clone)]
struct CompiledConstraint {
    attribute: Arc<str>,
    test: ConstraintTest,
}

#[derive(Debug, Clone)]
enum ConstraintTest {
    In(HashSet<Box<str>, RandomState>),
    NotIn(HashSet<Box<str>, RandomState>),
    Exists,
}

/// The reason a context got its variant, borrowing from the compiled flag so the variant-only
/// path touches no reference count.
enum ReasonRef<'a> {
    Fixed(&'a Reason),
    Override(&'a Arc<str>),
    OutOfScope(&'a Arc<str>),
    Rollout {
        attribute: Option<&'a Arc<str>>,
        bucket: Option<u16>,
    },
}

impl Snapshot {
    /// Compiles `flags` with the environment overrides of the evaluating process.
    pub fn compile<'a>(flags: impl IntoIterator<Item = &'a Flag>, env: &EnvOverrides) -> Self {
        let mut snapshot = Snapshot::default();
        for flag in flags {
            let compiled = CompiledFlag::compile(flag, env);
            snapshot
                .index
                .insert(compiled.key.clone(), snapshot.flags.len());
            snapshot.flags.push(compiled);
        }
        snapshot
    }

    pub fn handle(&self, key: &str) -> Option<FlagHandle> {
        self.index.get(key).copied().map(FlagHandle)
    }

    /// The flag behind a handle of this snapshot.
    ///
    /// # Panics
    /// When the handle came from a snapshot with more flags (a caller bug, not an input error).
    pub fn flag(&self, handle: FlagHandle) -> &CompiledFlag {
        &self.flags[handle.0]
    }

    pub fn get(&self, key: &str) -> Option<&CompiledFlag> {
        self.index.get(key).map(|&i| &self.flags[i])
    }

    /// Evaluates `key` for `ctx` at `now`; an unknown flag answers `default` with reason
    /// `flag_not_found`.
    pub fn decide<A: Attributes + ?Sized>(
        &self,
        key: &str,
        ctx: &A,
        now: Timestamp,
        default: Variant,
    ) -> Decision {
        match self.get(key) {
            Some(flag) => flag.evaluate(ctx, now),
            None => Decision {
                variant: default,
                reason: Reason::FlagNotFound,
                flag_version: 0,
            },
        }
    }

    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &CompiledFlag> {
        self.flags.iter()
    }
}

impl CompiledFlag {
    pub fn compile(flag: &Flag, env: &EnvOverrides) -> Self {
        let fixed = if flag.killed {
            Some((Variant::Legacy, Reason::KillSwitch))
        } else if let Some((var, variant)) = env.for_flag(&flag.key) {
            Some((
                variant,
                Reason::EnvOverride {
                    var: Arc::from(var),
                },
            ))
        } else if !flag.enabled {
            Some((Variant::Legacy, Reason::Disabled))
        } else if flag.stage == Stage::LegacyDisabled {
            Some((Variant::New, Reason::LegacyRetired))
        } else {
            None
        };

        let mut overrides: Vec<OverrideGroup> = Vec::new();
        for rule in &flag.overrides {
            let group = match overrides
                .iter_mut()
                .position(|g| *g.attribute == *rule.attribute.as_str())
            {
                Some(i) => &mut overrides[i],
                None => {
                    overrides.push(OverrideGroup {
                        attribute: rule.attribute.shared().clone(),
                        by_value: HashMap::default(),
                    });
                    let last = overrides.len() - 1;
                    &mut overrides[last]
                }
            };
            group
                .by_value
                .insert(rule.value.as_str().into(), (rule.variant, rule.expires_at));
        }

        let set = |list: &[String]| list.iter().map(|v| Box::<str>::from(v.as_str())).collect();
        let scope = flag
            .scope
            .iter()
            .map(|c| CompiledConstraint {
                attribute: c.attribute.shared().clone(),
                test: match &c.operator {
                    Operator::In(list) => ConstraintTest::In(set(list)),
                    Operator::NotIn(list) => ConstraintTest::NotIn(set(list)),
                    Operator::Exists => ConstraintTest::Exists,
                },
            })
            .collect();

        CompiledFlag {
            key: flag.key.shared().clone(),
            version: flag.version,
            fixed,
            overrides,
            scope,
            rollout: flag.rollout,
            seed: Seed::from_salt(flag.salt()),
            stickiness: flag.stickiness_chain().map(Arc::from).collect(),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// The full decision, with the rule that made it.
    pub fn evaluate<A: Attributes + ?Sized>(&self, ctx: &A, now: Timestamp) -> Decision {
        let (variant, reason) = self.decide(ctx, now);
        let reason = match reason {
            ReasonRef::Fixed(r) => r.clone(),
            ReasonRef::Override(a) => Reason::Override {
                attribute: a.clone(),
            },
            ReasonRef::OutOfScope(a) => Reason::OutOfScope {
                attribute: a.clone(),
            },
            ReasonRef::Rollout { attribute, bucket } => Reason::Rollout {
                attribute: attribute.cloned(),
                bucket,
                rollout: self.rollout,
            },
        };
        Decision {
            variant,
            reason,
            flag_version: self.version,
        }
    }

    /// Only the variant: the cheapest question, for hot paths that branch on it.
    #[inline]
    pub fn variant<A: Attributes + ?Sized>(&self, ctx: &A, now: Timestamp) -> Variant {
        self.decide(ctx, now).0
    }

    fn decide<A: Attributes + ?Sized>(&self, ctx: &A, now: Timestamp) -> (Variant, ReasonRef<'_>) {
        if let Some((variant, reason)) = &self.fixed {
            return (*variant, ReasonRef::Fixed(reason));
        }

        // A context matched by several overrides takes `legacy` if any of them says so: when
        // two operators disagree, the safe path wins.
        let mut forced_new = None;
        for group in &self.overrides {
            let Some(value) = ctx.attribute(&group.attribute) else {
                continue;
            };
            let Some((variant, expires_at)) = group.by_value.get(value) else {
                continue;
            };
            if expires_at.is_some_and(|at| now >= at) {
                continue;
            }
            match variant {
                Variant::Legacy => return (Variant::Legacy, ReasonRef::Override(&group.attribute)),
                Variant::New => forced_new = forced_new.or(Some(&group.attribute)),
            }
        }
        if let Some(attribute) = forced_new {
            return (Variant::New, ReasonRef::Override(attribute));
        }

        for constraint in &self.scope {
            if !constraint.matches(ctx) {
                return (
                    Variant::Legacy,
                    ReasonRef::OutOfScope(&constraint.attribute),
                );
            }
        }

        let sticky = self
            .stickiness
            .iter()
            .find_map(|attr| ctx.attribute(attr).map(|value| (attr, value)));
        match sticky {
            Some((attribute, value)) => {
                let bucket = bucket_of(self.seed, value);
                let variant = if bucket < self.rollout.bps() {
                    Variant::New
                } else {
                    Variant::Legacy
                };
                (
                    variant,
                    ReasonRef::Rollout {
                        attribute: Some(attribute),
                        bucket: Some(bucket),
                    },
                )
            }
            None => {
                let variant = if self.rollout == Rollout::FULL {
                    Variant::New
                } else {
                    Variant::Legacy
                };
                (
                    variant,
                    ReasonRef::Rollout {
                        attribute: None,
                        bucket: None,
                    },
                )
            }
        }
    }
}

impl CompiledConstraint {
    #[inline]
    fn matches<A: Attributes + ?Sized>(&self, ctx: &A) -> bool {
        let value = ctx.attribute(&self.attribute);
        match (&self.test, value) {
            (ConstraintTest::In(set), Some(v)) => set.contains(v),
            (ConstraintTest::In(_), None) => false,
            (ConstraintTest::NotIn(set), Some(v)) => !set.contains(v),
            (ConstraintTest::NotIn(_), None) => true,
            (ConstraintTest::Exists, found) => found.is_some(),
        }
    }
}

#[cfg(test)]
mod tests;
