//! What a change asked for by a person or a script must be, before any rule of the flag is
//! consulted: at least one change, and no move that is the rollout guard's alone. The server's
//! change route checks each change here before the caller's role, so the refusals are the
//! same whichever way a change arrives.

use cutover_api::ControlError;
use cutover_core::FlagChange;

/// A request names at least one change.
pub fn at_least_one(changes: &[FlagChange]) -> Result<(), ControlError> {
    if changes.is_empty() {
        return Err(ControlError::invalid(
            "changes",
            "\"changes\" is empty; send at least one change",
        ));
    }
    Ok(())
}

/// `guard_action` changes are made by the rollout guard only (through
/// [`StoreControl::guard_act`](crate::StoreControl::guard_act)), so an audit entry by `guard` is
/// the guard's.
pub fn by_a_person(change: &FlagChange) -> Result<(), ControlError> {
    if matches!(change, FlagChange::GuardAction { .. }) {
        return Err(ControlError::invalid(
            "changes",
            "guard_action changes are made by the guard loop only; use the rollout moves \
             (start, pause, resume, promote, abort)",
        ));
    }
    Ok(())
}
