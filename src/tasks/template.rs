//! Task templates: every `cmd`, `env` value, glob and `depends-on` arg is a MiniJinja template,
//! rendered with pixi's settings (strict undefined, no auto-escape, the default filters
//! including `tojson`) and pixi's variables (`crates/pixi_manifest/src/task.rs`,
//! `TaskRenderContext`, v0.77.0).

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use super::platforms;
use crate::manifest::tasks::DeclaredPlatform;

/// The `pixi.*` variables fixed for one run.
#[derive(Debug, Clone)]
pub struct PixiVars {
    pub manifest_path: String,
    pub version: String,
    pub init_cwd: String,
}

/// What one rendering knows besides the fixed variables.
pub struct Context<'c> {
    /// `pixi.platform` and the `pixi.is_*` flags follow it.
    pub platform: &'c DeclaredPlatform,
    pub environment: &'c str,
    /// The typed arguments, as top-level variables.
    pub args: &'c [(String, String)],
    /// A `depends-on` argument is rendered without `pixi.manifest_path` and
    /// `pixi.init_cwd`, as pixi renders it.
    pub dependency: bool,
}

impl PixiVars {
    fn value(&self, context: &Context<'_>) -> Value {
        let subdir = context.platform.subdir.as_str();
        let mut map = BTreeMap::new();
        map.insert("platform", Value::from(context.platform.name.as_str()));
        map.insert(
            "environment",
            Value::from_iter([("name", Value::from(context.environment))]),
        );
        if !context.dependency {
            map.insert("manifest_path", Value::from(self.manifest_path.as_str()));
            map.insert("init_cwd", Value::from(self.init_cwd.as_str()));
        }
        map.insert("version", Value::from(self.version.as_str()));
        map.insert("is_win", Value::from(platforms::is_windows(subdir)));
        map.insert("is_unix", Value::from(platforms::is_unix(subdir)));
        map.insert("is_linux", Value::from(platforms::is_linux(subdir)));
        map.insert("is_osx", Value::from(platforms::is_osx(subdir)));
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

    /// Render `source` with the typed args (always strings) and `pixi.*`.
    pub fn render(&self, source: &str, context: &Context<'_>) -> Result<String, minijinja::Error> {
        // Plain text renders to itself; skip the parser for the common case.
        if !source.contains("{{") && !source.contains("{%") && !source.contains("{#") {
            return Ok(source.to_string());
        }
        let mut values: BTreeMap<&str, Value> = context
            .args
            .iter()
            .map(|(name, value)| (name.as_str(), Value::from(value.as_str())))
            .collect();
        values.insert("pixi", self.pixi.value(context));
        self.jinja.render_str(source, values)
    }
}

#[cfg(test)]
impl Renderer {
    /// A renderer for a manifest at `manifest_path`, started from its directory.
    pub fn for_tests(manifest_path: &str) -> Renderer {
        let dir = std::path::Path::new(manifest_path)
            .parent()
            .map_or_else(String::new, |d| d.display().to_string());
        Renderer::new(PixiVars {
            manifest_path: manifest_path.to_string(),
            version: "0".to_string(),
            init_cwd: dir,
        })
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

    fn renderer() -> Renderer {
        Renderer::new(PixiVars {
            manifest_path: "/p/pixi.toml".to_string(),
            version: "0.1.0".to_string(),
            init_cwd: "/p".to_string(),
        })
    }

    fn platform(name: &str, subdir: &str) -> DeclaredPlatform {
        DeclaredPlatform::new(name, subdir)
    }

    fn render(
        r: &Renderer,
        source: &str,
        on: &DeclaredPlatform,
        environment: &str,
        args: &[(String, String)],
    ) -> Result<String, minijinja::Error> {
        r.render(
            source,
            &Context {
                platform: on,
                environment,
                args,
                dependency: false,
            },
        )
    }

    #[test]
    fn renders_args_pixi_vars_and_filters() {
        let r = renderer();
        let linux = platform("linux-64", "linux-64");
        let args = vec![("name".to_string(), "world".to_string())];
        assert_eq!(
            render(
                &r,
                "echo {{ name | upper }} on {{ pixi.platform }} in {{ pixi.environment.name }}",
                &linux,
                "dev",
                &args
            )
            .unwrap(),
            "echo WORLD on linux-64 in dev"
        );
        assert_eq!(
            render(
                &r,
                "{% if pixi.is_linux %}l{% else %}o{% endif %}{{ pixi.is_win }}",
                &linux,
                "default",
                &[]
            )
            .unwrap(),
            "lFalse"
        );
        assert_eq!(
            render(
                &r,
                "{% for x in 'a b' | split %}[{{ x }}]{% endfor %} {{ {'k': [1, 'x']} | tojson }}",
                &linux,
                "default",
                &[]
            )
            .unwrap(),
            "[a][b] {\"k\":[1,\"x\"]}"
        );
        // A named platform renders its name; the flags follow its subdir.
        assert_eq!(
            render(
                &r,
                "{{ pixi.platform }} {{ pixi.is_linux }} {{ pixi.is_unix }}",
                &platform("gpu", "linux-64"),
                "default",
                &[]
            )
            .unwrap(),
            "gpu True True"
        );
    }

    #[test]
    fn undefined_is_an_error_and_nothing_is_escaped() {
        let r = renderer();
        let mac = platform("osx-arm64", "osx-arm64");
        assert!(render(&r, "echo {{ missing }}", &mac, "default", &[]).is_err());
        assert!(render(&r, "docker ps --format '{{.Names}}'", &mac, "default", &[]).is_err());
        let args = vec![("x".to_string(), "<a & 'b'>".to_string())];
        assert_eq!(
            render(&r, "{{ x }}", &mac, "default", &args).unwrap(),
            "<a & 'b'>"
        );
        assert_eq!(
            render(&r, "awk '{print $1}'", &mac, "default", &[]).unwrap(),
            "awk '{print $1}'"
        );
        // A dependency's arguments know no paths.
        let dependency = Context {
            platform: &mac,
            environment: "default",
            args: &[],
            dependency: true,
        };
        assert!(r.render("{{ pixi.manifest_path }}", &dependency).is_err());
        assert_eq!(
            r.render("{{ pixi.platform }}", &dependency).unwrap(),
            "osx-arm64"
        );
    }
}
