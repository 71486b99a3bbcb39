//! The cutover SDK for Node.js: a napi-rs addon over `cutover-sdk`.
//!
//! The Rust SDK is the implementation (stream, reconnects, cache, snapshot, metrics buffer and
//! upload, shadow comparison and tallies); this crate only carries values across the boundary.
//! `index.js` beside it gives the addon its JavaScript shape (`Client.connect`, `measure`,
//! `shadow` with a Promise, the OpenFeature provider); nothing about a decision, a bucket or a
//! comparison is computed in JavaScript.
//!
//! Every exported function catches a Rust panic and turns it into a JavaScript exception
//! (`catch_unwind` in the generated glue, and around the change callback), so a bug never aborts
//! the Node process.

pub mod client;
mod context;
mod failure;
pub mod fast;
pub mod flag;

use napi_derive::{module_init, napi};

/// The SDK's background work (the change stream, metric uploads) runs on a runtime of two
/// worker threads owned by the addon, started when the module loads: a Node process has cores
/// of its own to keep for its event loop.
#[module_init]
fn init() {
    if let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("cutover-sdk")
        .enable_all()
        .build()
    {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// Panics with `message`: lets the test suite check that a Rust panic reaches JavaScript as an
/// exception rather than aborting the process.
#[napi(js_name = "_panicForTesting", catch_unwind)]
pub fn panic_for_testing(message: String) {
    panic!("{message}");
}
