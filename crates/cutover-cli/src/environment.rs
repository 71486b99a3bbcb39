//! What the CLI reads from its process environment, read and validated before any store is
//! opened or created: `CUTOVER_FLAG_*` overrides, and the `CUTOVER_*` variables behind options.

use std::ffi::OsString;

use cutover_core::EnvOverrides;

/// This process's `CUTOVER_FLAG_*` variables, and the others a flag could declare by name as
/// they were read (a flag that declares one with a bad value reports it when compiled). A bad
/// `CUTOVER_FLAG_*` value, UTF-8 or not, is an error naming the variable, all of them at once;
/// other variables are never an error whatever their bytes.
pub(crate) fn flag_overrides() -> anyhow::Result<EnvOverrides> {
    EnvOverrides::from_os_vars(std::env::vars_os()).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })
}

/// The `CUTOVER_*` variables behind options of `command` (and its subcommands) that hold bytes
/// that are not UTF-8, with their values, for options that take text. Clap refuses such a value
/// only as "invalid UTF-8 was detected in one or more arguments", without saying where; this
/// says which variable. Path options accept any bytes, so their variables are left out.
pub(crate) fn option_variables_not_utf8(command: &clap::Command) -> Vec<(String, OsString)> {
    let path = clap::value_parser!(std::path::PathBuf).type_id();
    let mut found: Vec<(String, OsString)> = Vec::new();
    let mut stack = vec![command];
    while let Some(cmd) = stack.pop() {
        for arg in cmd.get_arguments() {
            let Some(name) = arg.get_env() else { continue };
            if arg.get_value_parser().type_id() == path {
                continue;
            }
            let Some(value) = std::env::var_os(name) else {
                continue;
            };
            let name = name.to_string_lossy().into_owned();
            if value.to_str().is_none() && !found.iter().any(|(n, _)| *n == name) {
                found.push((name, value));
            }
        }
        stack.extend(cmd.get_subcommands());
    }
    found.sort();
    found
}
