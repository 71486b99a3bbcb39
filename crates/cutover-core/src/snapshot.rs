//! Compiled, immutable flag sets and the evaluation that reads them.
//!
//! Flags are compiled once per change into a form evaluation can read without allocating or
//! locking: hash maps keyed by the strings contexts carry, the salt already hashed into a seed,
//! and every rule that does not depend on the context (kill switch, environment override, global
//! switch, retired legacy) folded into one fixed answer. The variables a flag declares (`env`,
//! `env_percent`, `env_stage`) are read here too, so evaluation never looks them up.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::RandomState;
use jiff::Timestamp;

use crate::bucket::{Seed, bucket_of};
use crate::context::Attributes;
use crate::decision::{Decision, Reason};
use crate::env::EnvOverrides;
use crate::flag::Flag;
use crate::rollout::Rollout;
use crate::scope::Operator;
use crate::stage::Stage;
use crate::variant::Variant;

/// An immutable, evaluation-ready copy of a flag set.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    flags: Vec<CompiledFlag>,
    index: KeyIndex,
}

/// Finds a flag by key. Services gate a handful to a few dozen paths, and for so few keys a
/// scan of packed key prefixes is several times faster than probing a hash map; larger sets
/// are hashed.
#[derive(Debug, Clone)]
enum KeyIndex {
    Few(Vec<u64>),
    Many(HashMap<Arc<str>, usize, RandomState>),
}

impl Default for KeyIndex {
    fn default() -> Self {
        KeyIndex::Few(Vec::new())
    }
}

impl KeyIndex {
    const SCAN_LIMIT: usize = 16;

    /// The first eight bytes of a key with its length folded into the top byte: equal keys have
    /// equal prefixes, and most unequal keys differ here without touching their bytes again.
    #[inline]
    fn prefix(key: &str) -> u64 {
        let bytes = key.as_bytes();
        // A fixed eight-byte load for most keys; a variable-length copy would call memcpy,
        // which costs more than the whole scan.
        let head = match bytes.first_chunk::<8>() {
            Some(first) => u64::from_le_bytes(*first),
            None => bytes
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
        };
        head ^ ((key.len() as u64) << 56)
    }

    fn build(flags: &[CompiledFlag]) -> Self {
        if flags.len() <= Self::SCAN_LIMIT {
            KeyIndex::Few(flags.iter().map(|f| Self::prefix(&f.key)).collect())
        } else {
            KeyIndex::Many(
                flags
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.key.clone(), i))
                    .collect(),
            )
        }
    }

    #[inline]
    fn find(&self, flags: &[CompiledFlag], key: &str) -> Option<usize> {
        match self {
            KeyIndex::Few(prefixes) => {
                let want = Self::prefix(key);
                prefixes
                    .iter()
                    .enumerate()
                    .find(|&(i, p)| *p == want && same_tail(&flags[i].key, key))
                    .map(|(i, _)| i)
            }
            KeyIndex::Many(map) => map.get(key).copied(),
        }
    }
}

/// A flag resolved in one snapshot: evaluating through it skips the name lookup. Valid only
/// for the snapshot that returned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlagHandle(usize);

impl FlagHandle {
    /// The flag's position in its snapshot (see [`Snapshot::flag_at`]).
    pub fn index(self) -> usize {
        self.0
    }
}

/// One flag, compiled.
#[derive(Debug, Clone)]
pub struct CompiledFlag {
    key: Arc<str>,
    version: u64,
    fixed: Option<(Variant, Reason<'static>)>,
    overrides: Vec<OverrideGroup>,
    scope: Vec<CompiledConstraint>,
    rollout: Rollout,
    seed: Seed,
    stickiness: Vec<Arc<str>>,
    /// Whether an answer can depend on the time (an override with an expiry that a fixed
    /// answer does not shadow).
    reads_clock: bool,
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
    In(ValueSet),
    NotIn(ValueSet),
    Exists,
}

/// The values of an `in` / `not_in` list. Short lists are scanned, which beats hashing the
/// probe value; long ones are hashed.
#[derive(Debug, Clone)]
enum ValueSet {
    Few(Box<[Box<str>]>),
    Many(HashSet<Box<str>, RandomState>),
}

impl ValueSet {
    const SCAN_LIMIT: usize = 8;

    fn new(list: &[String]) -> Self {
        let items = list.iter().map(|v| Box::<str>::from(v.as_str()));
        if list.len() <= Self::SCAN_LIMIT {
            ValueSet::Few(items.collect())
        } else {
            ValueSet::Many(items.collect())
        }
    }

    #[inline]
    fn contains(&self, value: &str) -> bool {
        match self {
            ValueSet::Few(items) => items
                .iter()
                .any(|item| item.len() == value.len() && **item == *value),
            ValueSet::Many(set) => set.contains(value),
        }
    }
}

/// Compares the bytes after the first eight of two keys whose prefixes matched (done once per
/// lookup, for the key that is almost certainly the one).
#[inline]
fn same_tail(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (
        a.get(8..).unwrap_or_default(),
        b.get(8..).unwrap_or_default(),
    );
    while let (Some((x, rest_a)), Some((y, rest_b))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if x != y {
            return false;
        }
        (a, b) = (rest_a, rest_b);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

impl Snapshot {
    /// Compiles `flags` (unique keys, as every store holds them) with the environment overrides
    /// of the evaluating process.
    pub fn compile<'a>(flags: impl IntoIterator<Item = &'a Flag>, env: &EnvOverrides) -> Self {
        let flags: Vec<CompiledFlag> = flags
            .into_iter()
            .map(|f| CompiledFlag::compile(f, env))
            .collect();
        let index = KeyIndex::build(&flags);
        Snapshot { flags, index }
    }

    /// The flag at a handle's index, if this snapshot has one there: for callers that keep a
    /// handle's index across snapshots and check it themselves.
    pub fn flag_at(&self, index: usize) -> Option<&CompiledFlag> {
        self.flags.get(index)
    }

    pub fn handle(&self, key: &str) -> Option<FlagHandle> {
        self.index.find(&self.flags, key).map(FlagHandle)
    }

    /// The flag behind a handle of this snapshot.
    ///
    /// # Panics
    /// When the handle came from a snapshot with more flags (a caller bug, not an input error).
    pub fn flag(&self, handle: FlagHandle) -> &CompiledFlag {
        &self.flags[handle.0]
    }

    pub fn get(&self, key: &str) -> Option<&CompiledFlag> {
        self.index.find(&self.flags, key).map(|i| &self.flags[i])
    }

    /// Evaluates `key` for `ctx` at `now`; an unknown flag answers `default` with reason
    /// `flag_not_found`.
    pub fn decide<A: Attributes + ?Sized>(
        &self,
        key: &str,
        ctx: &A,
        now: Timestamp,
        default: Variant,
    ) -> Decision<'_> {
        match self.get(key) {
            Some(flag) => flag.evaluate(ctx, now),
            None => Decision {
                variant: default,
                reason: Reason::FlagNotFound,
                flag_version: 0,
            },
        }
    }

    /// Only the variant of `key` for `ctx`: the by-name form of [`CompiledFlag::variant`].
    #[inline]
    pub fn variant<A: Attributes + ?Sized>(
        &self,
        key: &str,
        ctx: &A,
        now: Timestamp,
        default: Variant,
    ) -> Variant {
        self.get(key).map_or(default, |flag| flag.variant(ctx, now))
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
        // The declared variables stand in for the flag's own switch, stage and rollout in this
        // process; a malformed value is left out here (the process reports it, see
        // `EnvOverrides::problems`).
        let declared = env.read(flag);
        let stage = declared.stage.unwrap_or(flag.stage);
        let rollout = declared
            .rollout
            .or(declared.stage.map(Stage::rollout))
            .unwrap_or(flag.rollout);
        let env_reason = |var: &str| Reason::EnvOverride {
            var: Cow::Owned(var.to_owned()),
        };
        let fixed = if flag.killed {
            Some((Variant::Legacy, Reason::KillSwitch))
        } else if let Some((var, variant)) = env.for_flag(&flag.key).or(declared.forced) {
            Some((variant, env_reason(var)))
        } else if let Some((var, false)) = declared.enabled {
            Some((Variant::Legacy, env_reason(var)))
        } else if declared.enabled.is_none() && !flag.enabled {
            Some((Variant::Legacy, Reason::Disabled))
        } else if stage == Stage::LegacyDisabled {
            Some((Variant::New, Reason::LegacyRetired))
        } else if flag.overrides.is_empty() && flag.scope.is_empty() {
            // At 0 % or 100 % with nothing else to check, the context cannot change the answer.
            let everyone = || Reason::Rollout {
                attribute: None,
                bucket: None,
                rollout,
            };
            match rollout {
                Rollout::NONE => Some((Variant::Legacy, everyone())),
                Rollout::FULL => Some((Variant::New, everyone())),
                _ => None,
            }
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

        let scope = flag
            .scope
            .iter()
            .map(|c| CompiledConstraint {
                attribute: c.attribute.shared().clone(),
                test: match &c.operator {
                    Operator::In(list) => ConstraintTest::In(ValueSet::new(list)),
                    Operator::NotIn(list) => ConstraintTest::NotIn(ValueSet::new(list)),
                    Operator::Exists => ConstraintTest::Exists,
                },
            })
            .collect();

        let reads_clock = fixed.is_none() && flag.overrides.iter().any(|o| o.expires_at.is_some());
        CompiledFlag {
            key: flag.key.shared().clone(),
            version: flag.version,
            fixed,
            reads_clock,
            overrides,
            scope,
            rollout,
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

    /// The value bucketing would read for this context: the first attribute of the flag's
    /// stickiness chain that the context has.
    pub fn stickiness_value<'c, A: Attributes + ?Sized>(&self, ctx: &'c A) -> Option<&'c str> {
        self.stickiness.iter().find_map(|attr| ctx.attribute(attr))
    }

    /// Whether `now` can change this flag's answers. When it cannot, a caller on a hot path may
    /// pass any instant and skip reading the clock.
    pub fn reads_clock(&self) -> bool {
        self.reads_clock
    }

    /// The full decision, with the rule that made it.
    #[inline]
    pub fn evaluate<A: Attributes + ?Sized>(&self, ctx: &A, now: Timestamp) -> Decision<'_> {
        let (variant, reason) = self.decide(ctx, now);
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

    #[inline]
    fn decide<A: Attributes + ?Sized>(&self, ctx: &A, now: Timestamp) -> (Variant, Reason<'_>) {
        if let Some((variant, reason)) = &self.fixed {
            let reason = match reason {
                Reason::EnvOverride { var } => Reason::EnvOverride {
                    var: Cow::Borrowed(&**var),
                },
                other => other.clone(),
            };
            return (*variant, reason);
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
                Variant::Legacy => {
                    return (
                        Variant::Legacy,
                        Reason::Override {
                            attribute: Cow::Borrowed(&*group.attribute),
                        },
                    );
                }
                Variant::New => forced_new = forced_new.or(Some(&group.attribute)),
            }
        }
        if let Some(attribute) = forced_new {
            return (
                Variant::New,
                Reason::Override {
                    attribute: Cow::Borrowed(&**attribute),
                },
            );
        }

        for constraint in &self.scope {
            if !constraint.matches(ctx) {
                let attribute = Cow::Borrowed(&*constraint.attribute);
                return (Variant::Legacy, Reason::OutOfScope { attribute });
            }
        }

        // The bucket only matters strictly between 0 % and 100 %.
        match self.rollout {
            Rollout::NONE => {
                return (
                    Variant::Legacy,
                    Reason::Rollout {
                        attribute: None,
                        bucket: None,
                        rollout: self.rollout,
                    },
                );
            }
            Rollout::FULL => {
                return (
                    Variant::New,
                    Reason::Rollout {
                        attribute: None,
                        bucket: None,
                        rollout: self.rollout,
                    },
                );
            }
            _ => {}
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
                let attribute = Some(Cow::Borrowed(&**attribute));
                let rollout = self.rollout;
                (
                    variant,
                    Reason::Rollout {
                        attribute,
                        bucket: Some(bucket),
                        rollout,
                    },
                )
            }
            None => {
                let variant = if self.rollout == Rollout::FULL {
                    Variant::New
                } else {
                    Variant::Legacy
                };
                let rollout = self.rollout;
                (
                    variant,
                    Reason::Rollout {
                        attribute: None,
                        bucket: None,
                        rollout,
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
mod env_tests;
#[cfg(test)]
mod tests;
