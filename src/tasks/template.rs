//! Task templates: every `cmd`, `env` value, glob and `depends-on` arg is a MiniJinja template,
//! rendered with pixi's settings (strict undefined, no auto-escape) and pixi's variables.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

/// The `pixi.*` variables, fixed for one run except for the environment name.
#[derive(Debug, Clone)]
pub struct PixiVars {
    pub platform: String,
    pub manifest_path: String,
    pub version: String,
    pub init_cwd: String,
}

impl PixiVars {
    fn value(&self, environment: &str) -> Value {
        let is = |prefix: &str| self.platform.starts_with(prefix);
        let mut map = BTreeMap::new();
        map.insert("platform", Value::from(self.platform.as_str()));
        map.insert(
            "environment",
            Value::from_iter([("name", Value::from(environment))]),
        );
        map.insert("manifest_path", Value::from(self.manifest_path.as_str()));
        map.insert("version", Value::from(self.version.as_str()));
        map.insert("init_cwd", Value::from(self.init_cwd.as_str()));
        map.insert("is_win", Value::from(is("win-")));
        map.insert("is_unix", Value::from(!is("win-")));
        map.insert("is_linux", Value::from(is("linux-")));
        map.insert("is_osx", Value::from(is("osx-")));
        Value::from_iter(map)
    }
}

/// Renders templates with pixi's MiniJinja settings.
pub struct Renderer {
    jinja: Environment<'static>,
    pixi: PixiVars,
}

impl Renderer {
    pub fn new(pixi: PixiVars) -> Renderer {
        let mut jinja = Environment::new();
        jinja.set_undefined_behavior(UndefinedBehavior::Strict);
        jinja.set_auto_escape_callback(|_| AutoEscape::None);
        Renderer { jinja, pixi }
    }

    /// Render `source` with the typed args (always strings) and `pixi.*` for `environment`.
    pub fn render(
        &self,
        source: &str,
        environment: &str,
        args: &[(String, String)],
    ) -> Result<String, minijinja::Error> {
        // Plain text renders to itself; skip the parser for the common case.
        if !source.contains("{{") && !source.contains("{%") && !source.contains("{#") {
            return Ok(source.to_string());
        }
        let mut context: BTreeMap<&str, Value> = args
            .iter()
            .map(|(name, value)| (name.as_str(), Value::from(value.as_str())))
            .collect();
        context.insert("pixi", self.pixi.value(environment));
        self.jinja.render_str(source, context)
    }
}

/// A MiniJinja error as one readable line (its detail included when it has one).
pub fn describe(err: &minijinja::Error) -> String {
    match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renderer(platform: &str) -> Renderer {
        Renderer::new(PixiVars {
            platform: platform.to_string(),
            manifest_path: "/p/pixi.toml".to_string(),
            version: "0.1.0".to_string(),
            init_cwd: "/p".to_string(),
        })
    }

    #[test]
    fn renders_args_pixi_vars_and_filters() {
        let r = renderer("linux-64");
        let args = vec![("name".to_string(), "world".to_string())];
        assert_eq!(
            r.render(
                "echo {{ name | upper }} on {{ pixi.platform }} in {{ pixi.environment.name }}",
                "dev",
                &args
            )
            .unwrap(),
            "echo WORLD on linux-64 in dev"
        );
        assert_eq!(
            r.render(
                "{% if pixi.is_linux %}l{% else %}o{% endif %}{{ pixi.is_win }}",
                "default",
                &[]
            )
            .unwrap(),
            "lfalse".replace("false", "False")
        );
        assert_eq!(
            r.render(
                "{% for x in 'a b' | split %}[{{ x }}]{% endfor %}",
                "default",
                &[]
            )
            .unwrap(),
            "[a][b]"
        );
    }

    #[test]
    fn undefined_is_an_error_and_nothing_is_escaped() {
        let r = renderer("osx-arm64");
        assert!(r.render("echo {{ missing }}", "default", &[]).is_err());
        assert!(
            r.render("docker ps --format '{{.Names}}'", "default", &[])
                .is_err()
        );
        let args = vec![("x".to_string(), "<a & 'b'>".to_string())];
        assert_eq!(r.render("{{ x }}", "default", &args).unwrap(), "<a & 'b'>");
        assert_eq!(
            r.render("awk '{print $1}'", "default", &[]).unwrap(),
            "awk '{print $1}'"
        );
    }
}
