//! A command-line text held to the size limit of where it is stored (`docs/limits.md`), so an
//! over-long `--reason` or `--description` is a usage error (exit 2) before anything is opened,
//! and the message quotes the start of the text rather than all of it (clap's own message would
//! repeat the whole value).

use std::ffi::OsStr;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use cutover_core::limits;

#[derive(Debug, Clone, Copy)]
pub(crate) struct TextLimit {
    field: &'static str,
    limit: usize,
}

impl TextLimit {
    pub(crate) const REASON: TextLimit = TextLimit {
        field: "reason",
        limit: limits::MAX_REASON_BYTES,
    };
    pub(crate) const ACTOR: TextLimit = TextLimit {
        field: "actor",
        limit: limits::MAX_ACTOR_BYTES,
    };
    pub(crate) const DESCRIPTION: TextLimit = TextLimit {
        field: "description",
        limit: limits::MAX_DESCRIPTION_BYTES,
    };
    pub(crate) const OWNER: TextLimit = TextLimit {
        field: "owner",
        limit: limits::MAX_OWNER_BYTES,
    };
    pub(crate) const SALT: TextLimit = TextLimit {
        field: "salt",
        limit: limits::MAX_SALT_BYTES,
    };
    pub(crate) const VALUE: TextLimit = TextLimit {
        field: "override.value",
        limit: limits::MAX_VALUE_BYTES,
    };
}

impl TypedValueParser for TextLimit {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        let option = arg.map_or_else(String::new, |a| format!("--{}: ", a.get_id()));
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::InvalidUtf8,
                format!("{option}the value is not valid UTF-8 text\n"),
            )
        })?;
        limits::check_text(self.field, text, self.limit)
            .map_err(|e| clap::Error::raw(ErrorKind::ValueValidation, format!("{option}{e}\n")))?;
        Ok(text.to_owned())
    }
}
