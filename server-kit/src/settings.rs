//! Loading a binary's settings (environment variables, or flags) with clap.

use clap::{CommandFactory, Parser};

/// Parses the settings from the environment and arguments, or exits with clap's
/// message. A value out of its range also gets a line naming the environment
/// variable, since that is what operators set (clap's message names the flag).
pub fn load<S: Parser>() -> S {
    S::try_parse().unwrap_or_else(|err| {
        if let Some(var) = invalid_env_var::<S>(&err) {
            let program = S::command().get_name().to_owned();
            eprintln!("{program}: cannot start: {var} is invalid");
        }
        err.exit()
    })
}

/// The environment variable of the argument a parse error is about, if it has one.
pub fn invalid_env_var<S: CommandFactory>(err: &clap::Error) -> Option<String> {
    let clap::error::ContextValue::String(arg) = err.get(clap::error::ContextKind::InvalidArg)? else {
        return None;
    };
    // Rendered as `--access-ttl <ACCESS_TTL>`.
    let long = arg.strip_prefix("--")?.split([' ', '=']).next()?;
    let command = S::command();
    let env = command.get_arguments().find(|a| a.get_long() == Some(long))?.get_env()?;
    Some(env.to_string_lossy().into_owned())
}

/// The environment variables of `S` that `readme` never names in backquotes: what
/// its settings tables lack.
pub fn undocumented<S: CommandFactory>(readme: &str) -> Vec<String> {
    S::command()
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .filter(|env| !readme.contains(&format!("`{env}`")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Parser)]
    #[command(name = "example")]
    struct Example {
        #[arg(long, env = "EXAMPLE_TTL", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..=10))]
        ttl: i64,
    }

    #[test]
    fn an_out_of_range_value_names_its_variable() {
        let err = Example::try_parse_from(["example", "--ttl", "11"]).unwrap_err();
        assert_eq!(invalid_env_var::<Example>(&err).as_deref(), Some("EXAMPLE_TTL"));
        assert_eq!(Example::try_parse_from(["example"]).unwrap().ttl, 5);
    }

    #[test]
    fn settings_missing_from_a_readme_are_named() {
        assert_eq!(undocumented::<Example>("| `OTHER` |"), ["EXAMPLE_TTL"]);
        assert!(undocumented::<Example>("| `EXAMPLE_TTL` | 5 |").is_empty());
    }
}
