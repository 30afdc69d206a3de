//! `berth container logs`: the host agent's log and the VM's serial consoles, from the
//! instance directory (lima.md §2.2), optionally followed as they grow.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::runtime::lifecycle;
use crate::ui;

/// The logs worth reading after a failed boot, most useful first.
const LOG_FILES: &[&str] = &["ha.stderr.log", "serial.log", "serialp.log", "serialv.log"];

pub fn print(instance_dir: &Path, follow: bool) -> Result<()> {
    let files: Vec<PathBuf> = LOG_FILES
        .iter()
        .map(|f| instance_dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    if files.is_empty() {
        ui::status("the instance has no logs yet (they appear when it first starts)");
        return Ok(());
    }
    lifecycle::print_logs(&files, follow, |file, line| {
        if file.file_name().is_some_and(|n| n == "ha.stderr.log") {
            render_agent_line(line)
        } else {
            line.to_string()
        }
    })
}

/// The host agent logs logrus JSON (`{"level","msg","time"}`); show `time level msg`.
fn render_agent_line(line: &str) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(line)
    else {
        return line.to_string();
    };
    let field = |k: &str| fields.get(k).and_then(|v| v.as_str()).unwrap_or("");
    format!("{} {:<5} {}", field("time"), field("level"), field("msg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_lines_are_rendered_and_others_kept() {
        assert_eq!(
            render_agent_line(r#"{"level":"info","msg":"Forwarding","time":"T"}"#),
            "T info  Forwarding"
        );
        assert_eq!(render_agent_line("plain text"), "plain text");
    }
}
