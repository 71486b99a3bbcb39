//! The rule that no two flags read one environment variable: a flag's derived
//! `CUTOVER_FLAG_<KEY>` and the names it declares (`env_names.rs`) are one namespace, because a
//! variable read by two flags would silently move both. Creation, change and import all ask
//! [`env_conflict`].

use std::fmt;

use crate::env::env_var_name;
use crate::env_names::EnvUse;
use crate::flag::Flag;
use crate::key::FlagKey;

/// Every variable `flag` reads: its derived `CUTOVER_FLAG_<KEY>`, then its declared names.
pub fn env_claims(flag: &Flag) -> Vec<(String, EnvUse)> {
    let mut claims = vec![(env_var_name(&flag.key), EnvUse::Derived)];
    claims.extend(
        flag.env
            .declared()
            .map(|(name, how)| (name.as_str().to_owned(), how)),
    );
    claims
}

/// Two flags that would read one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvConflict {
    /// The flag coming into being or being changed.
    pub flag: FlagKey,
    pub flag_use: EnvUse,
    /// The flag that already reads the variable.
    pub other: FlagKey,
    pub other_use: EnvUse,
    pub var: String,
}

impl fmt::Display for EnvConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let EnvConflict {
            flag,
            other,
            var,
            flag_use,
            other_use,
        } = self;
        if (*flag_use, *other_use) == (EnvUse::Derived, EnvUse::Derived) {
            return write!(
                f,
                "flag {flag} would answer to the environment variable {var}, like the existing \
                 flag {other}: keys that differ only in '-', '_' and '.' are one flag to the \
                 environment; pick another key (or delete {other} first)"
            );
        }
        write!(
            f,
            "flag {flag} would read the environment variable {var} (as {}), which flag {other} \
             already reads (as {}): one variable can drive only one flag; pick another name, or \
             clear it from {other} first",
            flag_use.field(),
            other_use.field()
        )
    }
}

/// The first variable `flag` reads that one of `others` (another key) reads too. The rule of
/// every place a flag comes into being or changes its names: creation, change, import.
pub fn env_conflict<'a>(
    flag: &Flag,
    others: impl IntoIterator<Item = &'a Flag>,
) -> Option<EnvConflict> {
    let mine = env_claims(flag);
    others
        .into_iter()
        .filter(|other| other.key != flag.key)
        .find_map(|other| {
            let theirs = env_claims(other);
            mine.iter().find_map(|(var, flag_use)| {
                let (_, other_use) = theirs.iter().find(|(v, _)| v == var)?;
                Some(EnvConflict {
                    flag: flag.key.clone(),
                    flag_use: *flag_use,
                    other: other.key.clone(),
                    other_use: *other_use,
                    var: var.clone(),
                })
            })
        })
}

#[cfg(test)]
mod tests;
