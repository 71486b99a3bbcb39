//! `cutover init`: create a new, empty store, or say that one is already there.

use std::process::ExitCode;

use cutover_control::StoreError;

use crate::global::Global;
use crate::session::open_store;

pub(crate) async fn run(global: &Global) -> anyhow::Result<ExitCode> {
    // With --server this command is refused with the arguments (main.rs): it creates a store.
    let place = match &global.postgres {
        Some(_) => "the PostgreSQL database".to_owned(),
        None => global.db.display().to_string(),
    };
    // Looking first without creating tells a new store from an existing one, which is left as
    // it is.
    let (store, created) = match open_store(global, false).await {
        Ok(store) => (store, false),
        Err(e)
            if e.downcast_ref::<StoreError>().is_some_and(|e| {
                matches!(e, StoreError::NoStore { .. } | StoreError::NoSchema { .. })
            }) =>
        {
            (open_store(global, true).await?, true)
        }
        Err(e) => return Err(e),
    };
    store.close().await;
    if created {
        println!(
            "created a new cutover store in {place}; `cutover serve` prints its first admin token"
        );
    } else {
        println!("{place} is already a cutover store; nothing was changed");
    }
    Ok(ExitCode::SUCCESS)
}
