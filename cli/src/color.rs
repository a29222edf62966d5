//! When to colour output: `--color auto|always|never`, and in `auto` the conventions
//! other tools follow — `FORCE_COLOR` (set and not `0`/`false`) forces colour, `NO_COLOR`
//! (set and non-empty, <https://no-color.org>) turns it off, otherwise colour on a TTY.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records the command line's choice once, for every writer of this process.
pub fn set(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

/// Whether to colour a stream, given whether it is a terminal.
pub fn enabled(is_tty: bool) -> bool {
    decide(
        CHOICE.get().copied().unwrap_or_default(),
        is_tty,
        std::env::var("FORCE_COLOR").ok().as_deref(),
        std::env::var("NO_COLOR").ok().as_deref(),
    )
}

/// The decision, without the environment (for tests).
pub fn decide(
    choice: ColorChoice,
    is_tty: bool,
    force_color: Option<&str>,
    no_color: Option<&str>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if let Some(f) = force_color {
                return !matches!(f, "0" | "false");
            }
            if no_color.is_some_and(|v| !v.is_empty()) {
                return false;
            }
            is_tty
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColorChoice::*;

    #[test]
    fn precedence() {
        assert!(decide(Auto, true, None, None));
        assert!(!decide(Auto, false, None, None));
        assert!(!decide(Auto, true, None, Some("1")));
        assert!(
            decide(Auto, true, None, Some("")),
            "an empty NO_COLOR is unset"
        );
        assert!(decide(Auto, false, Some("1"), None));
        assert!(
            decide(Auto, false, Some(""), Some("1")),
            "FORCE_COLOR wins over NO_COLOR"
        );
        assert!(!decide(Auto, true, Some("0"), None));
        assert!(decide(Always, false, None, Some("1")));
        assert!(!decide(Never, true, Some("1"), None));
    }
}
