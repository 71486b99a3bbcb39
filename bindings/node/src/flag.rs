//! A flag handle: evaluation of one flag without the name lookup.

use cutover_core::Variant;
use cutover_sdk::{Client, SdkFlag};
use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use crate::client::variant_name;
use crate::context::with_context;
use crate::failure::{closed, type_error};

#[napi]
pub struct NativeFlag {
    handle: SdkFlag,
    client: Client,
}

impl NativeFlag {
    pub(crate) fn new(handle: SdkFlag, client: Client) -> Self {
        NativeFlag { handle, client }
    }
}

#[napi]
impl NativeFlag {
    #[napi(getter)]
    pub fn key(&self) -> String {
        self.handle.key().to_owned()
    }

    /// Whether this context takes the new path; a flag the client does not have answers false.
    #[napi(catch_unwind)]
    pub fn is_new(&self, env: Env, ctx: Unknown<'_>) -> Result<bool> {
        if self.client.is_closed() {
            return Err(closed());
        }
        with_context(env.raw(), ctx.raw(), |attributes| {
            self.handle.is_new(attributes)
        })
        .map_err(|refused| type_error(&env, refused))
    }

    /// The evaluator `index.js` passes to `isNewByHandle` (see `fast.rs`).
    #[napi(catch_unwind)]
    pub fn evaluator(&self, env: Env) -> Result<Unknown<'static>> {
        // A handle of its own: a handle caches where its flag sits in the snapshot.
        let handle = self
            .client
            .flag(self.handle.key())
            .map_err(|e| crate::failure::error(e.to_string()))?;
        crate::fast::external(
            &env,
            crate::fast::Evaluator::Flag {
                handle,
                client: self.client.clone(),
            },
        )
    }

    /// `legacy` or `new` for this context.
    #[napi(catch_unwind)]
    pub fn variant(&self, env: Env, ctx: Unknown<'_>) -> Result<String> {
        if self.client.is_closed() {
            return Err(closed());
        }
        with_context(env.raw(), ctx.raw(), |attributes| {
            variant_name(self.handle.variant(attributes, Variant::Legacy))
        })
        .map_err(|refused| type_error(&env, refused))
    }
}
