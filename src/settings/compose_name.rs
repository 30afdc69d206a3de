//! The `compose-project` setting: the Compose project name berth gives `berth compose` and
//! `berth env`, by default one per checkout.
//!
//! A name must pass both Compose implementations berth runs. Compose v2 (compose-go
//! `loader/loader.go`, `NormalizeProjectName` and `InvalidProjectNameErr`) refuses a name its
//! normalisation would change: only `a-z`, `0-9`, `_` and `-`, not starting with `_` or `-`.
//! The Python `docker-compose` 1.29 (`compose/cli/command.py`, `get_project_name`) drops every
//! other character instead, so a name valid for v2 reaches it unchanged.

use std::fmt;

/// A valid Compose project name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeName(String);

impl ComposeName {
    /// `text` when Compose takes it as it is, else why not.
    pub fn parse(text: &str) -> Result<ComposeName, String> {
        if text.is_empty() {
            return Err("a compose project name cannot be empty".into());
        }
        if normalize(text) != text {
            return Err(format!(
                "`{text}` is not a compose project name: only lowercase letters, digits, `_` \
                 and `-`, starting with a letter or digit"
            ));
        }
        Ok(ComposeName(text.to_string()))
    }

    /// The name for the checkout at the root that `root_id` hashes, in a workspace called
    /// `workspace`: the workspace name in lower case, each run of other characters made one
    /// `-`, then `-` and the root's id, so two checkouts of one repository differ.
    pub fn derive(workspace: &str, root_id: &str) -> ComposeName {
        let mut slug = String::new();
        for c in workspace.chars().map(|c| c.to_ascii_lowercase()) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        let name = if slug.is_empty() {
            format!("berth-{root_id}")
        } else {
            format!("{slug}-{root_id}")
        };
        debug_assert_eq!(normalize(&name), name, "a derived name is valid");
        ComposeName(name)
    }
}

impl fmt::Display for ComposeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Compose v2's normalisation of a name (compose-go `loader/loader.go`,
/// `NormalizeProjectName`): lower case, only `a-z0-9_-` kept, leading `_` and `-` dropped.
/// It is also what v2 makes of a compose file's `name:`.
pub fn normalize(text: &str) -> String {
    let kept: String = text
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_refuses_what_its_normalisation_would_change() {
        for good in ["app", "my-app_2", "9lives", "a--b"] {
            assert_eq!(ComposeName::parse(good).map(|n| n.0), Ok(good.into()));
        }
        for bad in ["", "App", "my app", "-app", "_app", "app.v2", "appé"] {
            assert!(ComposeName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn normalisation_is_compose_gos() {
        assert_eq!(normalize("My App!"), "myapp");
        assert_eq!(normalize("__-x_y-"), "x_y-");
        assert_eq!(normalize("ÄB"), "b");
    }

    #[test]
    fn a_derived_name_is_the_workspace_and_the_checkouts_id() {
        let derive = |w| ComposeName::derive(w, "0a1b2c3d").0;
        assert_eq!(derive("app"), "app-0a1b2c3d");
        assert_eq!(derive("My App!"), "my-app-0a1b2c3d");
        assert_eq!(derive("__x.y__"), "x-y-0a1b2c3d");
        assert_eq!(derive("日本"), "berth-0a1b2c3d");
        for workspace in ["app", "My App!", "-x-", "", "a_b.c"] {
            let name = ComposeName::derive(workspace, "0a1b2c3d");
            assert_eq!(ComposeName::parse(&name.0), Ok(name.clone()));
        }
    }
}
