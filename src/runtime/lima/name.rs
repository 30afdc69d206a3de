//! Lima's rule for instance names, and a name that follows it made from any workspace name.
//!
//! Lima accepts letters and digits with single `.`, `_` or `-` between them
//! (`^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$`), at most 76 characters
//! (`pkg/identifiers/validate.go`, v1.0.0–v2.2.0; containerd's in 1.x), and from v1.2.0 not
//! ending in `.yml`/`.yaml` (`ValidateInstName` in `pkg/store/store.go`, later
//! `pkg/limatype/dirnames/dirnames.go`). Before 1.2 such a name passes `create` but
//! `limactl start NAME.yaml` reads it as a file, so berth refuses it at every version.

use crate::diag::Diagnostic;
use crate::settings::Setting;

/// The longest name Lima accepts.
const MAX_LEN: usize = 76;
/// The separators Lima allows, one at a time, between runs of letters and digits.
const SEPARATORS: &[char] = &['.', '_', '-'];
/// What berth calls the instance when a workspace name has no letter or digit at all.
const FALLBACK: &str = "berth";

/// Why Lima would refuse `name`, or `None` when it accepts it.
pub fn problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    if name.len() > MAX_LEN {
        return Some(format!(
            "it has {} characters; Lima allows at most {MAX_LEN}",
            name.len()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !SEPARATORS.contains(c))
    {
        return Some(format!("Lima does not allow `{bad}` in a name"));
    }
    let runs_of_letters_and_digits = name
        .split(SEPARATORS)
        .all(|run| !run.is_empty() && run.chars().all(|c| c.is_ascii_alphanumeric()));
    if !runs_of_letters_and_digits {
        return Some(
            "it must start and end with a letter or digit and have one `.`, `_` or `-` at a time"
                .into(),
        );
    }
    if yaml_ending(name).is_some() {
        return Some("Lima reads a name ending in `.yaml` or `.yml` as a file".into());
    }
    None
}

/// A name Lima accepts for a workspace called `workspace`: in lower case, each run of
/// characters Lima does not allow (or of several separators) becomes one `-`, separators at
/// either end are dropped, the length is capped at 76, and a `.yaml`/`.yml` ending becomes
/// `-yaml`/`-yml`. `berth` when nothing is left.
pub fn derive(workspace: &str) -> String {
    let mut name = String::new();
    let mut gap = String::new();
    for c in workspace.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_alphanumeric() {
            if !name.is_empty() && !gap.is_empty() {
                name.push(match gap.as_str() {
                    "." | "_" | "-" => gap.chars().next().unwrap_or('-'),
                    _ => '-',
                });
            }
            gap.clear();
            name.push(c);
        } else {
            gap.push(c);
        }
    }
    name.truncate(MAX_LEN);
    let name = name.trim_end_matches(SEPARATORS);
    let mut name = name.to_string();
    if let Some(dot) = yaml_ending(&name) {
        name.replace_range(dot..=dot, "-");
    }
    if name.is_empty() {
        FALLBACK.to_string()
    } else {
        name
    }
}

/// The `instance` setting, refused with Lima's rule and a name to use instead when Lima would
/// refuse it. Checked before any `limactl` call, so Lima's own error never has to explain it.
pub fn check(instance: &Setting<String>) -> Result<(), Diagnostic> {
    let Some(why) = problem(&instance.value) else {
        return Ok(());
    };
    let diagnostic = Diagnostic::new(format!(
        "`{}` is not a valid instance name: {why}",
        instance.value
    ))
    .help(
        "Lima's instance names are letters and digits with single `.`, `_` or `-` between \
         them, at most 76 characters, not ending in `.yaml` or `.yml`",
    );
    let suggestion = format!("use `instance = \"{}\"`", derive(&instance.value));
    Err(instance.source.point_at(diagnostic).help(suggestion))
}

/// The byte index of the `.` of a `.yaml`/`.yml` ending (any case), if `name` has one.
fn yaml_ending(name: &str) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    [".yaml", ".yml"]
        .iter()
        .find(|ending| lower.ends_with(*ending))
        .map(|ending| name.len() - ending.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lima's own check, as the oracle: its expression verbatim (`pkg/identifiers/validate.go`
    /// at v2.2.0, the same in containerd's copy Lima 1.x used), the length and the ending.
    fn lima_accepts(name: &str) -> bool {
        const IDENTIFIER: &str = r"^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";
        let re = regex_automata::meta::Regex::new(IDENTIFIER).expect("Lima's expression");
        let lower = name.to_ascii_lowercase();
        name.len() <= 76
            && re.is_match(name)
            && !lower.ends_with(".yml")
            && !lower.ends_with(".yaml")
    }

    #[test]
    fn lima_refuses_what_problem_names() {
        for ok in ["demo", "my-app", "api_v2", "a.b-c_d", "A1", &"x".repeat(76)] {
            assert!(lima_accepts(ok), "{ok}");
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "my app",
            "my-app-",
            "-app",
            "api__v2",
            "a..b",
            "data.yaml",
            "data.YML",
            "café",
            &"x".repeat(77),
        ] {
            assert!(!lima_accepts(bad), "{bad}");
            assert!(problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn workspace_names_become_names_lima_accepts() {
        assert_eq!(derive("My App!"), "my-app");
        assert_eq!(derive("foo (old)"), "foo-old");
        assert_eq!(derive("api__v2"), "api-v2");
        assert_eq!(derive("api_v2"), "api_v2");
        assert_eq!(derive("data.yaml"), "data-yaml");
        assert_eq!(derive("x.yml"), "x-yml");
        assert_eq!(derive("__x"), "x");
        assert_eq!(derive("!!!"), "berth");
        assert_eq!(derive("café au lait"), "caf-au-lait");
        assert_eq!(derive(&format!("{}-tail", "a".repeat(75))), "a".repeat(75));
    }

    proptest::proptest! {
        #[test]
        fn prop_every_derived_name_is_one_lima_accepts(workspace in "\\PC{0,100}") {
            let name = derive(&workspace);
            proptest::prop_assert!(lima_accepts(&name), "{workspace:?} -> {name:?}");
            proptest::prop_assert_eq!(problem(&name), None);
        }

        #[test]
        fn prop_problem_agrees_with_lima(name in "[a-zA-Z0-9._\\- /é]{0,80}") {
            proptest::prop_assert_eq!(problem(&name).is_none(), lima_accepts(&name), "{:?}", name);
        }
    }
}
